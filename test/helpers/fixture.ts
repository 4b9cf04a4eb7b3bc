import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export function tempDir(prefix = 'stratum-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * A small shop database with keys, comments, a view, a wide table for truncation
 * and a secret file beside it that no query may read.
 */
export async function createShopDatabase(dir: string): Promise<{ databasePath: string; secretPath: string }> {
  const databasePath = join(dir, 'shop.duckdb');
  const secretPath = join(dir, 'secret.csv');
  writeFileSync(secretPath, 'token\nTOP-SECRET-MARKER-42\n');
  const instance = await DuckDBInstance.create(databasePath);
  const connection = await instance.connect();
  for (const statement of [
    `CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, state VARCHAR, segment VARCHAR)`,
    `COMMENT ON TABLE customers IS 'People and companies who buy from the shop'`,
    `COMMENT ON COLUMN customers.state IS 'US state of the billing address'`,
    `CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id), order_date DATE, amount DECIMAL(12,2), status VARCHAR)`,
    `COMMENT ON TABLE orders IS 'One row per order'`,
    `COMMENT ON COLUMN orders.amount IS 'Order total in USD'`,
    `INSERT INTO customers SELECT i, 'Customer ' || i, CASE i % 3 WHEN 0 THEN 'Texas' WHEN 1 THEN 'California' ELSE 'Texas' END, CASE WHEN i % 5 = 0 THEN 'corporate' ELSE 'consumer' END FROM range(1, 101) t(i)`,
    `INSERT INTO orders SELECT i, 1 + (i % 100), DATE '2024-01-01' + CAST(i % 366 AS INTEGER), CAST((i % 97) * 1.25 AS DECIMAL(12,2)), CASE WHEN i % 20 = 0 THEN 'cancelled' ELSE 'completed' END FROM range(1, 5001) t(i)`,
    `CREATE VIEW completed_orders AS SELECT * FROM orders WHERE status = 'completed'`,
    `CREATE TABLE wide_text AS SELECT i AS id, repeat('x', 500) AS payload FROM range(0, 2000) t(i)`,
    `CHECKPOINT`,
  ]) {
    await connection.run(statement);
  }
  connection.closeSync();
  instance.closeSync();
  return { databasePath, secretPath };
}

/** Writes stratum.yaml for a database; returns its path. */
export function writeConfig(dir: string, databasePath: string, limits: { max_rows?: number; max_chars?: number; timeout_ms?: number } = {}): string {
  return writeDatasourceConfig(dir, `{ type: duckdb, path: ${JSON.stringify(databasePath)} }`, limits);
}

/** Writes stratum.yaml with one datasource `shop` given as a YAML flow mapping; returns its path. */
export function writeDatasourceConfig(dir: string, datasource: string, limits: { max_rows?: number; max_chars?: number; timeout_ms?: number } = {}): string {
  const configPath = join(dir, 'stratum.yaml');
  const limitLines = Object.entries({ max_rows: 1000, max_chars: 50_000, timeout_ms: 30_000, ...limits })
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  writeFileSync(configPath, `datasources:\n  shop: ${datasource}\nlimits: { ${limitLines} }\n`);
  return configPath;
}
