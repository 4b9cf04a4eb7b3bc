// Cost of a subagent's scope on run_sql: the scope check (DuckDB parse, table resolution against the
// catalog) plus execution, against the same statement executed unscoped, in the same run and process.
// Usage: npm run bench:subagents [-- --scale 0.1]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../dist/config/index.js';
import { AppContext } from '../dist/context.js';
import { createLogger } from '../dist/logger.js';

const { values: flags } = parseArgs({ options: { scale: { type: 'string', default: '0.1' } } });
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-subagents-'));
const init = spawnSync(process.execPath, [CLI, 'init', dir, '--scale', flags.scale], { encoding: 'utf8' });
if (init.status !== 0) throw new Error(`stratum init failed: ${init.stderr}`);

const context = new AppContext(loadConfigFile(join(dir, 'stratum.yaml')), createLogger('silent'));
const connector = await context.connector();
const scope = context.toolScope('finance');
const budget = { maxRows: 1000, maxChars: 50_000, timeoutMs: 30_000 };
const example = scope.subagent.examples[1].sql; // refund rate by quarter: two CTEs, a join, three tables

const CASES = [
  { name: 'point query (orders by id)', runs: 300, sql: (i) => `SELECT * FROM main.orders WHERE order_id = ${1 + ((i * 7919) % 5000)}` },
  { name: 'finance example (2 CTEs, 3 tables)', runs: 15, sql: () => example },
  { name: 'aggregate (order_items x products x categories)', runs: 15, sql: () => 'SELECT c.department, sum(oi.line_total) FROM main.order_items oi JOIN main.products p USING (product_id) JOIN main.categories c USING (category_id) GROUP BY 1' },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const p90 = (values) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.9) - 1)];
const time = async (work) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

for (let i = 0; i < 20; i++) await scope.checkSql(CASES[0].sql(i), connector).then(() => connector.execute(CASES[0].sql(i), budget));
console.log(`stratum bench:subagents — demo scale ${flags.scale}, DuckDB in-process, median (p90) ms`);
console.log('| statement | unscoped execute | scope check alone | scoped (check + execute) | overhead | ratio |');
console.log('|---|---|---|---|---|---|');
for (const entry of CASES) {
  const plain = [];
  const scoped = [];
  const check = [];
  for (let i = 0; i < entry.runs; i++) {
    const sql = entry.sql(i);
    const runPlain = async () => plain.push(await time(() => connector.execute(sql, budget)));
    const runScoped = async () => scoped.push(await time(async () => {
      await scope.checkSql(sql, connector);
      await connector.execute(sql, budget);
    }));
    if (i % 2 === 0) { await runPlain(); await runScoped(); } else { await runScoped(); await runPlain(); }
    check.push(await time(() => scope.checkSql(sql, connector)));
  }
  const fmt = (values) => `${median(values).toFixed(2)} (${p90(values).toFixed(2)})`;
  console.log(`| ${entry.name} | ${fmt(plain)} | ${fmt(check)} | ${fmt(scoped)} | +${(median(scoped) - median(plain)).toFixed(2)} | ${(median(scoped) / median(plain)).toFixed(2)}x |`);
}
await context.close();
rmSync(dir, { recursive: true, force: true });
