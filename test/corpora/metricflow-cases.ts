import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { compileMetricQuery, type MetricQuery } from '../../src/semantic/compiler/index.js';
import type { SemanticModel } from '../../src/semantic/ir.js';
import { parseMetricFlow } from '../../src/semantic/metricflow/parse.js';
import { DUCKDB, type Dialect } from '../../src/semantic/sql/render.js';

/**
 * MetricFlow's own integration cases (../shared/corpora/metricflow/integration_cases_duckdb.json),
 * shared by the DuckDB and PostgreSQL corpus tests: each query is compiled for an engine's dialect,
 * run on the case's source tables, and compared as MetricFlow's assert_data_tables_equal compares:
 * same column names (MetricFlow sorts columns and rows unless check_order), floats with relative
 * tolerance 1e-6.
 */
const CORPORA = resolve(process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../../shared/corpora/', import.meta.url)));
export const ROOT = join(CORPORA, 'metricflow');
export const present = existsSync(join(ROOT, 'integration_cases_duckdb.json'));
export const MISSING = `MetricFlow corpus not found at ${ROOT}. Set STRATUM_CORPORA to the shared corpora folder.`;

const MODELS: Record<string, string> = {
  SIMPLE_MODEL: 'simple_manifest',
  EXTENDED_DATE_MODEL: 'extended_date_manifest',
  SCD_MODEL: 'scd_manifest',
  UNPARTITIONED_MULTI_HOP_JOIN_MODEL: 'multi_hop_join_manifest',
  PARTITIONED_MULTI_HOP_JOIN_MODEL: 'partitioned_multi_hop_join_manifest',
  SIMPLE_MODEL_NON_DS: 'non_sm_manifest',
};
export const REQUIRED_FILES = ['itest_simple', 'itest_metrics', 'itest_joins', 'itest_granularity', 'itest_dimensions', 'itest_constraints', 'itest_order_limit', 'itest_measure_aggregations', 'itest_metric_queries_no_dimensions'];

export interface Case {
  file: string;
  name: string;
  model: string;
  metrics?: string[];
  group_bys?: string[];
  group_by_objs?: { name: string; grain?: string; date_part?: string }[];
  where_filter_rendered?: string;
  order_bys?: string[];
  limit?: number;
  time_constraint?: [string, string];
  saved_query_name?: string;
  min_max_only?: boolean;
  apply_group_by?: boolean;
  check_order?: boolean;
  error?: string;
  expected_columns: string[];
  expected_row_count: number;
  expected_rows?: unknown[][];
  expected_rows_truncated?: boolean;
}

/** The runnable cases (those MetricFlow expects to answer, not to refuse). */
export function runnableCases(): Case[] {
  if (!present) return [];
  return (JSON.parse(readFileSync(join(ROOT, 'integration_cases_duckdb.json'), 'utf8')).cases as Case[]).filter((testCase) => !testCase.error);
}

export const caseKey = (testCase: Case) => `${testCase.file.replace(/\.yaml$/, '')}/${testCase.name}`;

/** A list of `<feature file>/<case name>` lines beside this file (`#` comments and blank lines ignored). */
export function readCaseList(file: string): Set<string> {
  return new Set(
    readFileSync(fileURLToPath(new URL(`./${file}`, import.meta.url)), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#')),
  );
}

/** The source tables: name, CSV file and DuckDB column types. */
export interface SourceTable {
  table_name: string;
  csv: string;
  columns: { name: string; duckdb_type: string }[];
}

export function sourceTables(): SourceTable[] {
  return Object.values(JSON.parse(readFileSync(join(ROOT, 'source_tables_csv', 'tables.json'), 'utf8')) as Record<string, SourceTable>);
}

function yamlFiles(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .flatMap((entry) => {
      const path = join(folder, entry);
      return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(entry) ? [path] : [];
    });
}

const models = new Map<string, SemanticModel>();
function model(name: string): SemanticModel {
  let loaded = models.get(name);
  if (!loaded) {
    const folder = join(ROOT, 'semantic_manifests', name);
    const files = yamlFiles(folder).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    loaded = parseMetricFlow(files, { name, path: folder }, { refs: {}, placeholders: { source_schema: 'main', system_schema: 'main' }, defaultSchema: 'main' });
    models.set(name, loaded);
  }
  return loaded;
}

/** One spelling for values either engine returns and values the corpus stores as JSON. */
export function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  let text = typeof value === 'object' && value !== null && 'micros' in value ? new Date(Number((value as { micros: bigint }).micros / 1000n)).toISOString().replace('Z', '') : String(value);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  text = text.replace(/^(\d{4}-\d{2}-\d{2}) /, '$1T').replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

const sameValue = (a: unknown, b: unknown) => a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)));
const sortKey = (row: unknown[]) => JSON.stringify(row.map((value) => (typeof value === 'number' ? Number(value.toPrecision(9)) : value)));
const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));

/** The index of the first row that differs, or -1 when both lists hold the same values. */
function firstDifference(actual: unknown[][], target: unknown[][]): number {
  return actual.findIndex((row, index) => !row.every((value, column) => sameValue(value, target[index]![column])));
}

function queryOf(testCase: Case): MetricQuery {
  return {
    metrics: testCase.metrics ?? [],
    groupBy: testCase.group_bys ?? (testCase.group_by_objs ?? []).map((item) => ({ name: item.name, ...(item.grain ? { grain: item.grain } : {}), ...(item.date_part ? { datePart: item.date_part } : {}) })),
    where: testCase.where_filter_rendered ? [testCase.where_filter_rendered] : [],
    orderBy: testCase.order_bys ?? [],
    ...(testCase.limit !== undefined ? { limit: testCase.limit } : {}),
    ...(testCase.time_constraint ? { startTime: testCase.time_constraint[0], endTime: testCase.time_constraint[1] } : {}),
    ...(testCase.saved_query_name ? { savedQuery: testCase.saved_query_name } : {}),
    ...(testCase.min_max_only ? { minMaxOnly: true } : {}),
    ...(testCase.apply_group_by === false ? { applyGroupBy: false } : {}),
  };
}

