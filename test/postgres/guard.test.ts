import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { PostgresConnector } from '../../src/connectors/postgres/connector.js';
import { StratumError } from '../../src/errors.js';
import { tempDir } from '../helpers/fixture.js';
import { PG_URL, adminClient, ensureShopSchema, expectPostgresServer } from '../helpers/postgres.js';

describe('PostgreSQL guard: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
});

/** Everything a hostile statement could change, read behind the connector's back. */
const FINGERPRINT = `SELECT
  (SELECT md5(string_agg(t::text, '|' ORDER BY t.order_id)) FROM shop.orders t) AS orders,
  (SELECT md5(string_agg(t::text, '|' ORDER BY t.customer_id)) FROM shop.customers t) AS customers,
  (SELECT count(*) FROM pg_class) AS relations,
  (SELECT count(*) FROM pg_proc) AS functions,
  (SELECT count(*) FROM pg_roles) AS roles,
  (SELECT count(*) FROM pg_largeobject_metadata) AS large_objects,
  (SELECT last_value::text || ':' || is_called::text FROM shop.invoice_numbers) AS sequence,
  (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid <> 4242) AS advisory_locks,
  (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stratum' AND state = 'active') AS running`;

describe.skipIf(!PG_URL)('PostgreSQL guard (superuser connection)', () => {
  const dir = tempDir('stratum-pg-guard-');
  const written = { program: join(dir, 'program-ran'), copy: join(dir, 'copied.csv'), largeObject: join(dir, 'large-object.bin') };
  let connector: PostgresConnector;
  let admin: pg.Client;
  let before: Record<string, unknown>;
  // One pooled connection, so anything a statement left behind in the session would show in the next.
  const budget = { maxRows: 100, maxChars: 50_000, timeoutMs: 10_000 };

  beforeAll(async () => {
    await ensureShopSchema();
    admin = await adminClient();
    before = (await admin.query(FINGERPRINT)).rows[0]!;
    connector = new PostgresConnector('shop', { type: 'postgres', url: PG_URL, pool_size: 1 });
  });

  afterAll(async () => {
    await connector?.close();
    await admin?.end();
  });

  /** [name, SQL, accepted error codes] — every one must be refused. */
  const hostile: [string, string, string][] = [
    ['INSERT', `INSERT INTO shop.customers VALUES (999, 'x', 'Ohio', 'consumer')`, 'SQL_NOT_READ_ONLY'],
    ['INSERT ... RETURNING', `INSERT INTO shop.customers VALUES (998, 'x', 'Ohio', 'consumer') RETURNING *`, 'SQL_NOT_READ_ONLY'],
    ['UPDATE', `UPDATE shop.orders SET amount = 0`, 'SQL_NOT_READ_ONLY'],
    ['DELETE', `DELETE FROM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['MERGE', `MERGE INTO shop.customers c USING (VALUES (1)) v(id) ON c.customer_id = v.id WHEN MATCHED THEN DELETE`, 'SQL_NOT_READ_ONLY'],
    ['comment-disguised DELETE', `/* SELECT */ DELETE FROM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['writable CTE (DELETE)', `WITH gone AS (DELETE FROM shop.orders RETURNING *) SELECT count(*) FROM gone`, 'SQL_NOT_READ_ONLY'],
    ['writable CTE (INSERT)', `WITH added AS (INSERT INTO shop.customers VALUES (1000, 'x', 'y', 'z') RETURNING *) SELECT * FROM added`, 'SQL_NOT_READ_ONLY'],
    ['writable CTE (UPDATE) unreferenced', `WITH u AS (UPDATE shop.orders SET status = 'x' RETURNING 1) SELECT 1`, 'SQL_NOT_READ_ONLY'],
    ['stacked DROP', `SELECT 1; DROP TABLE shop.orders`, 'SQL_MULTIPLE_STATEMENTS'],
    ['stacked COMMIT; DROP', `COMMIT; DROP TABLE shop.orders`, 'SQL_MULTIPLE_STATEMENTS'],
    ['stacked ROLLBACK; DELETE', `ROLLBACK; DELETE FROM shop.orders`, 'SQL_MULTIPLE_STATEMENTS'],
    ['stacked DELETE after a comment', `SELECT 1 /* ; */ ; DELETE FROM shop.orders --`, 'SQL_MULTIPLE_STATEMENTS'],
    ['stacked SET READ WRITE', `SET TRANSACTION READ WRITE; UPDATE shop.orders SET amount = 0`, 'SQL_MULTIPLE_STATEMENTS'],
    ['SELECT INTO', `SELECT * INTO shop.orders_copy FROM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['CREATE TABLE AS', `CREATE TABLE shop.copy AS SELECT * FROM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['CREATE TEMP TABLE AS', `CREATE TEMP TABLE scratch AS SELECT 1`, 'SQL_NOT_READ_ONLY'],
    ['CREATE TABLE', `CREATE TABLE shop.x (id int)`, 'SQL_NOT_READ_ONLY'],
    ['CREATE VIEW', `CREATE VIEW shop.v AS SELECT 1`, 'SQL_NOT_READ_ONLY'],
    ['CREATE FUNCTION', `CREATE FUNCTION shop.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`, 'SQL_NOT_READ_ONLY'],
    ['CREATE EXTENSION', `CREATE EXTENSION IF NOT EXISTS file_fdw`, 'SQL_NOT_READ_ONLY'],
    ['DROP TABLE', `DROP TABLE shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['ALTER TABLE', `ALTER TABLE shop.orders ADD COLUMN x int`, 'SQL_NOT_READ_ONLY'],
    ['TRUNCATE', `TRUNCATE shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['GRANT', `GRANT ALL ON shop.orders TO PUBLIC`, 'SQL_NOT_READ_ONLY'],
    ['CREATE ROLE', `CREATE ROLE intruder SUPERUSER LOGIN`, 'SQL_NOT_READ_ONLY'],
    ['ALTER SYSTEM', `ALTER SYSTEM SET log_statement = 'none'`, 'SQL_NOT_READ_ONLY'],
    ['COPY TO PROGRAM', `COPY (SELECT 1) TO PROGRAM 'touch ${written.program}'`, 'SQL_NOT_READ_ONLY'],
    ['COPY TO a file', `COPY shop.customers TO '${written.copy}'`, 'SQL_NOT_READ_ONLY'],
    ['COPY FROM a file', `COPY shop.customers FROM '/etc/hostname'`, 'SQL_NOT_READ_ONLY'],
    ['SET', `SET statement_timeout = 0`, 'SQL_NOT_READ_ONLY'],
    ['SET ROLE', `SET ROLE postgres`, 'SQL_NOT_READ_ONLY'],
    ['RESET ALL', `RESET ALL`, 'SQL_NOT_READ_ONLY'],
    ['BEGIN READ WRITE', `BEGIN READ WRITE`, 'SQL_NOT_READ_ONLY'],
    ['COMMIT', `COMMIT`, 'SQL_NOT_READ_ONLY'],
    ['DO block', `DO $$ BEGIN DELETE FROM shop.orders; END $$`, 'SQL_NOT_READ_ONLY'],
    ['CALL', `CALL shop.nothing()`, 'SQL_NOT_READ_ONLY'],
    ['LOCK TABLE', `LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE`, 'SQL_NOT_READ_ONLY'],
    ['NOTIFY', `NOTIFY channel, 'payload'`, 'SQL_NOT_READ_ONLY'],
    ['VACUUM', `VACUUM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['ANALYZE', `ANALYZE shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['REFRESH MATERIALIZED VIEW', `REFRESH MATERIALIZED VIEW shop.monthly_revenue`, 'SQL_NOT_READ_ONLY'],
    ['CHECKPOINT', `CHECKPOINT`, 'SQL_NOT_READ_ONLY'],
    ['PREPARE', `PREPARE p AS DELETE FROM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['DECLARE CURSOR', `DECLARE c CURSOR WITH HOLD FOR SELECT * FROM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['EXPLAIN ANALYZE DELETE', `EXPLAIN ANALYZE DELETE FROM shop.orders`, 'SQL_NOT_READ_ONLY'],
    ['SELECT FOR UPDATE', `SELECT * FROM shop.orders FOR UPDATE`, 'SQL_NOT_READ_ONLY'],
    ['SELECT FOR SHARE', `SELECT * FROM shop.customers LIMIT 1 FOR SHARE`, 'SQL_NOT_READ_ONLY'],
    ['pg_read_file', `SELECT pg_read_file('/etc/passwd')`, 'SQL_FORBIDDEN'],
    ['pg_read_file as a table', `SELECT * FROM pg_read_file('/etc/passwd')`, 'SQL_FORBIDDEN'],
    ['pg_read_file quoted and qualified', `SELECT "pg_catalog"."pg_read_file"('/etc/passwd')`, 'SQL_FORBIDDEN'],
    ['pg_read_binary_file', `SELECT pg_read_binary_file('/etc/passwd')`, 'SQL_FORBIDDEN'],
    ['pg_ls_dir in a LATERAL join', `SELECT * FROM shop.customers, LATERAL pg_ls_dir('.') AS f`, 'SQL_FORBIDDEN'],
    ['pg_stat_file', `SELECT pg_stat_file('/etc/passwd')`, 'SQL_FORBIDDEN'],
    ['a view that reads a server file', `SELECT * FROM shop.server_file`, 'SQL_FORBIDDEN'],
    ['lo_import', `SELECT lo_import('/etc/hostname')`, 'SQL_FORBIDDEN'],
    ['lo_export', `SELECT lo_export(424242, '${written.largeObject}')`, 'SQL_FORBIDDEN'],
    ['lo_get', `SELECT lo_get(424242)`, 'SQL_FORBIDDEN'],
    ['dblink', `SELECT * FROM dblink('dbname=stratum_test', 'DELETE FROM shop.orders RETURNING 1') AS t(x int)`, 'SQL_FORBIDDEN|SQL_ERROR'],
    ['dblink_exec', `SELECT dblink_exec('dbname=stratum_test', 'DROP TABLE shop.orders')`, 'SQL_FORBIDDEN|SQL_ERROR'],
    ['set_config for the session', `SELECT set_config('search_path', 'pg_temp', false)`, 'SQL_FORBIDDEN'],
    ['set_config of transaction_read_only', `SELECT set_config('transaction_read_only', 'off', true)`, 'SQL_FORBIDDEN'],
    ['pg_sleep beyond the timeout', `SELECT pg_sleep(60)`, 'SQL_FORBIDDEN'],
    ['PG_SLEEP_FOR in upper case', `SELECT PG_SLEEP_FOR('1 minute')`, 'SQL_FORBIDDEN'],
    ['nextval', `SELECT nextval('shop.invoice_numbers')`, 'SQL_FORBIDDEN'],
    ['nextval in a subquery filter', `SELECT * FROM shop.orders WHERE order_id = (SELECT nextval('shop.invoice_numbers'))`, 'SQL_FORBIDDEN'],
    ['setval', `SELECT setval('shop.invoice_numbers', 1000)`, 'SQL_FORBIDDEN'],
    ['advisory lock', `SELECT pg_advisory_lock(1)`, 'SQL_FORBIDDEN'],
    ['try advisory lock in a CTE', `WITH l AS (SELECT pg_try_advisory_lock(2) AS got) SELECT * FROM l`, 'SQL_FORBIDDEN'],
    ['pg_terminate_backend', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity`, 'SQL_FORBIDDEN'],
    ['pg_cancel_backend', `SELECT pg_cancel_backend(pg_backend_pid())`, 'SQL_FORBIDDEN'],
    ['pg_reload_conf', `SELECT pg_reload_conf()`, 'SQL_FORBIDDEN'],
    ['pg_notify', `SELECT pg_notify('channel', 'payload')`, 'SQL_FORBIDDEN'],
    ['txid_current', `SELECT txid_current()`, 'SQL_FORBIDDEN'],
    ['query_to_xml runs its own SQL', `SELECT query_to_xml('SELECT pg_read_file(''/etc/passwd'')', true, true, '')`, 'SQL_FORBIDDEN'],
    ['table_to_xml', `SELECT table_to_xml('shop.customers', true, true, '')`, 'SQL_FORBIDDEN'],
    ['ts_stat runs its own SQL', `SELECT * FROM ts_stat('SELECT to_tsvector(pg_read_file(''/etc/passwd''))')`, 'SQL_FORBIDDEN'],
    ['password hashes (pg_authid)', `SELECT rolname, rolpassword FROM pg_authid`, 'SQL_FORBIDDEN'],
    ['password hashes through a view (pg_shadow)', `SELECT * FROM pg_shadow`, 'SQL_FORBIDDEN'],
    ['foreign-server secrets (pg_user_mappings)', `SELECT * FROM pg_user_mappings`, 'SQL_FORBIDDEN'],
  ];

  it(`holds at least 40 hostile statements (${hostile.length})`, () => {
    expect(hostile.length).toBeGreaterThanOrEqual(40);
  });

  it.each(hostile)('refuses %s', async (_name, sql, codes) => {
    const error = await connector.execute(sql, budget).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StratumError);
    expect((error as StratumError).code).toMatch(new RegExp(`^(${codes})$`));
    expect((error as StratumError).hint).toBeTruthy();
  });

  it('leaves data, catalogs, sequences, large objects and locks exactly as they were', async () => {
    // Other test files use the server at the same time: a statement of theirs may be active for a
    // moment, while one left running by a hostile statement would stay active.
    let after = (await admin.query(FINGERPRINT)).rows[0]!;
    for (let attempt = 0; attempt < 40 && JSON.stringify(after) !== JSON.stringify(before); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = (await admin.query(FINGERPRINT)).rows[0]!;
    }
    expect(after).toEqual(before);
  });

  it('wrote no file on the server machine', () => {
    expect(Object.values(written).filter((path) => existsSync(path))).toEqual([]);
  });

  it('leaves the pooled session as it found it', async () => {
    const result = await connector.execute(`SELECT current_setting('search_path') AS search_path, current_setting('statement_timeout') AS timeout, current_setting('transaction_read_only') AS read_only`, budget);
    expect(result.rows).toEqual([['"$user", public', '10s', 'on']]);
  });

  it('refuses the same statements through referencedTables and explain', async () => {
    for (const [, sql] of hostile.slice(0, 12)) {
      await expect(connector.referencedTables(sql)).rejects.toBeInstanceOf(StratumError);
      await expect(connector.explain(sql)).rejects.toBeInstanceOf(StratumError);
    }
  });

  /** [name, SQL, expected rows] — reads that must pass the guard unchanged. */
  const allowed: [string, string, unknown[][]][] = [
    ['a view', `SELECT count(*) FROM shop.completed_orders`, [[4750]]],
    ['a view over a view and a join', `SELECT revenue FROM shop.customer_revenue WHERE customer_id = 2`, [['2473.75']]],
    ['a materialised view', `SELECT count(*) FROM shop.monthly_revenue`, [[12]]],
    ['a partitioned table', `SELECT kind, count(*) FROM shop.events GROUP BY kind ORDER BY kind`, [['click', 500], ['view', 500]]],
    ['a CTE and a window function', `WITH r AS (SELECT customer_id, rank() OVER (ORDER BY customer_id DESC) AS rk FROM shop.customers) SELECT customer_id FROM r WHERE rk = 1`, [[100]]],
    ['TABLE and a trailing semicolon', `TABLE shop.customers ORDER BY customer_id LIMIT 1;`, [[1, 'Customer 1', 'California', 'consumer']]],
    ['VALUES', `VALUES (1, 'a'), (2, 'b')`, [[1, 'a'], [2, 'b']]],
    ['a leading comment', `-- revenue\nSELECT 1 AS one`, [[1]]],
    ['a literal that looks like a call', `SELECT 'pg_sleep(60); DROP TABLE x' AS text`, [['pg_sleep(60); DROP TABLE x']]],
    ['functions whose names start like refused ones', `SELECT lower('ABC'), lo_bound, ts_rank(to_tsvector('cat'), to_tsquery('cat')) FROM (SELECT 1 AS lo_bound) t`, [['abc', 1, 0.06079271]]],
    ['catalog reads', `SELECT count(*) > 0 FROM pg_class WHERE relname = 'orders'`, [[true]]],
  ];

  it.each(allowed)('allows %s', async (_name, sql, rows) => {
    const result = await connector.execute(sql, budget);
    expect(result.rows).toEqual(rows);
  });
});
