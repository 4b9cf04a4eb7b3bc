import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileMetricQuery, type MetricQuery } from '../../src/semantic/compiler/index.js';
import type { SemanticModel } from '../../src/semantic/ir.js';
import { parseMetricFlow } from '../../src/semantic/metricflow/parse.js';
import { tempDir } from '../helpers/fixture.js';

/**
 * MetricFlow's tutorial project (../shared/corpora/metricflow/tutorial_project): the `mf query`
 * snapshots of dbt-metricflow's test_cli.py give the same rows when the same queries are compiled
 * here and run on the tutorial's seeds. The CLI arguments are those of test_cli.py; the snapshots
 * hold only the output, so the arguments are written out below next to each snapshot name.
 */
const CORPORA = resolve(process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../../shared/corpora/', import.meta.url)));
const ROOT = join(CORPORA, 'metricflow', 'tutorial_project');
const present = existsSync(join(ROOT, 'cli_snapshots'));

const SNAPSHOTS: { snapshot: string; query: MetricQuery }[] = [
  // mf query --metrics transactions --group-by metric_time --order metric_time
  { snapshot: 'test_query', query: { metrics: ['transactions'], groupBy: ['metric_time'], orderBy: ['metric_time__day'] } },
  // mf query --saved-query core_transaction_metrics (ordered here so ties read the same)
  { snapshot: 'test_saved_query', query: { savedQuery: 'core_transaction_metrics', orderBy: ['metric_time__day', 'customer__customer_country'] } },
  // ... --where "{{ Dimension('customer__customer_country') }} = 'US'" --limit 3
  { snapshot: 'test_saved_query_with_where', query: { savedQuery: 'core_transaction_metrics', where: ["{{ Dimension('customer__customer_country') }} = 'US'"], orderBy: ['metric_time__day'], limit: 3 } },
  // ... --limit 3
  { snapshot: 'test_saved_query_with_limit', query: { savedQuery: 'core_transaction_metrics', orderBy: ['metric_time__day', 'customer__customer_country'], limit: 3 } },
  // mf query --saved-query cumulative_transaction_metrics --start-time 2022-03-29 --end-time 2022-03-31
  { snapshot: 'test_saved_query_with_cumulative_metric', query: { savedQuery: 'cumulative_transaction_metrics', startTime: '2022-03-29', endTime: '2022-03-31', orderBy: ['metric_time__day'] } },
  // mf query --metrics transactions,quick_buy_transactions --csv out.csv
  { snapshot: 'test_csv', query: { metrics: ['transactions', 'quick_buy_transactions'] } },
  // mf get-dimension-values --metrics transactions --dimension customer__customer_country
  { snapshot: 'test_get_dimension_values', query: { metrics: [], groupBy: ['customer__customer_country'], orderBy: ['customer__customer_country'] } },
];

/** A snapshot's rows as text cells: the table `mf query` prints, the CSV it writes, or the bullet list of values. */
function snapshotRows(name: string): { columns: string[]; rows: string[][] } {
  const body = readFileSync(join(ROOT, 'cli_snapshots', `${name}__result.txt`), 'utf8').split('\n---\n')[1]!.trimEnd().split('\n');
  if (body[0]!.startsWith('•')) return { columns: ['value'], rows: body.map((line) => [line.slice(1).trim()]) };
  if (body[0]!.includes(',')) return { columns: body[0]!.split(','), rows: body.slice(1).map((line) => line.split(',')) };
  return { columns: body[0]!.trim().split(/\s{2,}/), rows: body.slice(2).map((line) => line.trim().split(/\s{2,}/)) };
}

function cell(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'micros' in value) return new Date(Number((value as { micros: bigint }).micros / 1000n)).toISOString().replace('.000Z', '');
  return String(value);
}

function yamlFiles(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .flatMap((entry) => (statSync(join(folder, entry)).isDirectory() ? yamlFiles(join(folder, entry)) : /\.ya?ml$/.test(entry) ? [join(folder, entry)] : []));
}

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let model: SemanticModel;

describe('MetricFlow tutorial cli snapshots', () => {
  beforeAll(async () => {
    if (!present) return;
    const files = yamlFiles(ROOT).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    model = parseMetricFlow(files, { name: 'tutorial', path: ROOT }, { refs: {}, placeholders: {}, defaultSchema: 'main' });
    instance = await DuckDBInstance.create(join(tempDir('tutorial'), 'tutorial.duckdb'));
    connection = await instance.connect();
    // The tutorial's SQL models are `select * from {{ ref('<name>_seed') }}` and a daily spine over 2022 (SOURCE.md).
    for (const seed of ['transactions', 'customers', 'countries']) {
      await connection.run(`CREATE TABLE main.${seed} AS SELECT * FROM read_csv('${join(ROOT, 'sample_dbt_models', 'seeds', `${seed}_seed.csv`)}', header = true)`);
    }
    await connection.run(`CREATE TABLE main.all_days AS SELECT CAST(d AS DATE) AS date_day FROM range(DATE '2022-01-01', DATE '2023-01-01', INTERVAL 1 DAY) t(d)`);
    await connection.run(`CREATE TABLE main.mf_time_spine AS SELECT date_day AS ds FROM main.all_days`);
  });

  afterAll(() => {
    connection?.closeSync();
    instance?.closeSync();
  });

  it('finds the tutorial project', () => {
    if (!present && process.env.CI === 'true') throw new Error(`The MetricFlow corpus is missing at ${ROOT} (set STRATUM_CORPORA).`);
    if (!present) process.stderr.write(`SKIPPED: MetricFlow tutorial corpus not found at ${ROOT}; set STRATUM_CORPORA to run it.\n`);
  });

  it.each(SNAPSHOTS)('$snapshot gives the rows of the snapshot', async ({ snapshot, query }) => {
    if (!present) return;
    const expected = snapshotRows(snapshot);
    const compiled = compileMetricQuery(model, query);
    const reader = await connection.runAndReadAll(compiled.sql);
    const rows = reader.getRows().map((row) => row.map(cell));
    if (expected.columns[0] !== 'value') expect(reader.columnNames()).toEqual(expected.columns);
    expect(rows).toEqual(expected.rows);
  });
});
