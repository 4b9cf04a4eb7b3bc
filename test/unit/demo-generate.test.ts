import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parse } from 'yaml';
import { generateDemoDatabase, type DemoGenerationResult } from '../../src/demo/generate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TABLES = ['categories', 'customers', 'marketing_spend', 'order_items', 'orders', 'payments', 'products', 'regions', 'returns', 'stores'];

type Row = Record<string, unknown>;

interface OpenDatabase {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

async function openReadOnly(file: string): Promise<OpenDatabase> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  return { instance, connection: await instance.connect() };
}

async function rows(database: OpenDatabase, sql: string): Promise<Row[]> {
  const reader = await database.connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Row[];
}

async function single(database: OpenDatabase, sql: string): Promise<Row> {
  const [row] = await rows(database, sql);
  if (!row) throw new Error(`no row from ${sql}`);
  return row;
}

function close(database: OpenDatabase | undefined): void {
  database?.connection.closeSync();
  database?.instance.closeSync();
}

describe('demo database generator', () => {
  let dir: string;
  let first: DemoGenerationResult;
  let second: DemoGenerationResult;
  let progress: string[];
  let db: OpenDatabase;
  let twin: OpenDatabase;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stratum-'));
    progress = [];
    first = await generateDemoDatabase(path.join(dir, 'first.duckdb'), { scale: 0.01, onProgress: (step) => progress.push(step) });
    second = await generateDemoDatabase(path.join(dir, 'second.duckdb'), { scale: 0.01 });
    db = await openReadOnly(first.path);
    twin = await openReadOnly(second.path);
  });

  afterAll(() => {
    close(db);
    close(twin);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports the row count of every table it wrote', async () => {
    expect(Object.keys(first.tables).sort()).toEqual(TABLES);
    for (const table of TABLES) {
      const { n } = await single(db, `SELECT count(*) AS n FROM main.${table}`);
      expect(Number(n), table).toBe(first.tables[table]);
    }
    expect(first.scale).toBe(0.01);
    expect(first.elapsedMs).toBeGreaterThan(0);
  });

  it('scales the fact tables linearly and keeps sensible minimums for dimensions', () => {
    expect(first.tables).toMatchObject({ regions: 4, categories: 24, stores: 12, products: 100, customers: 500, orders: 4000, marketing_spend: 1096 * 20 });
    expect(first.tables.order_items).toBeGreaterThan(8_000);
    expect(first.tables.order_items).toBeLessThan(12_000);
  });

  it('produces identical data when run twice with the same scale', async () => {
    expect(second.tables).toEqual(first.tables);
    for (const table of TABLES) {
      const sql = `SELECT count(*) AS n, CAST(sum(hash(t)) AS VARCHAR) AS fingerprint FROM main.${table} t`;
      const [a, b] = [await single(db, sql), await single(twin, sql)];
      expect(a.fingerprint, table).not.toBeNull();
      expect(b, table).toEqual(a);
    }
  });

  it('reports progress once per table', () => {
    for (const table of TABLES) expect(progress, table).toContain(`loading ${table}`);
  });

  it('declares primary keys on every table and foreign keys between them', async () => {
    const keys = await rows(db, `
      SELECT table_name, constraint_type, array_to_string(constraint_column_names, ',') AS columns,
        coalesce(referenced_table, '') AS referenced_table, array_to_string(referenced_column_names, ',') AS referenced_columns
      FROM duckdb_constraints()
      WHERE database_name = 'first' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
      ORDER BY ALL`);
    const described = keys.map((k) => k.constraint_type === 'PRIMARY KEY'
      ? `${k.table_name}(${k.columns})`
      : `${k.table_name}.${k.columns} -> ${k.referenced_table}.${k.referenced_columns}`);
    expect(described).toEqual([
      'categories(category_id)',
      'customers.region_id -> regions.region_id',
      'customers(customer_id)',
      'marketing_spend.region_id -> regions.region_id',
      'marketing_spend(spend_date,channel,region_id)',
      'order_items.order_id -> orders.order_id',
      'order_items.product_id -> products.product_id',
      'order_items(order_item_id)',
      'orders.customer_id -> customers.customer_id',
      'orders.store_id -> stores.store_id',
      'orders(order_id)',
      'payments.order_id -> orders.order_id',
      'payments(payment_id)',
      'products.category_id -> categories.category_id',
      'products(product_id)',
      'regions(region_id)',
      'returns.order_item_id -> order_items.order_item_id',
      'returns(return_id)',
      'stores.region_id -> regions.region_id',
      'stores(store_id)',
    ]);
  });

  it('comments every table and every column with its business meaning', async () => {
    const tables = await rows(db, `SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'first' ORDER BY table_name`);
    expect(tables.map((t) => t.table_name)).toEqual(TABLES);
    for (const table of tables) expect(String(table.comment ?? '').length, String(table.table_name)).toBeGreaterThan(20);

    const undocumented = await rows(db, `
      SELECT table_name || '.' || column_name AS name FROM duckdb_columns()
      WHERE database_name = 'first' AND coalesce(comment, '') = ''`);
    expect(undocumented).toEqual([]);
    const { comment } = await single(db, `SELECT comment FROM duckdb_columns() WHERE table_name = 'order_items' AND column_name = 'line_total'`);
    expect(comment).toBe('Line revenue after discounts, in USD: quantity * unit_price - discount_amount.');
  });

  it('makes every line_total exactly quantity * unit_price - discount_amount', async () => {
    const { broken, lines } = await single(db, `
      SELECT count(*) FILTER (WHERE line_total <> quantity * unit_price - discount_amount) AS broken, count(*) AS lines
      FROM main.order_items`);
    expect(Number(lines)).toBe(first.tables.order_items);
    expect(Number(broken)).toBe(0);
  });

  it('pays every order that was not cancelled exactly once, for its line total', async () => {
    const check = await single(db, `
      WITH totals AS (SELECT order_id, sum(line_total) AS total FROM main.order_items GROUP BY order_id)
      SELECT
        count(*) FILTER (WHERE o.status <> 'cancelled') AS payable_orders,
        count(p.payment_id) AS payments,
        count(*) FILTER (WHERE o.status = 'cancelled' AND p.payment_id IS NOT NULL) AS paid_cancelled,
        count(*) FILTER (WHERE p.payment_id IS NOT NULL AND p.amount <> t.total) AS wrong_amounts
      FROM main.orders o
      JOIN totals t USING (order_id)
      LEFT JOIN main.payments p USING (order_id)`);
    expect(Number(check.payments)).toBe(first.tables.payments);
    expect(Number(check.payable_orders)).toBe(first.tables.payments);
    expect(Number(check.paid_cancelled)).toBe(0);
    expect(Number(check.wrong_amounts)).toBe(0);
    const { orders_without_lines } = await single(db, `
      SELECT count(*) AS orders_without_lines FROM main.orders o WHERE NOT EXISTS (SELECT 1 FROM main.order_items i WHERE i.order_id = o.order_id)`);
    expect(Number(orders_without_lines)).toBe(0);
  });

  it('keeps every business date between 2023-01-01 and 2025-12-31', async () => {
    const ranges = await rows(db, `
      SELECT 'orders' AS source, min(order_date) AS first_day, max(order_date) AS last_day FROM main.orders
      UNION ALL SELECT 'order_ts', min(order_ts)::DATE, max(order_ts)::DATE FROM main.orders
      UNION ALL SELECT 'order_items', min(order_date), max(order_date) FROM main.order_items
      UNION ALL SELECT 'payments', min(payment_date), max(payment_date) FROM main.payments
      UNION ALL SELECT 'returns', min(return_date), max(return_date) FROM main.returns
      UNION ALL SELECT 'marketing_spend', min(spend_date), max(spend_date) FROM main.marketing_spend`);
    for (const range of ranges) {
      expect((range.first_day as Date).toISOString().slice(0, 10) >= '2023-01-01', String(range.source)).toBe(true);
      expect((range.last_day as Date).toISOString().slice(0, 10) <= '2025-12-31', String(range.source)).toBe(true);
    }
    const orders = ranges.find((range) => range.source === 'orders');
    expect((orders?.first_day as Date).toISOString().slice(0, 10)).toBe('2023-01-01');
    expect((orders?.last_day as Date).toISOString().slice(0, 10)).toBe('2025-12-31');
  });

  it('never sells before a customer signed up, a product launched or a store opened', async () => {
    const { impossible } = await single(db, `
      SELECT count(*) AS impossible
      FROM main.order_items i
      JOIN main.orders o USING (order_id)
      JOIN main.customers c USING (customer_id)
      JOIN main.products p ON p.product_id = i.product_id
      JOIN main.stores s ON s.store_id = o.store_id
      WHERE c.signup_date > o.order_date OR p.launched_date > o.order_date OR s.opened_date > o.order_date
        OR i.order_date <> o.order_date`);
    expect(Number(impossible)).toBe(0);
  });

  it('cancels 3-8% of orders and sees 3-6% of order lines returned', async () => {
    const { cancelled_share, returned_share } = await single(db, `
      SELECT
        (SELECT avg(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) FROM main.orders) AS cancelled_share,
        (SELECT count(*) FROM main.returns) / (SELECT count(*) FROM main.order_items) AS returned_share`);
    expect(Number(cancelled_share)).toBeGreaterThan(0.03);
    expect(Number(cancelled_share)).toBeLessThan(0.08);
    expect(Number(returned_share)).toBeGreaterThan(0.03);
    expect(Number(returned_share)).toBeLessThan(0.06);
  });

  it('grows revenue every year and peaks in the fourth quarter', async () => {
    const years = await rows(db, `
      SELECT year(order_date) AS year, sum(line_total) AS revenue FROM main.order_items GROUP BY 1 ORDER BY 1`);
    const revenue = years.map((y) => Number(y.revenue));
    expect(revenue).toHaveLength(3);
    expect(revenue[1]).toBeGreaterThan(revenue[0]!);
    expect(revenue[2]).toBeGreaterThan(revenue[1]!);
    const [peak] = await rows(db, `SELECT quarter(order_date) AS q FROM main.orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
    expect(Number(peak?.q)).toBe(4);
  });

  it('runs every verified query of the Cortex model and returns rows', async () => {
    const model = parse(fs.readFileSync(path.join(ROOT, 'semantic_models/retail_cortex.yaml'), 'utf8')) as { verified_queries: Array<{ name: string; sql: string }> };
    expect(model.verified_queries.length).toBeGreaterThanOrEqual(3);
    for (const query of model.verified_queries) {
      const result = await rows(db, query.sql);
      expect(result.length, query.name).toBeGreaterThan(0);
    }
  });

  it('maps every MetricFlow entity, dimension and measure onto SQL that runs on its table', async () => {
    type Element = { name: string; expr?: string };
    type SemanticModel = { name: string; model: string; entities?: Element[]; dimensions?: Element[]; measures?: Element[] };
    type Metric = { name: string; type: string; type_params: { measure?: string | { name: string }; numerator?: string; denominator?: string; metrics?: Array<{ name: string }> } };
    const spec = parse(fs.readFileSync(path.join(ROOT, 'semantic_models/retail.yml'), 'utf8')) as { semantic_models: SemanticModel[]; metrics: Metric[] };
    const measures = new Set<string>();
    for (const model of spec.semantic_models) {
      const table = /^ref\('(\w+)'\)$/.exec(model.model)?.[1];
      expect(TABLES, model.name).toContain(table);
      for (const element of [...(model.entities ?? []), ...(model.dimensions ?? []), ...(model.measures ?? [])]) {
        await expect(rows(db, `SELECT ${element.expr ?? element.name} FROM main.${table} LIMIT 1`), `${model.name}.${element.name}`).resolves.toBeDefined();
      }
      for (const measure of model.measures ?? []) measures.add(measure.name);
    }
    const metrics = new Set(spec.metrics.map((metric) => metric.name));
    for (const metric of spec.metrics) {
      const { measure, numerator, denominator, metrics: inputs } = metric.type_params;
      if (measure) expect(measures, metric.name).toContain(typeof measure === 'string' ? measure : measure.name);
      for (const input of [numerator, denominator, ...(inputs ?? []).map((i) => i.name)]) if (input) expect(metrics, metric.name).toContain(input);
    }
  });

  it('maps every Cortex logical column, metric, filter and relationship onto the generated tables', async () => {
    type Column = { name: string; expr: string };
    type Table = { name: string; base_table: { database: string; schema: string; table: string }; primary_key: { columns: string[] }; dimensions?: Column[]; time_dimensions?: Column[]; facts?: Column[]; metrics?: Column[]; filters?: Column[] };
    type Relationship = { left_table: string; right_table: string; relationship_columns: Array<{ left_column: string; right_column: string }> };
    const model = parse(fs.readFileSync(path.join(ROOT, 'semantic_models/retail_cortex.yaml'), 'utf8')) as { tables: Table[]; relationships: Relationship[] };
    const logical = new Map<string, Table>();
    for (const table of model.tables) {
      expect(table.base_table, table.name).toMatchObject({ database: 'demo', schema: 'main' });
      const physical = `main.${table.base_table.table}`;
      logical.set(table.name, table);
      const columns = [...(table.dimensions ?? []), ...(table.time_dimensions ?? []), ...(table.facts ?? [])];
      for (const column of columns) await expect(rows(db, `SELECT ${column.expr} FROM ${physical} LIMIT 1`), `${table.name}.${column.name}`).resolves.toBeDefined();
      for (const metric of table.metrics ?? []) await expect(rows(db, `SELECT ${metric.expr} FROM ${physical}`), `${table.name}.${metric.name}`).resolves.toBeDefined();
      for (const filter of table.filters ?? []) await expect(rows(db, `SELECT count(*) FROM ${physical} WHERE ${filter.expr}`), `${table.name}.${filter.name}`).resolves.toBeDefined();
      await expect(rows(db, `SELECT ${table.primary_key.columns.join(', ')} FROM ${physical} LIMIT 1`), table.name).resolves.toBeDefined();
    }
    for (const relationship of model.relationships) {
      const [left, right] = [logical.get(relationship.left_table), logical.get(relationship.right_table)];
      expect(left && right, `${relationship.left_table} -> ${relationship.right_table}`).toBeTruthy();
      for (const { left_column, right_column } of relationship.relationship_columns) {
        const { orphans } = await single(db, `
          SELECT count(*) AS orphans FROM main.${left!.base_table.table} l
          WHERE NOT EXISTS (SELECT 1 FROM main.${right!.base_table.table} r WHERE r.${right_column} = l.${left_column})`);
        expect(Number(orphans), `${relationship.left_table}.${left_column}`).toBe(0);
      }
    }
  });

  it('runs every example of the finance subagent and returns rows', async () => {
    const subagent = parse(fs.readFileSync(path.join(ROOT, 'subagents/finance.yaml'), 'utf8')) as { examples: Array<{ question: string; sql: string }> };
    expect(subagent.examples.length).toBeGreaterThanOrEqual(2);
    for (const example of subagent.examples) {
      const result = await rows(db, example.sql);
      expect(result.length, example.question).toBeGreaterThan(0);
    }
  });

  it('replaces an existing database file and its WAL', async () => {
    const file = path.join(dir, 'stale.duckdb');
    fs.writeFileSync(file, 'not a database');
    fs.writeFileSync(`${file}.wal`, 'stale wal');
    const result = await generateDemoDatabase(file, { scale: 0.002 });
    expect(fs.existsSync(`${file}.wal`)).toBe(false);
    const stale = await openReadOnly(file);
    try {
      const { n } = await single(stale, 'SELECT count(*) AS n FROM main.orders');
      expect(Number(n)).toBe(result.tables.orders);
    } finally {
      close(stale);
    }
  });
});
