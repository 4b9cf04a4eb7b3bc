import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { startV2Client, type StartedClient } from '../helpers/clients.js';
import { tempDir } from '../helpers/fixture.js';
import { createSubagentWorkspace } from '../helpers/subagents.js';

type ToolResult = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

const outside = (table: string) => `Error [SCOPE_VIOLATION]: The query reads table ${table}, which is outside the "sales" subagent's scope.`;
const notATable = (name: string) => `Error [SCOPE_VIOLATION]: The query reads "${name}", which is not a table the "sales" subagent may read.`;
const opaque = (what: string) => `Error [SCOPE_VIOLATION]: The query reads ${what}, which the "sales" subagent's scope cannot vouch for.`;

/** [what it tries, SQL, the first line of the refusal] */
const ESCAPES: [string, string, string][] = [
  ['an unqualified forbidden table', 'SELECT * FROM customers', outside('main.customers')],
  ['a qualified forbidden table', 'SELECT * FROM main.customers', outside('main.customers')],
  ['a quoted, case-variant name', 'SELECT * FROM "Customers"', outside('main.customers')],
  ['an upper-case qualified name', 'SELECT * FROM MAIN.CUSTOMERS', outside('main.customers')],
  ['a catalog-qualified name', 'SELECT * FROM shop.main.customers', outside('main.customers')],
  ['catalog.table without the schema', 'SELECT * FROM shop.customers', outside('main.customers')],
  ['FROM-first syntax', 'FROM customers', outside('main.customers')],
  ['a join', 'SELECT * FROM orders JOIN customers USING (customer_id)', outside('main.customers')],
  ['a CTE named like an allowed table reading a forbidden one', 'WITH orders AS (SELECT * FROM customers) SELECT * FROM orders', outside('main.customers')],
  ['a CTE named like the forbidden table it reads', 'WITH customers AS (SELECT * FROM customers) SELECT * FROM customers', outside('main.customers')],
  ['a CTE defined in a subquery, shadowing nothing outside it', 'SELECT * FROM (WITH customers AS (SELECT 1 AS x) SELECT * FROM customers) t, customers', outside('main.customers')],
  ['a CTE of one UNION branch used in the other', 'SELECT 1 AS x FROM orders UNION ALL (WITH customers AS (SELECT 1 AS x) SELECT x FROM customers) UNION ALL SELECT customer_id FROM customers', outside('main.customers')],
  ['a recursive CTE reading a forbidden table', 'WITH RECURSIVE r AS (SELECT customer_id FROM customers) SELECT * FROM r', outside('main.customers')],
  ['a subquery in SELECT', 'SELECT (SELECT max(name) FROM customers) AS n FROM orders LIMIT 1', outside('main.customers')],
  ['a subquery in WHERE', "SELECT * FROM orders WHERE customer_id IN (SELECT customer_id FROM customers WHERE state = 'Texas')", outside('main.customers')],
  ['an EXISTS subquery', 'SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id)', outside('main.customers')],
  ['a subquery in ORDER BY', 'SELECT order_id FROM orders ORDER BY (SELECT count(*) FROM wide_text) LIMIT 1', outside('main.wide_text')],
  ['UNION', 'SELECT order_id FROM orders UNION SELECT customer_id FROM customers', outside('main.customers')],
  ['LATERAL', 'SELECT * FROM orders o, LATERAL (SELECT name FROM customers c WHERE c.customer_id = o.customer_id) x', outside('main.customers')],
  ['a subquery inside a generator argument', 'SELECT * FROM unnest((SELECT list(name) FROM customers))', outside('main.customers')],
  ['a named WINDOW', 'SELECT row_number() OVER w AS n FROM orders WINDOW w AS (ORDER BY (SELECT max(name) FROM customers))', outside('main.customers')],
  ['QUALIFY', 'SELECT order_id FROM orders QUALIFY row_number() OVER () < (SELECT count(*) FROM customers)', outside('main.customers')],
  ['an aggregate FILTER', 'SELECT count(*) FILTER (WHERE customer_id IN (SELECT customer_id FROM customers)) FROM orders', outside('main.customers')],
  ['a lambda', 'SELECT list_transform([1], x -> (SELECT max(name) FROM customers)) AS l', outside('main.customers')],
  ['VALUES', 'VALUES ((SELECT max(name) FROM customers))', outside('main.customers')],
  ['UNPIVOT', 'SELECT * FROM (UNPIVOT customers ON name, state INTO NAME k VALUE v)', outside('main.customers')],
  ['POSITIONAL JOIN', 'SELECT * FROM orders POSITIONAL JOIN customers', outside('main.customers')],
  ['a subquery aliased like an allowed table', 'SELECT * FROM (SELECT * FROM customers) AS orders', outside('main.customers')],
  ['a file path (replacement scan)', "SELECT * FROM 'customers.csv'", notATable('customers.csv')],
  ['DESCRIBE of a forbidden table', 'DESCRIBE customers', outside('main.customers')],
  ['SUMMARIZE of a forbidden table', 'SUMMARIZE customers', outside('main.customers')],
  ['the catalog function duckdb_tables()', 'SELECT * FROM duckdb_tables()', opaque('table function duckdb_tables()')],
  ['the catalog view duckdb_tables', 'SELECT * FROM duckdb_tables', notATable('duckdb_tables')],
  ['information_schema.tables', 'SELECT table_name FROM information_schema.tables', notATable('information_schema.tables')],
  ['information_schema.columns', 'SELECT * FROM information_schema.columns', notATable('information_schema.columns')],
  ['sqlite_master', 'SELECT * FROM sqlite_master', notATable('sqlite_master')],
  ['pg_catalog', 'SELECT * FROM pg_catalog.pg_tables', notATable('pg_catalog.pg_tables')],
  ['SHOW TABLES', 'SHOW TABLES', opaque('SHOW tables')],
  ['query_table()', "SELECT * FROM query_table('customers')", opaque('table function query_table()')],
  ['query()', "SELECT * FROM query('SELECT * FROM customers')", opaque('table function query()')],
  ['a table macro of the database', "SELECT * FROM customers_of('Texas')", opaque('table function customers_of()')],
  ['a scalar macro that reads a table', 'SELECT first_customer_name()', opaque('function first_customer_name() (it reads tables)')],
  ['a system macro that reads the catalog', 'SELECT pg_get_viewdef(1)', opaque('function pg_get_viewdef() (it reads tables)')],
];

