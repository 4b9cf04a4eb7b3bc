#!/usr/bin/env node
// Semantic-model registry at scale: list 500 generated models (cold, warm, after one edit) and
// load one, against a baseline measured in the same run: reading and YAML-parsing the same files
// with `yaml` alone (the floor any registry pays). Run `npm run build` first.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SemanticRegistry, renderSpecification } from '../dist/semantic/index.js';

const MODELS = Number(process.argv[process.argv.indexOf('--models') + 1]) || 500;
const RUNS = 7;

function metricflowModel(i) {
  const tables = Array.from({ length: 4 }, (_, t) => `  - name: t${i}_${t}
    description: Table ${t} of model ${i}
    model: ref('t${i}_${t}')
    defaults: { agg_time_dimension: created_at }
    entities:
      - { name: e${i}_${t}, type: primary, expr: id }
${t > 0 ? `      - { name: e${i}_0, type: foreign, expr: parent_id }\n` : ''}    dimensions:
      - { name: created_at, type: time, type_params: { time_granularity: day } }
      - { name: status, type: categorical }
      - { name: region, type: categorical }
    measures:
      - { name: amount_${i}_${t}, agg: sum, expr: amount }
      - { name: rows_${i}_${t}, agg: count, expr: id }`).join('\n');
  const metrics = Array.from({ length: 4 }, (_, t) => `  - name: amount_${i}_${t}
    type: simple
    type_params: { measure: amount_${i}_${t} }
  - name: rows_${i}_${t}
    type: simple
    type_params: { measure: rows_${i}_${t} }
  - name: avg_${i}_${t}
    type: ratio
    type_params: { numerator: amount_${i}_${t}, denominator: rows_${i}_${t} }`).join('\n');
  return `semantic_models:\n${tables}\nmetrics:\n${metrics}\n`;
}

function cortexModel(i) {
  const tables = Array.from({ length: 4 }, (_, t) => `  - name: t${t}
    description: Table ${t}
    base_table: { database: db, schema: main, table: c${i}_${t} }
    primary_key: { columns: [id] }
    dimensions:
      - { name: status, expr: status, data_type: VARCHAR, sample_values: [open, closed] }
      - { name: id, expr: id, data_type: NUMBER }
    time_dimensions:
      - { name: created_at, expr: created_at, data_type: DATE }
    facts:
      - { name: amount, expr: amount, data_type: NUMBER, default_aggregation: sum }`).join('\n');
  return `name: cortex_${i}\ndescription: Generated model ${i}\ntables:\n${tables}\nverified_queries:\n  - name: q\n    question: Total amount?\n    sql: SELECT sum(amount) FROM main.c${i}_0\n`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn) {
  const started = performance.now();
  const result = fn();
  return [performance.now() - started, result];
}

const root = join(mkdtempSync(join(tmpdir(), 'stratum-bench-')), 'semantic_models');
mkdirSync(root, { recursive: true });
for (let i = 0; i < MODELS; i++) {
  writeFileSync(join(root, i % 2 ? `cortex_${i}.yaml` : `mf_${i}.yml`), i % 2 ? cortexModel(i) : metricflowModel(i));
}
const files = readdirSync(root).map((name) => join(root, name));
const options = { paths: [root], refs: {}, placeholders: {}, defaultSchema: 'main', allowLocalPath: true };

const baseline = [];
const cold = [];
for (let run = 0; run < RUNS; run++) {
  baseline.push(time(() => files.map((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS())))[0]);
  cold.push(time(() => new SemanticRegistry(options).list())[0]);
}
const registry = new SemanticRegistry(options);
const [, models] = time(() => registry.list());
const errors = models.reduce((sum, model) => sum + model.problems.filter((p) => p.severity === 'error').length, 0);
const warm = Array.from({ length: RUNS }, () => time(() => registry.list())[0]);
const edited = Array.from({ length: RUNS }, (_, run) => {
  const file = files[run];
  const later = new Date(Date.now() + (run + 1) * 1000);
  utimesSync(file, later, later);
  return time(() => registry.list())[0];
});
const load = Array.from({ length: RUNS }, () => time(() => renderSpecification(registry.get('mf_250'), { maxLength: 14000 }))[0]);

const rows = [
  ['models listed', `${models.length} (${errors} errors)`, '', ''],
  ['cold list (discover + parse + validate)', `${median(cold).toFixed(1)} ms`, `yaml-only parse of the same files ${median(baseline).toFixed(1)} ms`, `${(median(cold) / median(baseline)).toFixed(2)}x`],
  ['warm list (nothing changed)', `${median(warm).toFixed(1)} ms`, `cold ${median(cold).toFixed(1)} ms`, `${(median(warm) / median(cold)).toFixed(3)}x`],
  ['list after editing one file', `${median(edited).toFixed(1)} ms`, `cold ${median(cold).toFixed(1)} ms`, `${(median(edited) / median(cold)).toFixed(3)}x`],
  ['load one model (spec prompt)', `${median(load).toFixed(2)} ms`, '', ''],
];
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd([40, 22, 48, 10][i])).join(' | '));
