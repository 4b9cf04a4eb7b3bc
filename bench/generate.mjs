#!/usr/bin/env node
// generate_sql from a question, in-process over dist/: what the pipeline adds around schema linking,
// against baselines measured in the same run. Run `npm run build` first. `--scale N` (demo data, 0.1),
// `--runs N` (rounds over the questions, 5).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../dist/config/index.js';
import { AppContext } from '../dist/context.js';
import { OpenAIChatModel, generateSql } from '../dist/generation/index.js';
import { createLogger } from '../dist/logger.js';
import { generationRequest, generationServices } from '../dist/tools/generate_sql.js';

const arg = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const SCALE = arg('--scale', 0.1);
const RUNS = arg('--runs', 5);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => `${value.toFixed(2)} ms`;

const QUESTIONS = [
  'revenue by product category in 2025',
  'how many orders were cancelled per month',
  'top 10 customers by total spend',
  'refund rate by department',
  'average order value per customer segment',
  'which stores sold the most units last quarter',
  'payments by method and month',
  'share of revenue from the online channel by region',
];
const ANSWER = 'SELECT status, count(*) AS orders FROM main.orders GROUP BY 1 ORDER BY 1';

const dir = join(mkdtempSync(join(tmpdir(), 'stratum-bench-generate-')), 'workspace');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let started = performance.now();
const init = spawnSync(process.execPath, [cli, 'init', dir, '--scale', String(SCALE)], { encoding: 'utf8' });
if (init.status !== 0) throw new Error(`stratum init failed: ${init.stderr}`);
console.log(`demo workspace at scale ${SCALE} built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// A local OpenAI-compatible endpoint that answers at once, so the figure is Stratum's own cost.
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `\`\`\`sql\n${ANSWER}\n\`\`\`` } }] })));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = new OpenAIChatModel({ base_url: `http://127.0.0.1:${server.address().port}/v1`, model: 'bench', timeout_ms: 30_000 });

const context = new AppContext(loadConfigFile(join(dir, 'stratum.yaml')), createLogger('silent'));
const services = (question, withEndpoint) => {
  const base = generationServices(context, { question }, undefined, new AbortController().signal);
  const { endpoint: _none, ...rest } = base;
  return withEndpoint ? { ...rest, endpoint } : rest;
};
const connector = await context.connector();

started = performance.now();
await generateSql(services(QUESTIONS[0], false), generationRequest({ question: QUESTIONS[0] }));
console.log(`first question (catalog, search index, knowledge store, samples): ${ms(performance.now() - started)}`);
for (const question of QUESTIONS) await generateSql(services(question, false), generationRequest({ question }));

const times = { search: [], contextOnly: [], explain: [], endpoint: [] };
const sizes = [];
const sources = {};
for (let run = 0; run < RUNS; run++) {
  for (const question of QUESTIONS) {
    let t = performance.now();
    await context.search().search(question, { topK: 8 });
    times.search.push(performance.now() - t);
    t = performance.now();
    const result = await generateSql(services(question, false), generationRequest({ question }));
    times.contextOnly.push(performance.now() - t);
    sources[result.source] = (sources[result.source] ?? 0) + 1;
    if (result.context) sizes.push(result.context.length);
    t = performance.now();
    await connector.explain(ANSWER);
    times.explain.push(performance.now() - t);
    t = performance.now();
    await generateSql(services(question, true), generationRequest({ question }));
    times.endpoint.push(performance.now() - t);
  }
}
const n = RUNS * QUESTIONS.length;
console.log(`${n} warm questions each (median); answered by: ${Object.entries(sources).map(([source, count]) => `${source} ${count}`).join(', ')}`);
console.log(`  search_tables alone (baseline):                      ${ms(median(times.search))}`);
console.log(`  generate_sql context_only (verified lookup, search, live metadata, spec, budget): ${ms(median(times.contextOnly))} -> ${(median(times.contextOnly) / median(times.search)).toFixed(2)}x search; context median ${median(sizes)} chars`);
console.log(`  EXPLAIN of the answer alone (baseline):               ${ms(median(times.explain))}`);
console.log(`  generate_sql through a local endpoint (1 attempt):   ${ms(median(times.endpoint))} -> +${ms(median(times.endpoint) - median(times.contextOnly))} over context_only (HTTP round trip, guard, EXPLAIN; EXPLAIN alone ${ms(median(times.explain))})`);
await context.close();
server.close();
