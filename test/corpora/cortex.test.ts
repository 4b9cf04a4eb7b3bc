import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { isCortexDocument, parseCortex } from '../../src/semantic/cortex/index.js';
import type { SemanticModel } from '../../src/semantic/ir.js';
import { parseYamlFile } from '../../src/semantic/yaml.js';

const corpora = process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../../shared/corpora/', import.meta.url));
const present = existsSync(join(corpora, 'cortex_analyst'));
const missing = `Corpora not found at ${corpora} (no cortex_analyst/ there). Set STRATUM_CORPORA to the shared corpora folder.`;
const projectModel = fileURLToPath(new URL('../../semantic_models/retail_cortex.yaml', import.meta.url));
const OPTIONS = { refs: {}, placeholders: {}, defaultSchema: 'main' };

function parseFile(path: string): SemanticModel {
  return parseCortex({ path, text: readFileSync(path, 'utf8') }, OPTIONS);
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The registry's sniff: a Cortex document, or a file strict YAML refuses whose top level has `tables:`. */
function looksLikeCortex(path: string): boolean {
  const text = readFileSync(path, 'utf8');
  const { documents } = parseYamlFile(path, text);
  return documents.some((document) => isCortexDocument(document.value)) || (documents.length === 0 && /^tables\s*:/m.test(text));
}

function counts(model: SemanticModel) {
  const dimensions = model.tables.flatMap((table) => table.dimensions);
  return {
    tables: model.tables.length,
    dimensions: dimensions.filter((dimension) => dimension.kind === 'categorical').length,
    timeDimensions: dimensions.filter((dimension) => dimension.kind === 'time').length,
    measures: model.tables.reduce((sum, table) => sum + table.measures.length, 0),
    metrics: model.metrics.length,
    filters: model.filters.length + model.tables.reduce((sum, table) => sum + table.filters.length, 0),
    relationships: model.relationships.length,
    verifiedQueries: model.verifiedQueries.length,
  };
}

const errorsOf = (model: SemanticModel) => model.problems.filter((problem) => problem.severity === 'error');
const entitiesOf = (model: SemanticModel) => model.tables.flatMap((table) => table.entities.map((entity) => `${table.name}:${entity.type}:${entity.name}=${entity.expr}`));

describe.runIf(!present && !!process.env.CI)('Cortex corpora', () => {
  it('are present in CI', () => {
    expect.fail(missing);
  });
});

describe.skipIf(!present)('Cortex Analyst corpora', () => {
  const analyst = join(corpora, 'cortex_analyst');
  const revenuePath = join(analyst, 'revenue_timeseries/revenue_timeseries.yaml');
  const salesPath = join(analyst, 'sales_and_marketing/marketing_campaigns.yaml');

  it('finds exactly the two Cortex models in the corpora; the dbt demo customers.yml is MetricFlow', () => {
    const found = yamlFilesUnder(corpora).filter(looksLikeCortex).map((path) => relative(corpora, path));
    expect(found).toEqual(['cortex_analyst/revenue_timeseries/revenue_timeseries.yaml', 'cortex_analyst/sales_and_marketing/marketing_campaigns.yaml']);
    const customers = join(analyst, 'semantic_model_generator_dbt_demo/customers.yml');
    const { documents } = parseYamlFile(customers, readFileSync(customers, 'utf8'));
    expect(documents.map((document) => isCortexDocument(document.value))).toEqual([false]);
  });

  it('parses revenue_timeseries with no errors, reading its under-indented quoted SQL as Snowflake does', () => {
    const model = parseFile(revenuePath);
    expect(errorsOf(model)).toEqual([]);
    expect(model.problems.map((problem) => `${problem.code} ${problem.location?.line}:${problem.location?.column}`)).toEqual(['yaml_lenient 147:10']);
    expect(model.name).toBe('Revenue');
    expect(counts(model)).toEqual({ tables: 4, dimensions: 7, timeDimensions: 1, measures: 5, metrics: 0, filters: 0, relationships: 2, verifiedQueries: 2 });
    const daily = model.tables[0]!;
    expect(daily.physical).toEqual({ database: 'cortex_analyst_demo', schema: 'revenue_timeseries', table: 'daily_revenue', source: 'cortex_analyst_demo.revenue_timeseries.daily_revenue' });
    expect(daily.primaryKey).toEqual(['date', 'product_id', 'region_id']);
    expect(daily.measures.map((measure) => `${measure.name}:${measure.agg ?? '-'}:${measure.expr}`)).toEqual([
      'daily_revenue:sum:revenue',
      'daily_cogs:sum:cogs',
      'daily_forecasted_revenue:sum:forecasted_revenue',
      'daily_profit:-:revenue - cogs',
      'daily_forecast_abs_error:average:abs(forecasted_revenue - revenue)',
    ]);
    expect(daily.dimensions.find((dimension) => dimension.kind === 'time')).toMatchObject({ name: 'date', expr: 'date', dataType: 'date', timeGranularity: 'day', location: { line: 15, column: 9 } });
    expect(model.tables.map((table) => table.physical.table)).toEqual(['daily_revenue', 'product_dim', 'region_dim', 'product_dim']);
    expect(entitiesOf(model)).toEqual(['daily_revenue:foreign:product=product_id', 'daily_revenue:foreign:region=region_id', 'product:primary:product=product_id', 'region:primary:region=region_id']);
    expect(model.relationships.map((r) => `${r.name} ${r.leftTable}.${r.columns[0]!.left} -> ${r.rightTable}.${r.columns[0]!.right} ${r.joinType} ${r.relationshipType}`)).toEqual([
      'revenue_to_product daily_revenue.product_id -> product.product_id left_outer many_to_one',
      'revenue_to_region daily_revenue.region_id -> region.region_id left_outer many_to_one',
    ]);
    expect(model.verifiedQueries.map((query) => [query.name, query.verifiedAt, query.verifiedBy])).toEqual([
      ['daily cumulative expenses in 2023 dec', '2024-05-03T16:08:18.000Z', 'renee'],
      ['lowest revenue each month', '2024-05-08T16:56:40.000Z', 'renee'],
    ]);
    expect(model.verifiedQueries[0]!.sql.startsWith('SELECT date, SUM(daily_cogs) OVER ( ORDER BY date ROWS BETWEEN')).toBe(true);
  });

  it('parses sales_and_marketing with no problems at all', () => {
    const model = parseFile(salesPath);
    expect(model.problems).toEqual([]);
    expect(model.name).toBe('Sales_And_Marketing_Data');
    expect(counts(model)).toEqual({ tables: 4, dimensions: 10, timeDimensions: 3, measures: 5, metrics: 0, filters: 0, relationships: 2, verifiedQueries: 1 });
    expect(model.tables.flatMap((table) => table.measures).every((measure) => measure.agg === undefined)).toBe(true);
    expect(model.tables.find((table) => table.name === 'SALES')!.measures.map((m) => m.sampleValues)).toEqual([['2199.67', '1039.35', '692.70'], ['28', '25', '26']]);
    expect(entitiesOf(model)).toEqual([
      'MARKETING_CAMPAIGN_METRICS:primary:MARKETING_CAMPAIGN_METRICS=CATEGORY',
      'PRODUCTS:primary:PRODUCTS=PRODUCT_ID',
      'SALES:foreign:PRODUCTS=PRODUCT_ID',
      'SOCIAL_MEDIA:foreign:MARKETING_CAMPAIGN_METRICS=CATEGORY',
    ]);
    expect(model.relationships.map((r) => r.joinType)).toEqual(['inner', 'inner']);
    expect(model.verifiedQueries[0]).toMatchObject({
      name: 'sales',
      question: 'Show me the trend of sales by product category between June 2025 and August 2025',
      verifiedAt: '2025-07-09T20:11:41.000Z',
      verifiedBy: 'D User',
      onboarding: false,
    });
  });

  describe('verified queries on DuckDB (verified_query_results_duckdb.json)', () => {
    // SOURCE.md: the CSVs load positionally into the Snowflake tables; these are its renames.
    const physical: Record<string, Record<string, string>> = {
      revenue_timeseries: {
        daily_revenue: `SELECT CAST("DATE" AS DATE) AS date, REVENUE AS revenue, COGS AS cogs, FORECASTED_REVENUE AS forecasted_revenue, Product_id AS product_id, Region_id AS region_id FROM read_csv(?)`,
        product_dim: `SELECT Product_id AS product_id, Product_line AS product_line FROM read_csv(?)`,
        region_dim: `SELECT Region_id AS region_id, Region AS sales_region, State AS state FROM read_csv(?)`,
      },
      sales_and_marketing: { MARKETING_CAMPAIGN_METRICS: 'SELECT * FROM read_csv(?)', PRODUCTS: 'SELECT * FROM read_csv(?)', SALES: 'SELECT * FROM read_csv(?)', SOCIAL_MEDIA: 'SELECT * FROM read_csv(?)' },
    };
    const files: Record<string, string> = { daily_revenue: 'daily_revenue', product_dim: 'product', region_dim: 'region', MARKETING_CAMPAIGN_METRICS: 'marketing_campaign_metrics', PRODUCTS: 'products', SALES: 'sales', SOCIAL_MEDIA: 'social_media_mentions' };
    const expected = present ? (JSON.parse(readFileSync(join(analyst, 'verified_query_results_duckdb.json'), 'utf8')) as { results: Record<string, { name: string; columns: string[]; row_count: number; rows: unknown[][] }[]> }) : { results: {} };
    // Timestamps print with a space in DuckDB's JSON and a T in the expectations; sums of doubles may differ in the last bits.
    const normalize = (value: unknown): unknown =>
      typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) ? Number(Number(value).toPrecision(12)) : typeof value === 'string' ? value.replace(/^(\d{4}-\d\d-\d\d)T/, '$1 ') : value;

    for (const [folder, path] of [['revenue_timeseries', revenuePath], ['sales_and_marketing', salesPath]] as const) {
      it(`${folder}: every verified query returns the recorded rows over one view per logical table`, async () => {
        const model = parseFile(path);
        const connection = await (await DuckDBInstance.create(':memory:')).connect();
        for (const table of model.tables) {
          const { schema, table: name } = table.physical;
          const exists = await connection.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = '${schema}' AND table_name = '${name}'`);
          if (Number(exists.getRows()[0]![0]) === 0) {
            await connection.run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
            const csv = `'${join(path, '..', 'data', `${files[name!]!}.csv`).replaceAll("'", "''")}'`;
            await connection.run(`CREATE TABLE "${schema}"."${name}" AS ${physical[folder]![name!]!.replace('?', csv)}`);
          }
          const columns = [...table.dimensions, ...table.measures].map((column) => `${column.expr} AS "${column.name}"`);
          await connection.run(`CREATE VIEW main."${table.name}" AS SELECT ${columns.join(', ')} FROM "${schema}"."${name}"`);
        }
        const cases = expected.results[folder]!;
        expect(cases.map((c) => c.name)).toEqual(model.verifiedQueries.map((query) => query.name));
        for (const query of model.verifiedQueries) {
          const recorded = cases.find((c) => c.name === query.name)!;
          const result = await connection.runAndReadAll(query.sql);
          expect(result.columnNames()).toEqual(recorded.columns);
          expect(result.currentRowCount).toBe(recorded.row_count);
          expect(result.getRowsJson().slice(0, 100).map((row) => row.map(normalize))).toEqual(recorded.rows.map((row) => row.map(normalize)));
        }
        connection.closeSync();
      });
    }
  });
});

