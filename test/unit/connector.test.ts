import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBConnector } from '../../src/connectors/duckdb/connector.js';
import { Catalog } from '../../src/catalog/index.js';
import { StratumError } from '../../src/errors.js';
import { createShopDatabase, tempDir } from '../helpers/fixture.js';

let connector: DuckDBConnector;
const budget = { maxRows: 1000, maxChars: 50_000, timeoutMs: 20_000 };
// Endless enough for any machine: interrupted long before it could finish.
const SLOW_SQL = 'SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3';

beforeAll(async () => {
  const { databasePath } = await createShopDatabase(tempDir());
  connector = new DuckDBConnector('shop', { type: 'duckdb', path: databasePath });
});

afterAll(() => connector.close());

async function errorOf(promise: Promise<unknown>): Promise<StratumError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StratumError);
  return error as StratumError;
}

describe('result budgets', () => {
  it('stops at max_rows and says it truncated', async () => {
    const result = await connector.execute('SELECT order_id FROM orders ORDER BY order_id', { ...budget, maxRows: 10 });
    expect(result.rowCount).toBe(10);
    expect(result.rows.map((row) => row[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.truncated).toBe(true);
    expect(result.warning).toMatch(/first 10 rows.*max_rows=10.*WHERE/);
  });

  it('does not flag a result that exactly fits max_rows', async () => {
    const result = await connector.execute('SELECT order_id FROM orders ORDER BY order_id LIMIT 10', { ...budget, maxRows: 10 });
    expect(result.rowCount).toBe(10);
    expect(result.truncated).toBe(false);
    expect(result.warning).toBeUndefined();
  });

  it('drops rows to stay under max_chars and says so', async () => {
    const result = await connector.execute('SELECT id, payload FROM wide_text ORDER BY id', { ...budget, maxChars: 5_000 });
    expect(JSON.stringify(result.rows).length).toBeLessThanOrEqual(5_000);
    // each row serializes to 511 characters ([id,"xxx…"] plus a separator): 9 fit in 5,000
    expect(result.rowCount).toBe(9);
    expect(result.truncated).toBe(true);
    expect(result.warning).toMatch(/5000 characters.*fewer or narrower columns/);
  });

  it('reads a huge result chunk by chunk without materialising it', async () => {
    const result = await connector.execute('SELECT range AS n FROM range(50000000)', { ...budget, maxRows: 5 });
    expect(result.rows).toEqual([[0], [1], [2], [3], [4]]);
    expect(result.truncated).toBe(true);
  });
});

describe('time limits and cancellation', () => {
  it('interrupts a slow query at timeout_ms and keeps serving', async () => {
    const started = performance.now();
    const error = await errorOf(connector.execute(SLOW_SQL, { ...budget, timeoutMs: 500 }));
    const elapsed = performance.now() - started;
    expect(error.code).toBe('QUERY_TIMEOUT');
    expect(error.message).toContain('500 ms');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    const next = await connector.execute('SELECT count(*) FROM customers', budget);
    expect(next.rows).toEqual([[100]]);
  });

  it('interrupts a running query when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const error = await errorOf(connector.execute(SLOW_SQL, { ...budget, signal: controller.signal }));
    expect(error.code).toBe('QUERY_CANCELLED');
    const next = await connector.execute('SELECT 1 AS ok', budget);
    expect(next.rows).toEqual([[1]]);
  });

  it('refuses to start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await errorOf(connector.execute('SELECT 1', { ...budget, signal: controller.signal }));
    expect(error.code).toBe('QUERY_CANCELLED');
  });
});

describe('statement analysis', () => {
  it('names the physical tables a statement reads, without CTE names', async () => {
    const tables = await connector.referencedTables(
      'WITH recent AS (SELECT * FROM orders WHERE order_date > DATE \'2024-06-01\') SELECT c.name FROM recent JOIN main.customers c USING (customer_id) WHERE c.customer_id IN (SELECT customer_id FROM completed_orders)',
    );
    expect(tables).toEqual(['main.completed_orders', 'main.customers', 'main.orders']);
  });

  it('explains without running and applies the guard', async () => {
    const { plan } = await connector.explain('SELECT * FROM orders WHERE amount > 10');
    expect(plan).toMatch(/orders/i);
    const error = await errorOf(connector.explain('DELETE FROM orders'));
    expect(error.code).toBe('SQL_NOT_READ_ONLY');
  });

  it('reports a bad column with a hint to check the catalog', async () => {
    const error = await errorOf(connector.execute('SELECT amountt FROM orders', budget));
    expect(error.code).toBe('SQL_ERROR');
    expect(error.message).toContain('amountt');
    expect(error.hint).toContain('describe_table');
  });
});

describe('catalog', () => {
  it('introspects tables, views, comments and keys', async () => {
    const catalog = new Catalog(connector);
    const tables = await catalog.listTables();
    expect(tables.map((t) => [t.name, t.kind])).toEqual([
      ['main.completed_orders', 'view'],
      ['main.customers', 'table'],
      ['main.orders', 'table'],
      ['main.wide_text', 'table'],
    ]);
    expect(tables.find((t) => t.name === 'main.orders')).toMatchObject({ comment: 'One row per order', rowCount: 5000, columnCount: 5 });
    const orders = await catalog.describeTable('orders');
    expect(orders.primaryKey).toEqual(['order_id']);
    expect(orders.foreignKeys).toEqual([{ columns: ['customer_id'], referencesTable: 'main.customers', referencesColumns: ['customer_id'] }]);
    expect(orders.columns.find((c) => c.name === 'amount')).toMatchObject({ type: 'DECIMAL(12,2)', comment: 'Order total in USD', primaryKey: false });
    expect(orders.columns.find((c) => c.name === 'customer_id')?.references).toBe('main.customers.customer_id');
    expect(orders.columns.find((c) => c.name === 'status')?.samples).toEqual(['completed', 'cancelled']);
    const customers = await catalog.describeTable('main.CUSTOMERS');
    expect(customers.referencedBy).toEqual([{ table: 'main.orders', columns: ['customer_id'] }]);
    expect(customers.columns.find((c) => c.name === 'state')?.samples).toEqual(['Texas', 'California']);
    expect(customers.columns.find((c) => c.name === 'name')?.nullable).toBe(false);
  });

  it('suggests the closest table for a typo', async () => {
    const catalog = new Catalog(connector);
    const error = await errorOf(catalog.describeTable('main.ordres'));
    expect(error.code).toBe('TABLE_UNKNOWN');
    expect(error.message).toContain('Did you mean "main.orders"');
  });
});

describe('opening a datasource', () => {
  it('explains a missing database file', async () => {
    const missing = new DuckDBConnector('gone', { type: 'duckdb', path: '/nonexistent/demo.duckdb' });
    const error = await errorOf(missing.execute('SELECT 1', budget));
    expect(error.code).toBe('DATASOURCE_UNAVAILABLE');
    expect(error.hint).toContain('stratum init');
  });
});
