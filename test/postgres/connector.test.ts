import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { PostgresConnector } from '../../src/connectors/postgres/connector.js';
import { StratumError } from '../../src/errors.js';
import { createToolScope } from '../../src/subagents/index.js';
import type { CatalogSnapshot } from '../../src/connectors/index.js';
import { PG_URL, adminClient, ensureShopSchema, expectPostgresServer } from '../helpers/postgres.js';

describe('PostgreSQL connector: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
});

/** Long enough to still be running when a test interrupts it (several seconds of CPU). */
const SLOW = 'SELECT count(*) FROM generate_series(1, 500000000)';

/** Retries an assertion for up to two seconds: the server's activity view lags a cancel a little. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function failure(promise: Promise<unknown>): Promise<StratumError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StratumError);
  return error as StratumError;
}

describe.skipIf(!PG_URL)('PostgreSQL connector', () => {
  let connector: PostgresConnector;
  let admin: pg.Client;
  const budget = { maxRows: 100, maxChars: 50_000, timeoutMs: 10_000 };

  beforeAll(async () => {
    await ensureShopSchema();
    admin = await adminClient();
    connector = new PostgresConnector('shop', { type: 'postgres', url: PG_URL, schemas: ['shop'], pool_size: 2 });
  });

  afterAll(async () => {
    await connector?.close();
    await admin?.end();
  });

  async function runningStatements(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'stratum' AND state = 'active' AND query LIKE '%generate_series(1, 500000000)%'`);
    return rows[0]!.n;
  }

  describe('results', () => {
    it('returns typed columns and rows', async () => {
      const result = await connector.execute('SELECT order_id, order_date, amount, status FROM shop.orders ORDER BY order_id LIMIT 2', budget);
      expect(result.columns).toEqual([
        { name: 'order_id', type: 'integer' },
        { name: 'order_date', type: 'date' },
        { name: 'amount', type: 'numeric(12,2)' },
        { name: 'status', type: 'text' },
      ]);
      expect(result.rows).toEqual([
        [1, '2024-01-02', '1.25', 'completed'],
        [2, '2024-01-03', '2.50', 'completed'],
      ]);
      expect(result).toMatchObject({ rowCount: 2, truncated: false });
      expect(result.warning).toBeUndefined();
    });

    it('cuts at max_rows and says how to narrow the query', async () => {
      const result = await connector.execute('SELECT order_id FROM shop.orders ORDER BY order_id', { ...budget, maxRows: 3 });
      expect(result.rows).toEqual([[1], [2], [3]]);
      expect(result.truncated).toBe(true);
      expect(result.warning).toMatch(/only the first 3 rows are shown \(max_rows=3\)/);
    });

    it('is not truncated when the result has exactly max_rows rows', async () => {
      const result = await connector.execute('SELECT customer_id FROM shop.customers ORDER BY 1 LIMIT 3', { ...budget, maxRows: 3 });
      expect(result).toMatchObject({ rowCount: 3, truncated: false });
    });

    it('stops reading at max_rows + 1: rows the cut leaves out are never computed', async () => {
      // Row 1000 divides by zero; reading the whole result would fail.
      const result = await connector.execute('SELECT 1 / (1000 - g) AS x FROM generate_series(1, 2000) AS g', { ...budget, maxRows: 10 });
      expect(result).toMatchObject({ rowCount: 10, truncated: true });
    });

    it('keeps the serialized rows under max_chars', async () => {
      const result = await connector.execute('SELECT id, payload FROM shop.wide_text ORDER BY id', { ...budget, maxChars: 5_000 });
      expect(result.truncated).toBe(true);
      expect(result.rowCount).toBe(9);
      expect(JSON.stringify(result.rows).length).toBeLessThanOrEqual(5_000);
      expect(result.warning).toMatch(/to stay under 5000 characters/);
    });
  });

  describe('type round trip', () => {
    const cases: [string, string, string, unknown][] = [
      ['smallint', `1::int2`, 'smallint', 1],
      ['integer', `-2::int4`, 'integer', -2],
      ['small bigint', `42::int8`, 'bigint', 42],
      ['bigint beyond 2^53', `9007199254740993::int8`, 'bigint', '9007199254740993'],
      ['numeric keeps its digits', `0.10::numeric(5,2)`, 'numeric(5,2)', '0.10'],
      ['huge numeric', `12345678901234567890.123456789::numeric`, 'numeric', '12345678901234567890.123456789'],
      ['real', `1.5::float4`, 'real', 1.5],
      ['double', `0.1::float8`, 'double precision', 0.1],
      ['infinite double', `'-Infinity'::float8`, 'double precision', '-Infinity'],
      ['NaN', `'NaN'::float8`, 'double precision', 'NaN'],
      ['boolean', `false`, 'boolean', false],
      ['text', `'héllo ☃'::text`, 'text', 'héllo ☃'],
      ['varchar', `'abc'::varchar(5)`, 'character varying(5)', 'abc'],
      ['char keeps its padding', `'a'::char(3)`, 'character(3)', 'a  '],
      ['date', `'2024-02-29'::date`, 'date', '2024-02-29'],
      ['infinite date', `'infinity'::date`, 'date', 'infinity'],
      ['time', `'12:34:56.789'::time`, 'time without time zone', '12:34:56.789'],
      ['time with time zone', `'12:34:56+02'::timetz`, 'time with time zone', '12:34:56+02'],
      ['timestamp with microseconds', `'2024-01-02 03:04:05.123456'::timestamp`, 'timestamp without time zone', '2024-01-02T03:04:05.123456'],
      ['interval', `'1 year 2 mons 3 days 04:05:06'::interval`, 'interval', '1 year 2 mons 3 days 04:05:06'],
      ['bytea as base64', `'\\xdeadbeef'::bytea`, 'bytea', '3q2+7w=='],
      ['uuid', `'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid`, 'uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
      ['json keeps its exact text', `'{"n": 12345678901234567890}'::json`, 'json', '{"n": 12345678901234567890}'],
      ['jsonb', `'{"b": [1, 2], "a": null}'::jsonb`, 'jsonb', '{"a": null, "b": [1, 2]}'],
      ['integer array with NULL', `'{1,NULL,3}'::int4[]`, 'integer[]', [1, null, 3]],
      ['text array with quoting', `ARRAY['a b', 'c"d', NULL, 'NULL', '']`, 'text[]', ['a b', 'c"d', null, 'NULL', '']],
      ['two-dimensional bigint array', `'{{1,9007199254740993},{3,NULL}}'::int8[]`, 'bigint[]', [[1, '9007199254740993'], [3, null]]],
      ['numeric array', `ARRAY[1.10, 2.25]::numeric[]`, 'numeric[]', ['1.10', '2.25']],
      ['date array', `ARRAY['2024-01-01'::date]`, 'date[]', ['2024-01-01']],
      ['enum', `'happy'::shop.mood`, 'shop.mood', 'happy'],
      ['enum array', `ARRAY['ok', 'sad']::shop.mood[]`, 'shop.mood[]', ['ok', 'sad']],
      ['inet', `'192.168.0.1/24'::inet`, 'inet', '192.168.0.1/24'],
      ['point', `point(1, 2)`, 'point', '(1,2)'],
      ['range', `int4range(1, 5)`, 'int4range', '[1,5)'],
      ['record', `ROW(1, 'a b')`, 'record', '(1,"a b")'],
      ['bit string', `B'101'::bit(3)`, 'bit(3)', '101'],
      ['NULL', `NULL::integer`, 'integer', null],
    ];

    it('converts every type to a lossless JSON value', async () => {
      const sql = `SELECT ${cases.map(([, expression], index) => `${expression} AS c${index}`).join(', ')}`;
      const result = await connector.execute(sql, budget);
      const actual = cases.map(([name], index) => [name, result.columns[index]!.type, result.rows[0]![index]]);
      expect(actual).toEqual(cases.map(([name, , type, value]) => [name, type, value]));
    });

    it('writes timestamps with time zone in ISO form', async () => {
      const result = await connector.execute(`SELECT '2024-01-02 03:04:05.5+00'::timestamptz AS t`, budget);
      expect(result.columns).toEqual([{ name: 't', type: 'timestamp with time zone' }]);
      expect(result.rows[0]![0]).toMatch(/^2024-01-0[12]T\d\d:\d\d:05\.5[+-]\d\d(:\d\d)?$/);
    });
  });

  describe('timeout and cancellation', () => {
    it('stops a statement at the timeout, in the server', async () => {
      const started = Date.now();
      const error = await failure(connector.execute(SLOW, { ...budget, timeoutMs: 300 }));
      expect(error.code).toBe('QUERY_TIMEOUT');
      expect(error.message).toBe('The query was stopped after 300 ms (limits.timeout_ms).');
      expect(Date.now() - started).toBeLessThan(3_000);
      await eventually(async () => expect(await runningStatements()).toBe(0));
    });

    it('cancels a running statement with pg_cancel_backend when the caller aborts', async () => {
      const controller = new AbortController();
      const started = Date.now();
      const running = failure(connector.execute(SLOW, { ...budget, timeoutMs: 60_000, signal: controller.signal }));
      let seen = false;
      const watcher = (async () => {
        while (!seen) seen = (await runningStatements()) > 0;
      })();
      await Promise.race([watcher, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      expect(seen).toBe(true);
      controller.abort();
      const error = await running;
      expect(error.code).toBe('QUERY_CANCELLED');
      expect(Date.now() - started).toBeLessThan(10_000);
      await eventually(async () => expect(await runningStatements()).toBe(0));
    });

    it('leaves no statement running when the caller aborts before the statement has started', async () => {
      const controller = new AbortController();
      const running = failure(connector.execute(SLOW, { ...budget, timeoutMs: 60_000, signal: controller.signal }));
      setImmediate(() => controller.abort());
      expect((await running).code).toBe('QUERY_CANCELLED');
      await eventually(async () => expect(await runningStatements()).toBe(0));
    });

    it('refuses to start when already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      expect((await failure(connector.execute('SELECT 1', { ...budget, signal: controller.signal }))).code).toBe('QUERY_CANCELLED');
    });

    it('keeps serving after interruptions', async () => {
      await Promise.all([failure(connector.execute(SLOW, { ...budget, timeoutMs: 200 })), failure(connector.execute(SLOW, { ...budget, timeoutMs: 200 }))]);
      const results = await Promise.all([1, 2, 3, 4].map((n) => connector.execute(`SELECT ${n} AS n`, budget)));
      expect(results.map((result) => result.rows)).toEqual([[[1]], [[2]], [[3]], [[4]]]);
    });
  });

  describe('errors', () => {
    it('names an unknown table and points at the catalog tools', async () => {
      const error = await failure(connector.execute('SELECT * FROM shop.ordrs', budget));
      expect(error.code).toBe('SQL_ERROR');
      expect(error.message).toBe('relation "shop.ordrs" does not exist (at character 15)');
      expect(error.hint).toMatch(/list_tables and describe_table/);
    });

    it('keeps the server hint for an unknown column', async () => {
      const error = await failure(connector.execute('SELECT ammount FROM shop.orders', budget));
      expect(error.message).toBe('column "ammount" does not exist (at character 8)');
      expect(error.hint).toMatch(/^Perhaps you meant to reference the column "orders.amount"\./);
    });

    it('reports a syntax error with its position', async () => {
      const error = await failure(connector.execute('SELECT FROM WHERE', budget));
      expect(error).toMatchObject({ code: 'SQL_ERROR', message: 'syntax error at or near "WHERE" (at character 13)' });
    });

    it('refuses an empty statement', async () => {
      expect((await failure(connector.execute('  -- nothing here\n', budget))).code).toBe('SQL_EMPTY');
    });

    it('says when the server cannot be reached', async () => {
      const unreachable = new PostgresConnector('down', { type: 'postgres', host: '127.0.0.1', port: 1, database: 'x', user: 'x' });
      const error = await failure(unreachable.execute('SELECT 1', budget));
      expect(error.code).toBe('DATASOURCE_UNAVAILABLE');
      expect(error.message).toMatch(/^Datasource "down": cannot reach PostgreSQL: .*ECONNREFUSED/);
      expect(error.hint).toMatch(/datasources\.down/);
      await unreachable.close();
    });
  });

  describe('introspection', () => {
    it('lists tables, views, materialised views and partitioned tables of the configured schemas', async () => {
      const { tables, dialect } = await connector.introspect();
      expect(dialect).toBe('postgres');
      expect(tables.map((table) => [table.name, table.kind, table.rowCount])).toEqual([
        ['shop.completed_orders', 'view', undefined],
        ['shop.customer_revenue', 'view', undefined],
        ['shop.customers', 'table', 100],
        ['shop.events', 'table', 1000],
        ['shop.monthly_revenue', 'view', 12],
        ['shop.order_lines', 'table', 10000],
        ['shop.orders', 'table', 5000],
        ['shop.server_file', 'view', undefined],
        ['shop.wide_text', 'table', 2000],
      ]);
    });

    it('reads columns, types, comments and keys', async () => {
      const { tables } = await connector.introspect();
      const orders = tables.find((table) => table.name === 'shop.orders')!;
      expect(orders).toMatchObject({ catalog: 'stratum_test', schema: 'shop', table: 'orders', comment: 'One row per order', primaryKey: ['order_id'] });
      expect(orders.columns).toEqual([
        { name: 'order_id', type: 'integer', nullable: false, comment: undefined, position: 1 },
        { name: 'customer_id', type: 'integer', nullable: true, comment: undefined, position: 2 },
        { name: 'order_date', type: 'date', nullable: true, comment: undefined, position: 3 },
        { name: 'amount', type: 'numeric(12,2)', nullable: true, comment: 'Order total in USD', position: 4 },
        { name: 'status', type: 'text', nullable: true, comment: undefined, position: 5 },
      ]);
      expect(orders.foreignKeys).toEqual([{ columns: ['customer_id'], referencesTable: 'shop.customers', referencesColumns: ['customer_id'] }]);
      const lines = tables.find((table) => table.name === 'shop.order_lines')!;
      expect(lines.primaryKey).toEqual(['order_id', 'line_no']);
      const view = tables.find((table) => table.name === 'shop.completed_orders')!;
      expect(view.comment).toBe('Orders that were not cancelled');
      expect(view.definition).toMatch(/^SELECT orders\.order_id,[\s\S]*WHERE \(orders\.status = 'completed'::text\);$/);
      expect(tables.find((table) => table.name === 'shop.monthly_revenue')!.comment).toBe('Revenue per calendar month');
    });

    it('without schemas lists every user schema and no system one', async () => {
      const everything = new PostgresConnector('all', { type: 'postgres', url: PG_URL });
      const { tables } = await everything.introspect();
      await everything.close();
      expect(tables.some((table) => table.name === 'shop.orders')).toBe(true);
      expect(tables.filter((table) => /^(pg_catalog|information_schema|pg_toast)\./.test(table.name))).toEqual([]);
    });

    it('samples frequent values of a column', async () => {
      expect(await connector.sampleValues('shop.customers', 'state', 5)).toEqual(['Texas', 'California']);
      expect(await connector.sampleValues('shop.orders', 'status', 1)).toEqual(['completed']);
    });

    it('never samples through a view that calls a refused function', async () => {
      expect((await failure(connector.sampleValues('shop.server_file', 'content', 5))).code).toBe('SQL_FORBIDDEN');
    });
  });

  describe('referenced tables', () => {
    const cases: [string, string, string[]][] = [
      ['sees through a view over a view', 'SELECT * FROM shop.customer_revenue', ['shop.customers', 'shop.orders']],
      ['leaves CTE names out', 'WITH completed AS (SELECT * FROM shop.orders) SELECT count(*) FROM completed', ['shop.orders']],
      ['finds tables in subqueries', 'SELECT name FROM shop.customers WHERE customer_id IN (SELECT customer_id FROM shop.orders WHERE amount > 100)', ['shop.customers', 'shop.orders']],
      ['names a partitioned table, not its partitions', `SELECT count(*) FROM shop.events WHERE happened_at >= '2024-08-01'`, ['shop.events']],
      ['names a materialised view itself', 'SELECT * FROM shop.monthly_revenue', ['shop.monthly_revenue']],
      ['finds none in a constant query', 'SELECT 1', []],
    ];

    it.each(cases)('%s', async (_name, sql, expected) => {
      expect(await connector.referencedTables(sql)).toEqual(expected);
    });
  });

  describe('a subagent scope (shop.orders and shop.order_lines only)', () => {
    const bundle = { name: 'sales', rules: [], tools: ['run_sql'], scope: { tables: ['shop.orders', 'shop.order_lines'] }, examples: [], file: '/sales.yaml' };
    let catalog: CatalogSnapshot;
    beforeAll(async () => {
      catalog = await connector.introspect();
    });
    const check = async (sql: string) => {
      const scope = createToolScope(bundle, { datasource: 'pg', defaultSchema: 'public', catalog: async () => catalog });
      return scope.checkSql(sql, connector).then(
        () => 'allowed',
        (error: unknown) => (error instanceof StratumError ? `${error.code}: ${error.message}` : String(error)),
      );
    };
    const outside = (table: string) => `SCOPE_VIOLATION: The query reads table ${table}, which is outside the "sales" subagent's scope.`;
    const cases: [string, string, string][] = [
      ['allows a scoped table', 'SELECT count(*) FROM shop.orders', 'allowed'],
      ['allows a CTE named like a forbidden table', 'WITH customers AS (SELECT * FROM shop.orders) SELECT count(*) FROM customers', 'allowed'],
      ['allows a view that reads only scoped tables', 'SELECT count(*) FROM shop.completed_orders', 'allowed'],
      ['allows generate_series', 'SELECT count(*) FROM generate_series(1, 3)', 'allowed'],
      ['refuses a forbidden table in a CTE', 'WITH orders AS (SELECT * FROM shop.customers) SELECT * FROM orders', outside('shop.customers')],
      ['refuses a subquery in SELECT', 'SELECT (SELECT max(name) FROM shop.customers) FROM shop.orders', outside('shop.customers')],
      ['refuses LATERAL', 'SELECT * FROM shop.orders o, LATERAL (SELECT name FROM shop.customers c WHERE c.customer_id = o.customer_id) x', outside('shop.customers')],
      ['refuses a view over a forbidden table', 'SELECT * FROM shop.customer_revenue', outside('shop.customers')],
      ['refuses a partitioned table by its own name', 'SELECT count(*) FROM shop.events', outside('shop.events')],
      ['refuses the system catalog', 'SELECT relname FROM pg_catalog.pg_class', 'SCOPE_VIOLATION: The query reads "pg_catalog.pg_class", which is not a table the "sales" subagent may read.'],
      ['refuses information_schema', 'SELECT table_name FROM information_schema.tables', 'SCOPE_VIOLATION: The query reads "pg_catalog.pg_class", which is not a table the "sales" subagent may read.'],
      ['refuses a set-returning function', "SELECT * FROM json_to_recordset('[]') AS x(a int)", 'SCOPE_VIOLATION: The query reads table function json_to_recordset(), which the "sales" subagent\'s scope cannot vouch for.'],
    ];
    it.each(cases)('%s', async (_name, sql, expected) => {
      expect(await check(sql)).toBe(expected);
    });
  });

  it('explains a query with the planner', async () => {
    const { plan } = await connector.explain('SELECT * FROM shop.orders WHERE order_id = 7');
    expect(plan).toMatch(/^Index Scan using orders_pkey on orders/);
  });
});