/** [what it does, SQL, rows] */
const ALLOWED: [string, string, unknown[][]][] = [
  ['an unqualified allowed table', 'SELECT count(*) AS n FROM orders', [[5000]]],
  ['a quoted, upper-case allowed table', 'SELECT count(*) AS n FROM "ORDERS"', [[5000]]],
  ['a catalog-qualified allowed table', 'SELECT count(*) AS n FROM shop.main.orders', [[5000]]],
  ['a view matched by a glob', 'SELECT count(*) AS n FROM main.completed_orders', [[4750]]],
  ['a CTE named like a forbidden table', 'WITH customers AS (SELECT order_id FROM orders) SELECT count(*) AS n FROM customers', [[5000]]],
  ['a recursive CTE', 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT count(*) AS n FROM r', [[3]]],
  ['a subquery in WHERE over allowed tables', "SELECT count(*) AS n FROM orders WHERE order_id IN (SELECT order_id FROM completed_orders) AND status = 'cancelled'", [[0]]],
  ['LATERAL over an allowed table', 'SELECT x.double_amount FROM orders o, LATERAL (SELECT o.amount * 2 AS double_amount) x ORDER BY o.order_id LIMIT 1', [['2.50']]],
  ['a generator table function', 'SELECT sum(range) AS n FROM range(4)', [[6]]],
  ['scalar built-in functions', "SELECT upper('x') AS u, length('abc') AS l", [['X', 3]]],
  ['UNION of allowed tables', "SELECT count(*) AS n FROM (SELECT order_id FROM orders UNION SELECT order_id FROM completed_orders)", [[5000]]],
];

let dir: string;
let configPath: string;
let started: StartedClient<Client>;

beforeAll(async () => {
  dir = tempDir();
  ({ configPath } = await createSubagentWorkspace(dir));
  started = await startV2Client(configPath, 'modern', undefined, { args: ['--subagent', 'sales'] });
});

afterAll(async () => {
  await started?.close();
});

const call = async (name: string, args: Record<string, unknown>) => (await started.client.callTool({ name, arguments: args })) as ToolResult;
const firstLine = (result: ToolResult) => result.content[0]!.text.split('\n')[0];

describe('stratum serve --subagent: run_sql keeps to the scope (v2 client over stdio)', () => {
  it.each(ESCAPES)('refuses %s', async (_what, sql, refusal) => {
    const result = await call('run_sql', { sql });
    expect(result.isError).toBe(true);
    expect(firstLine(result)).toBe(refusal);
  });

  it('says which tables the subagent may read when it refuses', async () => {
    const result = await call('run_sql', { sql: 'SELECT * FROM customers' });
    expect(result.content[0]!.text.split('\n')[1]).toBe('Hint: The "sales" subagent may read: main.orders, main.completed_* (list_tables shows them).');
  });

  it.each(ALLOWED)('runs %s', async (_what, sql, rows) => {
    const result = await call('run_sql', { sql });
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent?.rows).toEqual(rows);
  });

  it.each([
    ['a write', 'DELETE FROM customers WHERE no_such_column = 1'],
    ['EXPLAIN', 'EXPLAIN SELECT * FROM customers'],
    ['PRAGMA', "PRAGMA table_info('customers')"],
  ])('refuses %s from the parse alone, before anything binds it', async (_what, sql) => {
    const result = await call('run_sql', { sql });
    expect(firstLine(result)).toBe('Error [SQL_NOT_READ_ONLY]: Only read-only queries are allowed here; this statement is not a query.');
  });

  it('checks the scope before binding, so errors reveal nothing of a forbidden table', async () => {
    for (const sql of ['SELECT no_such_column FROM customers', 'SELECT name FROM customers']) {
      expect(firstLine(await call('run_sql', { sql }))).toBe(outside('main.customers'));
    }
  });

  it('refuses stacked statements', async () => {
    const result = await call('run_sql', { sql: 'SELECT 1 FROM orders; SELECT * FROM customers' });
    expect(firstLine(result)).toBe('Error [SQL_MULTIPLE_STATEMENTS]: Only one statement per call is allowed; found 2.');
  });

  it('refuses another datasource', async () => {
    const result = await call('run_sql', { sql: 'SELECT 1', datasource: 'other' });
    expect(firstLine(result)).toBe('Error [SCOPE_VIOLATION]: Datasource "other" is outside the "sales" subagent\'s scope.');
  });
});

