import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { isCortexDocument, parseCortex } from '../../src/semantic/cortex/index.js';
import type { SemanticModel } from '../../src/semantic/ir.js';
import { compileMetricQuery, type MetricQuery } from '../../src/semantic/compiler/index.js';
import { parseYamlFile } from '../../src/semantic/yaml.js';
import { loadCortexTables } from '../helpers/cortex-corpus.js';

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
    const expected = present ? (JSON.parse(readFileSync(join(analyst, 'verified_query_results_duckdb.json'), 'utf8')) as { results: Record<string, { name: string; columns: string[]; row_count: number; rows: unknown[][] }[]> }) : { results: {} };
    // Timestamps print with a space in DuckDB's JSON and a T in the expectations; sums of doubles may differ in the last bits.
    const normalize = (value: unknown): unknown =>
      typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) ? Number(Number(value).toPrecision(12)) : typeof value === 'string' ? value.replace(/^(\d{4}-\d\d-\d\d)T/, '$1 ') : value;

    for (const [folder, path] of [['revenue_timeseries', revenuePath], ['sales_and_marketing', salesPath]] as const) {
      it(`${folder}: every verified query returns the recorded rows over one view per logical table`, async () => {
        const model = parseFile(path);
        const connection = await (await DuckDBInstance.create(':memory:')).connect();
        await loadCortexTables(connection, folder, path, model, { database: false });
        for (const table of model.tables) {
          const columns = [...table.dimensions, ...table.measures].map((column) => `${column.expr} AS "${column.name}"`);
          await connection.run(`CREATE VIEW main."${table.name}" AS SELECT ${columns.join(', ')} FROM "${table.physical.schema}"."${table.physical.table}"`);
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

    /**
     * The same questions as metric queries compiled over the Cortex models, run on the physical
     * tables (the database attached as Snowflake names it). Two of the verified SQL statements
     * post-process a metric (a running sum; each month's minimum day and its date): the metric query
     * gives the metric per day, and the test applies that same last step before comparing.
     */
    it('the verified questions, asked as metric queries over the Cortex models, give the recorded rows', async () => {
      const recorded = (folder: string, name: string) => expected.results[folder]!.find((c) => c.name === name)!.rows.map((row) => row.map(normalize));
      const run = async (folder: 'revenue_timeseries' | 'sales_and_marketing', path: string, query: MetricQuery) => {
        const model = parseFile(path);
        const connection = await (await DuckDBInstance.create(':memory:')).connect();
        await loadCortexTables(connection, folder, path, model, { database: true });
        const compiled = compileMetricQuery(model, query);
        const rows = (await connection.runAndReadAll(compiled.sql)).getRowsJson().map((row) => row.map(normalize));
        connection.closeSync();
        return { rows, compiled };
      };

      const sales = await run('sales_and_marketing', salesPath, { metrics: ['SALES_AMOUNT'], groupBy: ['PRODUCTS__CATEGORY', 'metric_time__month'], startTime: '2025-06-01', endTime: '2025-08-31', orderBy: ['PRODUCTS__CATEGORY', 'metric_time__month'] });
      expect(sales.compiled.columns).toEqual(['PRODUCTS__CATEGORY', 'metric_time__month', 'SALES_AMOUNT']);
      expect(sales.rows).toEqual(recorded('sales_and_marketing', 'sales'));
      expect(sales.compiled.explanation).toContain('SALES_AMOUNT has no default_aggregation; it is summed.');

      const cogs = await run('revenue_timeseries', revenuePath, { metrics: ['daily_cogs'], groupBy: ['metric_time__day'], startTime: '2023-12-01', endTime: '2023-12-31', orderBy: ['-metric_time__day'] });
      const total = (rows: unknown[][]) => rows.reduce((sum, row) => sum + (row[1] as number), 0);
      const cumulative = cogs.rows.map((row, index) => [String(row[0]).slice(0, 10), Number(total(cogs.rows.slice(index)).toPrecision(12))]);
      expect(cumulative).toEqual(recorded('revenue_timeseries', 'daily cumulative expenses in 2023 dec'));

      const revenue = await run('revenue_timeseries', revenuePath, { metrics: ['daily_revenue'], groupBy: ['metric_time__day', 'metric_time__month'], orderBy: ['-metric_time__month', 'metric_time__day'] });
      const lowest = new Map<string, unknown[]>();
      for (const [day, month, value] of revenue.rows) if (!lowest.has(String(month)) || (value as number) < (lowest.get(String(month))![1] as number)) lowest.set(String(month), [month, value, String(day).slice(0, 10)]);
      expect([...lowest.values()]).toEqual(recorded('revenue_timeseries', 'lowest revenue each month'));
    });
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