/** An engine the corpus runs on: a dialect to compile for and a way to run the SQL. */
export interface CorpusEngine {
  name: string;
  dialect: Dialect;
  run(sql: string): Promise<{ columns: string[]; rows: unknown[][] }>;
}

/** What one case did on one engine: why it failed (undefined when it passed) and its rows in the expected column order. */
export interface CaseOutcome {
  failure?: string;
  rows?: unknown[][];
}

async function runCase(engine: CorpusEngine, testCase: Case): Promise<CaseOutcome> {
  let sql: string;
  try {
    sql = compileMetricQuery(model(MODELS[testCase.model]!), queryOf(testCase), { dialect: engine.dialect }).sql;
  } catch (error) {
    return { failure: `compile: ${(error as Error).message.split('\n')[0]}` };
  }
  let result;
  try {
    result = await engine.run(sql);
  } catch (error) {
    return { failure: `run: ${(error as Error).message.split('\n')[0]}` };
  }
  const { columns } = result;
  const expected = testCase.expected_columns;
  if ([...columns].sort().join() !== [...expected].sort().join()) return { failure: `columns [${columns}] instead of [${expected}]` };
  const order = expected.map((name) => columns.indexOf(name));
  const rows = result.rows.map((row) => order.map((index) => normalise(row[index])));
  if (rows.length !== testCase.expected_row_count) return { failure: `${rows.length} rows instead of ${testCase.expected_row_count}`, rows };
  if (testCase.expected_rows_truncated || !testCase.expected_rows) return { rows };
  const wanted = testCase.expected_rows.map((row) => row.map(normalise));
  const actual = testCase.check_order ? rows : sorted(rows);
  const target = testCase.check_order ? wanted : sorted(wanted);
  const bad = firstDifference(actual, target);
  return bad >= 0 ? { failure: `row ${bad}: ${JSON.stringify(actual[bad])} instead of ${JSON.stringify(target[bad])}`, rows } : { rows };
}

/** Runs every runnable case on an engine, keyed `<feature file>/<case name>`. */
export async function runCorpus(engine: CorpusEngine): Promise<Map<string, CaseOutcome>> {
  const outcomes = new Map<string, CaseOutcome>();
  for (const testCase of runnableCases()) outcomes.set(caseKey(testCase), await runCase(engine, testCase));
  return outcomes;
}

/** Why two engines' rows for a case differ (compared as sets of rows), or undefined when they agree. */
export function rowsDiffer(a: unknown[][], b: unknown[][]): string | undefined {
  if (a.length !== b.length) return `${a.length} rows against ${b.length}`;
  const left = sorted(a);
  const right = sorted(b);
  const bad = firstDifference(left, right);
  return bad >= 0 ? `row ${bad}: ${JSON.stringify(left[bad])} against ${JSON.stringify(right[bad])}` : undefined;
}

/** The pass table by feature file, as printed on stderr, and the number of passing cases. */
export function passTable(engine: string, outcomes: Map<string, CaseOutcome>): { text: string; passed: number } {
  const byFile = new Map<string, { passed: number; total: number }>();
  for (const [key, outcome] of outcomes) {
    const file = key.split('/')[0]!;
    const entry = byFile.get(file) ?? { passed: 0, total: 0 };
    entry.total += 1;
    if (!outcome.failure) entry.passed += 1;
    byFile.set(file, entry);
  }
  const passed = [...outcomes.values()].filter((outcome) => !outcome.failure).length;
  const lines = [...byFile].sort(([a], [b]) => a.localeCompare(b)).map(([file, { passed: ok, total }]) => `  ${file.padEnd(42)} ${String(ok).padStart(3)} / ${String(total).padEnd(3)}${REQUIRED_FILES.includes(file) ? ' (core)' : ''}`);
  const text = `MetricFlow integration cases on ${engine}\n${lines.join('\n')}\n  ${'total'.padEnd(42)} ${passed} / ${outcomes.size} (${((100 * passed) / outcomes.size).toFixed(1)}%)\n`;
  return { text, passed };
}

/** The failing cases not listed, the listed cases that pass, and listed names that are no case: all empty when the list is true. */
export function expectedFailureDrift(outcomes: Map<string, CaseOutcome>, expected: Set<string>) {
  const unexpected = [...outcomes].filter(([key, outcome]) => outcome.failure && !expected.has(key)).map(([key, outcome]) => `${key}: ${outcome.failure}`);
  const nowPassing = [...expected].filter((key) => outcomes.has(key) && !outcomes.get(key)!.failure);
  const unknown = [...expected].filter((key) => !outcomes.has(key));
  return { unexpected, nowPassing, unknown };
}

/** The corpus source tables in a fresh DuckDB file, and the engine over it. */
export async function duckdbCorpusEngine(dir: string): Promise<CorpusEngine & { close(): void; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(join(dir, 'metricflow.duckdb'));
  const connection = await instance.connect();
  for (const table of sourceTables()) {
    const columns = `{${table.columns.map((column) => `'${column.name}': '${column.duckdb_type}'`).join(', ')}}`;
    await connection.run(`CREATE TABLE main.${table.table_name} AS SELECT * FROM read_csv('${join(ROOT, table.csv)}', header = true, nullstr = '\\N', columns = ${columns})`);
  }
  return {
    name: 'DuckDB',
    dialect: DUCKDB,
    connection,
    async run(sql) {
      const reader = await connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRows() };
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