describe('stratum serve --subagent: every tool keeps to the scope', () => {
  it('lists only the allowed tools, and a tool outside the list cannot be called', async () => {
    const { tools } = await started.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['describe_table', 'list_tables', 'record_feedback', 'run_sql', 'search_tables']);
    await expect(started.client.callTool({ name: 'generate_sql', arguments: { metrics: ['revenue'] } })).rejects.toThrow('Tool generate_sql not found');
  });

  it('lists only the tables in scope', async () => {
    const result = await call('list_tables', {});
    expect((result.structuredContent?.tables as { name: string }[]).map((table) => table.name)).toEqual(['main.completed_orders', 'main.orders']);
  });

  it('describes a table in scope, without naming tables outside it', async () => {
    const result = await call('describe_table', { table: 'ORDERS' });
    expect(result.structuredContent?.name).toBe('main.orders');
    expect(result.structuredContent?.referenced_by).toEqual([]);
  });

  it('refuses to describe a table outside the scope, suggesting only tables in it', async () => {
    const result = await call('describe_table', { table: 'customers' });
    expect(result.content[0]!.text).toBe('Error [SCOPE_VIOLATION]: Table "customers" is not in the "sales" subagent\'s scope.\nHint: Tables in scope: main.completed_orders, main.orders.');
    const close = await call('describe_table', { table: 'main.order' });
    expect(firstLine(close)).toBe('Error [SCOPE_VIOLATION]: Table "main.order" is not in the "sales" subagent\'s scope. Did you mean "main.orders"?');
  });

  it('searches only the tables in scope', async () => {
    const result = await call('search_tables', { query: 'customer names and their state' });
    const names = (result.structuredContent?.tables as { name: string }[]).map((table) => table.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => ['main.orders', 'main.completed_orders'].includes(name))).toBe(true);
    expect(JSON.stringify(result.structuredContent)).not.toContain('main.customers');
  });

  it('tags feedback with the subagent and refuses another subagent name or out-of-scope SQL', async () => {
    const stored = await call('record_feedback', { question: 'How many orders?', sql: 'SELECT count(*) FROM orders', rating: 'up' });
    expect(stored.isError ?? false).toBe(false);
    const other = await call('record_feedback', { question: 'q', rating: 'up', subagent: 'finance' });
    expect(firstLine(other)).toBe('Error [SCOPE_VIOLATION]: This server is the "sales" subagent; feedback cannot be recorded for "finance".');
    const escaping = await call('record_feedback', { question: 'q', rating: 'up', corrected_sql: 'SELECT * FROM customers' });
    expect(firstLine(escaping)).toBe(outside('main.customers'));
  });
});
