import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogTable } from '../../src/connectors/index.js';
import { DuckDBConnector } from '../../src/connectors/duckdb/connector.js';
import { readsOfParseTree } from '../../src/connectors/duckdb/references.js';
import { formatProblem } from '../../src/semantic/index.js';
import { checkAgainstCatalog, createToolScope, loadSubagentFile, loadSubagents, resolveTable, tableMatcher } from '../../src/subagents/index.js';
import { createShopDatabase, tempDir } from '../helpers/fixture.js';

const table = (catalog: string, schema: string, name: string, qualified = `${schema}.${name}`): CatalogTable => ({
  name: qualified,
  catalog,
  schema,
  table: name,
  kind: 'table',
  comment: undefined,
  rowCount: undefined,
  columns: [],
  primaryKey: [],
  foreignKeys: [],
});

describe('table patterns', () => {
  it('matches exact names and globs, ignoring case', () => {
    const allows = tableMatcher(['main.orders', 'main.payment*'], 'main');
    expect(['main.orders', 'MAIN.Orders', 'main.payments', 'main.payment_methods'].map(allows)).toEqual([true, true, true, true]);
    expect(['main.order_items', 'main.customers', 'other.orders', 'main.xpayments'].map(allows)).toEqual([false, false, false, false]);
  });

  it('reads an unqualified pattern in the default schema only', () => {
    const allows = tableMatcher(['orders'], 'public');
    expect([allows('public.orders'), allows('main.orders'), allows('sales.orders')]).toEqual([true, false, false]);
  });

  it('treats regex characters in patterns literally', () => {
    const allows = tableMatcher(['main.a+b', 'main.x.y'], 'main');
    expect([allows('main.a+b'), allows('main.aab'), allows('main.x.y'), allows('main.xzy')]).toEqual([true, false, true, false]);
  });

  it('matches catalog-prefixed names by their schema.table', () => {
    expect(tableMatcher(['main.orders'], 'main')('shop.main.orders')).toBe(true);
  });

  it('allows every table without patterns and none with an empty list', () => {
    expect(tableMatcher(undefined, 'main')('any.thing')).toBe(true);
    expect(tableMatcher([], 'main')('main.orders')).toBe(false);
  });
});

describe('resolving a reference the way the engine binds it', () => {
  const tables = [table('shop', 'main', 'orders'), table('shop', 'sales', 'orders'), table('shop', 'main', 'Customers')];

  it('puts a bare name in the default schema', () => {
    expect(resolveTable({ table: 'ORDERS' }, tables, 'main')?.name).toBe('main.orders');
    expect(resolveTable({ table: 'customers' }, tables, 'main')?.name).toBe('main.Customers');
  });

  it('reads schema.table, then catalog.table in the default schema', () => {
    expect(resolveTable({ schema: 'sales', table: 'orders' }, tables, 'main')?.name).toBe('sales.orders');
    expect(resolveTable({ schema: 'shop', table: 'orders' }, tables, 'main')?.name).toBe('main.orders');
    expect(resolveTable({ catalog: 'shop', schema: 'sales', table: 'orders' }, tables, 'main')?.name).toBe('sales.orders');
  });

  it('resolves nothing outside the catalog', () => {
    expect(resolveTable({ schema: 'information_schema', table: 'tables' }, tables, 'main')).toBeUndefined();
    expect(resolveTable({ catalog: 'system', schema: 'main', table: 'orders' }, tables, 'main')).toBeUndefined();
    expect(resolveTable({ table: 'duckdb_tables' }, tables, 'main')).toBeUndefined();
  });
});

describe('CTE names in the parse tree', () => {
  let connector: DuckDBConnector;
  beforeAll(() => {
    connector = new DuckDBConnector('memory', { type: 'duckdb', path: ':memory:' });
  });
  afterAll(() => connector.close());
  const tablesOf = async (sql: string) => readsOfParseTree(await connector.parse(sql)).tables.map((reference) => [reference.catalog, reference.schema, reference.table].filter(Boolean).join('.'));

  it('hides a table only inside the query that defines the CTE', async () => {
    expect(await tablesOf('WITH b AS (SELECT 1) SELECT * FROM b')).toEqual([]);
    expect(await tablesOf('SELECT * FROM (WITH b AS (SELECT 1) SELECT * FROM b) t, b')).toEqual(['b']);
    expect(await tablesOf('WITH b AS (SELECT 1) SELECT (SELECT count(*) FROM b), * FROM (SELECT * FROM b)')).toEqual([]);
  });

  it("counts a CTE's own name inside its body as the table, unless the CTE is recursive", async () => {
    expect(await tablesOf('WITH b AS (SELECT * FROM b) SELECT * FROM b')).toEqual(['b']);
    expect(await tablesOf('WITH RECURSIVE b AS (SELECT * FROM b) SELECT * FROM b')).toEqual(['b']);
    expect(await tablesOf('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r')).toEqual([]);
  });

  it('lets a CTE see the ones before it, not the ones after it', async () => {
    expect(await tablesOf('WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b')).toEqual([]);
    expect(await tablesOf('WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a')).toEqual(['b']);
  });

  it('never takes a qualified name for a CTE', async () => {
    expect(await tablesOf('WITH orders AS (SELECT 1) SELECT * FROM main.orders')).toEqual(['main.orders']);
  });
});

