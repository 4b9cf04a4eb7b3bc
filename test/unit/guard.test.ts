import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnector } from '../../src/connectors/duckdb/connector.js';
import { StratumError } from '../../src/errors.js';
import { createShopDatabase, sha256, tempDir } from '../helpers/fixture.js';

let dir: string;
let databasePath: string;
let secretPath: string;
let connector: DuckDBConnector;
let hashBefore: string;
let filesBefore: string[];
const budget = { maxRows: 100, maxChars: 50_000, timeoutMs: 10_000 };

beforeAll(async () => {
  dir = tempDir();
  ({ databasePath, secretPath } = await createShopDatabase(dir));
  hashBefore = sha256(databasePath);
  filesBefore = readdirSync(dir).sort();
  connector = new DuckDBConnector('shop', { type: 'duckdb', path: databasePath });
});

afterAll(() => connector.close());

/** [name, SQL, expected error code] — every one must be refused. */
const hostile = (): [string, string, string][] => [
  ['INSERT', `INSERT INTO customers VALUES (999, 'x', 'Ohio', 'consumer')`, 'SQL_NOT_READ_ONLY'],
  ['UPDATE', `UPDATE orders SET amount = 0`, 'SQL_NOT_READ_ONLY'],
  ['DELETE', `DELETE FROM orders`, 'SQL_NOT_READ_ONLY'],
  ['CREATE TABLE', `CREATE TABLE x AS SELECT 1`, 'SQL_NOT_READ_ONLY'],
  ['CREATE TEMP TABLE', `CREATE TEMP TABLE x AS SELECT 1`, 'SQL_NOT_READ_ONLY'],
  ['CREATE VIEW', `CREATE VIEW v AS SELECT 1`, 'SQL_NOT_READ_ONLY'],
  ['CREATE MACRO', `CREATE MACRO m(a) AS a + 1`, 'SQL_NOT_READ_ONLY'],
  ['CREATE SECRET', `CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')`, 'SQL_FORBIDDEN|SQL_NOT_READ_ONLY'],
  ['DROP TABLE', `DROP TABLE orders`, 'SQL_NOT_READ_ONLY'],
  ['ALTER TABLE', `ALTER TABLE orders ADD COLUMN x INTEGER`, 'SQL_NOT_READ_ONLY'],
  ['TRUNCATE', `TRUNCATE orders`, 'SQL_NOT_READ_ONLY'],
  ['writable CTE (DELETE)', `WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone`, 'SQL_ERROR|SQL_NOT_READ_ONLY'],
  ['writable CTE (INSERT)', `WITH added AS (INSERT INTO customers VALUES (1000, 'x', 'y', 'z') RETURNING *) SELECT * FROM added`, 'SQL_ERROR|SQL_NOT_READ_ONLY'],
  ['stacked DROP', `SELECT 1; DROP TABLE orders`, 'SQL_MULTIPLE_STATEMENTS'],
  ['stacked DELETE after comment', `SELECT 1 /* ; */ ; DELETE FROM orders --`, 'SQL_MULTIPLE_STATEMENTS'],
  ['stacked COMMIT', `COMMIT; DROP TABLE orders`, 'SQL_MULTIPLE_STATEMENTS'],
  ['COPY TO file', `COPY orders TO '${join(dirFor(), 'out.csv')}'`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['COPY query TO file', `COPY (SELECT * FROM customers) TO '${join(dirFor(), 'out.parquet')}' (FORMAT parquet)`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['COPY FROM file', `COPY customers FROM '${secretPathFor()}'`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['EXPORT DATABASE', `EXPORT DATABASE '${join(dirFor(), 'export')}'`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['IMPORT DATABASE', `IMPORT DATABASE '${join(dirFor(), 'export')}'`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN|SQL_ERROR'],
  ['ATTACH', `ATTACH '${join(dirFor(), 'other.duckdb')}' AS other`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['ATTACH in-memory', `ATTACH ':memory:' AS scratch`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['DETACH', `DETACH shop`, 'SQL_NOT_READ_ONLY|SQL_ERROR'],
  ['USE', `USE memory`, 'SQL_NOT_READ_ONLY|SQL_ERROR'],
  ['INSTALL', `INSTALL httpfs`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['LOAD', `LOAD httpfs`, 'SQL_NOT_READ_ONLY|SQL_FORBIDDEN'],
  ['SET', `SET threads = 1`, 'SQL_NOT_READ_ONLY'],
  ['SET external access', `SET enable_external_access = true`, 'SQL_NOT_READ_ONLY'],
  ['SET VARIABLE', `SET VARIABLE x = 1`, 'SQL_NOT_READ_ONLY'],
  ['RESET', `RESET threads`, 'SQL_NOT_READ_ONLY'],
  ['PRAGMA', `PRAGMA version`, 'SQL_NOT_READ_ONLY'],
  ['PRAGMA setting', `PRAGMA enable_profiling`, 'SQL_NOT_READ_ONLY'],
  ['CALL', `CALL pragma_version()`, 'SQL_NOT_READ_ONLY'],
  ['CHECKPOINT', `CHECKPOINT`, 'SQL_NOT_READ_ONLY'],
  ['FORCE CHECKPOINT', `FORCE CHECKPOINT`, 'SQL_NOT_READ_ONLY'],
  ['VACUUM', `VACUUM`, 'SQL_NOT_READ_ONLY'],
  ['ANALYZE', `ANALYZE`, 'SQL_NOT_READ_ONLY'],
  ['BEGIN', `BEGIN TRANSACTION`, 'SQL_NOT_READ_ONLY'],
  ['PREPARE', `PREPARE p AS SELECT 1`, 'SQL_NOT_READ_ONLY'],
  ['PIVOT (creates types)', `PIVOT orders ON status USING sum(amount)`, 'SQL_MULTIPLE_STATEMENTS|SQL_NOT_READ_ONLY'],
  ['read_csv of a local file', `SELECT * FROM read_csv('${secretPathFor()}')`, 'SQL_FORBIDDEN'],
  ['read_csv_auto', `SELECT * FROM read_csv_auto('${secretPathFor()}')`, 'SQL_FORBIDDEN'],
  ['replacement scan of a file', `SELECT * FROM '${secretPathFor()}'`, 'SQL_FORBIDDEN'],
  ['read_text', `SELECT * FROM read_text('${secretPathFor()}')`, 'SQL_FORBIDDEN'],
  ['read_text /etc/passwd', `SELECT content FROM read_text('/etc/passwd')`, 'SQL_FORBIDDEN'],
  ['read_blob', `SELECT * FROM read_blob('${secretPathFor()}')`, 'SQL_FORBIDDEN'],
  ['read_parquet', `SELECT * FROM read_parquet('${join(dirFor(), '*.parquet')}')`, 'SQL_FORBIDDEN'],
  ['read_json', `SELECT * FROM read_json('${secretPathFor()}')`, 'SQL_FORBIDDEN'],
  ['glob', `SELECT * FROM glob('${join(dirFor(), '*')}')`, 'SQL_FORBIDDEN'],
  ['glob of /', `SELECT * FROM glob('/*')`, 'SQL_FORBIDDEN'],
  ['sniff_csv', `SELECT * FROM sniff_csv('${secretPathFor()}')`, 'SQL_FORBIDDEN'],
  ['file in a subquery', `SELECT (SELECT count(*) FROM read_csv('${secretPathFor()}')) AS n`, 'SQL_FORBIDDEN'],
  ['file in a CTE', `WITH s AS (SELECT * FROM read_text('${secretPathFor()}')) SELECT * FROM s`, 'SQL_FORBIDDEN'],
  ['http URL', `SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')`, 'SQL_FORBIDDEN'],
  ['getenv', `SELECT getenv('HOME')`, 'SQL_ERROR|SQL_FORBIDDEN'],
  ['query() running DDL', `SELECT * FROM query('DROP TABLE orders')`, 'SQL_ERROR|SQL_NOT_READ_ONLY'],
  ['query() creating a temp table', `SELECT * FROM query('CREATE TEMP TABLE z AS SELECT 1')`, 'SQL_ERROR|SQL_NOT_READ_ONLY'],
  ['empty', `   `, 'SQL_EMPTY'],
  ['only a comment', `-- nothing here`, 'SQL_EMPTY'],
];

// The table is built before beforeAll runs, so paths come from lazily read module state.
function dirFor(): string {
  return dir ?? '/nonexistent';
}
function secretPathFor(): string {
  return secretPath ?? '/nonexistent/secret.csv';
}

describe('the read-only guard refuses hostile SQL', () => {
  it('has at least 40 cases', () => {
    expect(hostile().length).toBeGreaterThanOrEqual(40);
  });

  it.each(hostile().map(([name], index) => [name, index] as const))('refuses %s', async (_name, index) => {
    const [, sql, codes] = hostile()[index]!;
    const error = await connector.execute(sql, budget).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StratumError);
    const stratumError = error as StratumError;
    expect(codes.split('|')).toContain(stratumError.code);
    expect(stratumError.message).not.toContain('TOP-SECRET-MARKER-42');
    expect(stratumError.message.length).toBeGreaterThan(10);
  });

  it('left the database file byte-for-byte unchanged and wrote no file', async () => {
    await connector.close();
    expect(sha256(databasePath)).toBe(hashBefore);
    expect(readdirSync(dir).sort()).toEqual(filesBefore);
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
  });

  it('still answers read-only queries after all that', async () => {
    const result = await connector.execute('SELECT count(*) AS n FROM orders', budget);
    expect(result.rows).toEqual([[5000]]);
  });
});

describe('the read-only guard allows reads', () => {
  const reads: [string, string, unknown[][] | undefined][] = [
    ['SELECT', `SELECT count(*) FROM customers WHERE state = 'Texas'`, [[66]]],
    ['WITH ... SELECT', `WITH t AS (SELECT customer_id FROM orders WHERE status = 'cancelled') SELECT count(*) FROM t`, [[250]]],
    ['FROM-first', `FROM customers SELECT max(customer_id)`, [[100]]],
    ['VALUES', `VALUES (1, 'a')`, [[1, 'a']]],
    ['UNION', `SELECT 1 UNION ALL SELECT 2 ORDER BY 1`, [[1], [2]]],
    ['a view', `SELECT count(*) FROM completed_orders`, [[4750]]],
    ['DESCRIBE', `DESCRIBE customers`, undefined],
    ['SHOW TABLES', `SHOW TABLES`, undefined],
    ['SUMMARIZE', `SUMMARIZE customers`, undefined],
    ['EXPLAIN', `EXPLAIN SELECT * FROM orders`, undefined],
    ['a trailing semicolon', `SELECT 42;`, [[42]]],
  ];
  it.each(reads)('allows %s', async (_name, sql, rows) => {
    const result = await connector.execute(sql, budget);
    if (rows) expect(result.rows).toEqual(rows);
    else expect(result.rowCount).toBeGreaterThan(0);
  });
});
