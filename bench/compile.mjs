// Semantic compiler latency over MetricFlow's integration cases, against DuckDB execution of the same SQL.
// Usage: npm run bench:compile   (reads ../shared/corpora or STRATUM_CORPORA)
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileMetricQuery } from '../dist/semantic/compiler/index.js';
import { parseMetricFlow } from '../dist/semantic/metricflow/parse.js';

const CORPORA = resolve(process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../shared/corpora/', import.meta.url)));
const ROOT = join(CORPORA, 'metricflow');
if (!existsSync(join(ROOT, 'integration_cases_duckdb.json'))) {
  console.error(`MetricFlow corpus not found at ${ROOT}; set STRATUM_CORPORA.`);
  process.exit(1);
}
const MODELS = { SIMPLE_MODEL: 'simple_manifest', EXTENDED_DATE_MODEL: 'extended_date_manifest', SCD_MODEL: 'scd_manifest', UNPARTITIONED_MULTI_HOP_JOIN_MODEL: 'multi_hop_join_manifest', PARTITIONED_MULTI_HOP_JOIN_MODEL: 'partitioned_multi_hop_join_manifest', SIMPLE_MODEL_NON_DS: 'non_sm_manifest' };
const yamlFiles = (folder) => readdirSync(folder).sort().flatMap((entry) => { const path = join(folder, entry); return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(entry) ? [path] : []; });
const models = new Map();
for (const name of new Set(Object.values(MODELS))) {
  const folder = join(ROOT, 'semantic_manifests', name);
  models.set(name, parseMetricFlow(yamlFiles(folder).map((path) => ({ path, text: readFileSync(path, 'utf8') })), { name, path: folder }, { refs: {}, placeholders: { source_schema: 'main', system_schema: 'main' }, defaultSchema: 'main' }));
}
const queryOf = (c) => ({
  metrics: c.metrics ?? [],
  groupBy: c.group_bys ?? (c.group_by_objs ?? []).map((o) => ({ name: o.name, grain: o.grain, datePart: o.date_part })),
  where: c.where_filter_rendered ? [c.where_filter_rendered] : [],
  orderBy: c.order_bys ?? [],
  limit: c.limit, startTime: c.time_constraint?.[0], endTime: c.time_constraint?.[1], savedQuery: c.saved_query_name, minMaxOnly: c.min_max_only, applyGroupBy: c.apply_group_by,
});

const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-compile-'));
const instance = await DuckDBInstance.create(join(dir, 'mf.duckdb'));
const connection = await instance.connect();
const tables = JSON.parse(readFileSync(join(ROOT, 'source_tables_csv', 'tables.json'), 'utf8'));
for (const table of Object.values(tables)) {
  const columns = `{${table.columns.map((column) => `'${column.name}': '${column.duckdb_type}'`).join(', ')}}`;
  await connection.run(`CREATE TABLE main.${table.table_name} AS SELECT * FROM read_csv('${join(ROOT, table.csv)}', header = true, nullstr = '\\N', columns = ${columns})`);
}

const cases = JSON.parse(readFileSync(join(ROOT, 'integration_cases_duckdb.json'), 'utf8')).cases.filter((c) => !c.error);
const REPEAT = 20;
const compileTimes = [];
const ratios = [];
const execTimes = [];
let compiled = 0;
for (const c of cases) {
  const model = models.get(MODELS[c.model]);
  const query = queryOf(c);
  let sql;
  try {
    sql = compileMetricQuery(model, query).sql;
  } catch {
    continue;
  }
  compiled += 1;
  const samples = [];
  for (let i = 0; i < REPEAT; i++) {
    const started = process.hrtime.bigint();
    compileMetricQuery(model, query);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const compileMs = samples[Math.floor(samples.length / 2)];
  compileTimes.push(compileMs);
  const started = process.hrtime.bigint();
  try {
    await connection.runAndReadAll(sql);
  } catch {
    continue;
  }
  const execMs = Number(process.hrtime.bigint() - started) / 1e6;
  execTimes.push(execMs);
  ratios.push(compileMs / execMs);
}
connection.closeSync();
instance.closeSync();
rmSync(dir, { recursive: true, force: true });

const percentile = (values, p) => { const sorted = [...values].sort((a, b) => a - b); return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]; };
const ms = (value) => `${value.toFixed(3)} ms`;
console.log(`Semantic compiler over ${compiled} MetricFlow integration cases (median of ${REPEAT} compiles each)`);
console.log(`  compile    median ${ms(percentile(compileTimes, 0.5))}   p95 ${ms(percentile(compileTimes, 0.95))}   max ${ms(Math.max(...compileTimes))}   (target: median < 2 ms: ${percentile(compileTimes, 0.5) < 2 ? 'PASS' : 'MISS'})`);
console.log(`  DuckDB run median ${ms(percentile(execTimes, 0.5))}   p95 ${ms(percentile(execTimes, 0.95))}`);
console.log(`  compile / run time   median ${percentile(ratios, 0.5).toFixed(3)}x   p95 ${percentile(ratios, 0.95).toFixed(3)}x`);