describe('loading bundles', () => {
  it('reads the demo finance subagent', () => {
    const [entry] = loadSubagents([join(process.cwd(), 'subagents')]);
    expect(entry!.problems).toEqual([]);
    expect(entry!.bundle).toMatchObject({
      name: 'finance',
      tools: ['search_tables', 'load_semantic_model', 'generate_sql', 'run_sql', 'record_feedback'],
      scope: { datasource: 'demo', tables: ['main.orders', 'main.order_items', 'main.payment*', 'main.returns', 'main.products', 'main.categories'], semantic_models: ['retail'], metrics: ['revenue', 'refund_rate'] },
      defaultStrategy: 'semantic_model',
    });
    expect(entry!.bundle.examples.map((example) => example.question)).toEqual(['Revenue by month in 2025', 'Refund rate by quarter in 2025', 'Gross margin by department in 2025']);
  });

  it('reports each structural problem at its file:line:col', () => {
    const text = ['name: bad name', 'tools: run_sql', 'scope:', '  tables: [main.orders, 3]', '  metric: [revenue]', 'default_strategy: magic', 'examples:', '  - sql: SELECT 1', 'instruction: hi', ''].join('\n');
    const [entry] = loadSubagentFile('/w/subagents/bad.yaml', text);
    expect(entry!.problems.map((problem) => formatProblem(problem))).toEqual([
      '/w/subagents/bad.yaml:9:1: error: Unknown key "instruction". Did you mean "instructions"? (Known keys: name, description, instructions, rules, tools, scope, examples, default_strategy.)',
      '/w/subagents/bad.yaml:1:7: error: Subagent name "bad name" is not a simple name. (Use letters, digits, - and _, starting with a letter (it becomes a URL path and a prompt name).)',
      '/w/subagents/bad.yaml:2:8: error: "tools" must be a list of text. (Write it as [a, b] or one "- item" per line.)',
      '/w/subagents/bad.yaml:5:3: error: Unknown key "scope.metric". Did you mean "metrics"? (Known keys: datasource, tables, semantic_models, metrics.)',
      '/w/subagents/bad.yaml:4:25: error: "scope.tables" item 2 must be non-empty text.',
      '/w/subagents/bad.yaml:8:5: error: Example 1 has no "question".',
      '/w/subagents/bad.yaml:6:19: error: default_strategy "magic" is not one of auto, schema_linking, semantic_model.',
    ]);
  });

  it('reports YAML syntax errors and duplicate names across files', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'subagents'));
    writeFileSync(join(dir, 'subagents', 'a.yaml'), 'name: finance\ntools: [run_sql]\nscope: {}\n');
    writeFileSync(join(dir, 'subagents', 'b.yaml'), 'name: Finance\ntools: [run_sql]\nscope: {}\n');
    writeFileSync(join(dir, 'subagents', 'c.yml'), 'name: [unclosed\n');
    const problems = loadSubagents([join(dir, 'subagents')]).flatMap((entry) => entry.problems.map((problem) => `${problem.code} ${problem.location?.line}`));
    expect(problems).toEqual(['duplicate_name 1', 'yaml_syntax 2']);
  });
});

describe('checking a bundle against the catalog', () => {
  let connector: DuckDBConnector;
  beforeAll(async () => {
    const { databasePath } = await createShopDatabase(tempDir());
    connector = new DuckDBConnector('shop', { type: 'duckdb', path: databasePath });
  });
  afterAll(() => connector.close());

  it('flags table patterns that match nothing and examples that leave the scope', async () => {
    const text = [
      'name: sales',
      'tools: [run_sql]',
      'scope:',
      '  tables: [main.orders, main.order, "main.zzz*"]',
      'examples:',
      '  - question: Orders by state',
      '    sql: SELECT state, count(*) FROM orders JOIN customers USING (customer_id) GROUP BY 1',
      '  - question: How many orders?',
      '    sql: SELECT count(*) FROM orders',
      '',
    ].join('\n');
    const [entry] = loadSubagentFile('/w/sales.yaml', text);
    const snapshot = await connector.introspect();
    const scope = createToolScope(entry!.bundle, { datasource: 'shop', defaultSchema: 'main', catalog: async () => snapshot });
    const problems = await checkAgainstCatalog(entry!, snapshot.tables, 'main', (sql) => scope.checkSql(sql, connector));
    expect(problems.map((problem) => formatProblem(problem))).toEqual([
      '/w/sales.yaml:4:25: error: Table pattern "main.order" matches no table of the datasource. Did you mean "main.orders"? (Write schema.table names as list_tables shows them; * matches any run of characters.)',
      '/w/sales.yaml:4:37: error: Table pattern "main.zzz*" matches no table of the datasource. (Write schema.table names as list_tables shows them; * matches any run of characters.)',
      '/w/sales.yaml:7:10: error: Example 1 ("Orders by state") does not run in the subagent\'s scope: The query reads table main.customers, which is outside the "sales" subagent\'s scope. (The "sales" subagent may read: main.orders, main.order, main.zzz* (list_tables shows them).)',
    ]);
  });
});