describe('the project Cortex model semantic_models/retail_cortex.yaml', () => {
  it('parses with no problems and the catalogue the YAML declares', () => {
    const model = parseFile(projectModel);
    expect(model.problems).toEqual([]);
    expect(model.name).toBe('retail');
    expect(counts(model)).toEqual({ tables: 10, dimensions: 40, timeDimensions: 9, measures: 11, metrics: 6, filters: 2, relationships: 10, verifiedQueries: 5 });
    expect(model.metrics.map((metric) => `${metric.table}.${metric.name}`)).toEqual([
      'orders.order_count',
      'orders.cancellation_rate',
      'order_items.total_revenue',
      'order_items.units_sold',
      'customers.customer_count',
      'returns.total_refunds',
    ]);
    expect(model.metrics.every((metric) => metric.type === 'expression')).toBe(true);
    expect(model.tables[0]!.filters.map((filter) => `${filter.table}.${filter.name}: ${filter.expr}`)).toEqual(["orders.not_cancelled: status <> 'cancelled'", "orders.online_orders: channel = 'online'"]);
    expect(model.tables.find((table) => table.name === 'orders')!.dimensions.filter((d) => d.kind === 'time').map((d) => `${d.name}:${d.timeGranularity}`)).toEqual(['order_date:day', 'order_ts:second']);
    expect(model.verifiedQueries.filter((query) => query.onboarding).map((query) => query.name)).toEqual(['monthly_revenue_2025', 'top_products_by_revenue_2024']);
    // 9 one-column primary keys (marketing_spend's is composite) and one foreign entity per relationship.
    const entities = entitiesOf(model);
    expect(entities.filter((entity) => entity.includes(':primary:'))).toHaveLength(9);
    expect(entities.filter((entity) => entity.includes(':foreign:'))).toEqual([
      'orders:foreign:customers=customer_id',
      'orders:foreign:stores=store_id',
      'order_items:foreign:orders=order_id',
      'order_items:foreign:products=product_id',
      'customers:foreign:regions=region_id',
      'products:foreign:categories=category_id',
      'stores:foreign:regions=region_id',
      'payments:foreign:orders=order_id',
      'returns:foreign:order_items=order_item_id',
      'marketing_spend:foreign:regions=region_id',
    ]);
  });
});
