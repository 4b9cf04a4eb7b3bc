// Stratum benchmarks: cold start, run_sql overhead and peak memory, each against a baseline measured
// in the same run. Figures are informational: the process exits 0 unless something crashed.
// Usage: npm run bench [-- --fresh] [--scale N] [--cold-runs N] [--point-runs N] [--agg-runs N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { DuckDBInstance } from '@duckdb/node-api';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const WORKSPACE = join(BENCH_DIR, '.workspace');
const CONFIG = join(WORKSPACE, 'stratum.yaml');
const DATABASE = join(WORKSPACE, 'demo.duckdb');
const SCALE_MARKER = join(WORKSPACE, '.bench-scale');
const RESULTS = join(BENCH_DIR, 'results', 'latest.json');
const CLI = join(ROOT, 'dist', 'cli.js');
const BARE_SERVER = join(BENCH_DIR, 'bare-server.mjs');

const TARGETS = {
  coldStartRatio: 1.5,
  aggregateRatio: 1.1,
  pointOverheadMs: 3,
};

const { values: flags } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    scale: { type: 'string', default: '1' },
    'cold-runs': { type: 'string', default: '15' },
    'point-runs': { type: 'string', default: '200' },
    'agg-runs': { type: 'string', default: '15' },
  },
});
const options = {
  fresh: flags.fresh,
  scale: positiveNumber('--scale', flags.scale),
  coldRuns: positiveInteger('--cold-runs', flags['cold-runs']),
  pointRuns: positiveInteger('--point-runs', flags['point-runs']),
  aggRuns: positiveInteger('--agg-runs', flags['agg-runs']),
};

function positiveNumber(name, text) {
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${name} must be a positive number; got ${text}`);
  return value;
}

function positiveInteger(name, text) {
  const value = positiveNumber(name, text);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number; got ${text}`);
  return value;
}

function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarize(samples) {
  return { median: percentile(samples, 50), p90: percentile(samples, 90), min: Math.min(...samples), runs: samples.length };
}

const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const log = (line = '') => process.stdout.write(`${line}\n`);

// The config the bench serves when `stratum init` cannot run; same datasource and limits as the demo.
const FALLBACK_CONFIG = `datasources:
  demo: { type: duckdb, path: ./demo.duckdb }
limits: { max_rows: 1000, max_chars: 50000, timeout_ms: 30000 }
`;

function ensureWorkspace() {
  if (!existsSync(CLI)) throw new Error(`${relative(ROOT, CLI)} is missing: run \`npx tsc -p .\` (or \`npm run bench\`, which builds first).`);
  const previousScale = existsSync(SCALE_MARKER) ? Number(readFileSync(SCALE_MARKER, 'utf8')) : undefined;
  const reusable = !options.fresh && existsSync(CONFIG) && existsSync(DATABASE) && previousScale === options.scale;
  if (reusable) {
    log(`Workspace: reusing ${relative(ROOT, WORKSPACE)}/ (scale ${options.scale}; pass --fresh to regenerate)`);
    return { reused: true, method: 'reused', generationMs: undefined };
  }
  log(`Workspace: generating ${relative(ROOT, WORKSPACE)}/ at scale ${options.scale} with \`stratum init\` ...`);
  rmSync(SCALE_MARKER, { force: true });
  mkdirSync(WORKSPACE, { recursive: true });
  let started = performance.now();
  const init = spawnSync(process.execPath, [CLI, 'init', WORKSPACE, '--scale', String(options.scale), '--force'], { cwd: ROOT, encoding: 'utf8' });
  let method = 'stratum init';
  if (init.status !== 0) {
    // Only the demo files around the database (semantic models, subagents) are skipped; the data is the same generator's.
    const reason = (init.stderr || init.stdout).trim().split('\n').pop();
    log(`  \`stratum init\` failed (exit ${init.status}): ${reason}`);
    log('  falling back to dist/demo/generate.js + a minimal stratum.yaml (datasource + limits only)');
    method = 'generateDemoDatabase fallback';
    started = performance.now();
    const script = `const { generateDemoDatabase } = await import(${JSON.stringify(new URL('../dist/demo/generate.js', import.meta.url).href)});
      const result = await generateDemoDatabase(${JSON.stringify(DATABASE)}, { scale: ${options.scale} });
      process.stderr.write(Object.entries(result.tables).map(([t, n]) => t + '=' + n).join(', ') + '\\n');`;
    const generated = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    if (generated.status !== 0) throw new Error(`Demo generation failed (exit ${generated.status}):\n${generated.stderr || generated.stdout}`);
    writeFileSync(CONFIG, FALLBACK_CONFIG);
    init.stderr = generated.stderr;
  }
  const generationMs = performance.now() - started;
  writeFileSync(SCALE_MARKER, String(options.scale));
  log(`Workspace: generated in ${(generationMs / 1000).toFixed(1)} s (${method})`);
  const summary = init.stderr.split('\n').find((line) => /=\d/.test(line));
  if (summary) log(`  ${summary.trim()}`);
  return { reused: false, method, generationMs: round(generationMs, 0) };
}

/** One MCP client over stdio; stderr is drained (a full pipe would block the server) and kept for crash reports. */
async function connect(name, args) {
  const transport = new StdioClientTransport({ command: process.execPath, args, cwd: ROOT, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const client = new Client({ name: `stratum-bench-${name}`, version: '1' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${name} server failed to start: ${error instanceof Error ? error.message : error}\n${stderr}`);
  }
  return { client, transport, stderr: () => stderr };
}

const SERVERS = {
  stratum: [CLI, 'serve', '--config', CONFIG],
  bare: [BARE_SERVER],
};

/** Spawn -> initialize -> first tools/list answer, split into phases so a miss says where the time went. */
async function coldStartOnce(name) {
  const started = performance.now();
  const { client } = await connect(name, SERVERS[name]);
  const connected = performance.now();
  const { tools } = await client.listTools();
  const listed = performance.now();
  await client.close();
  if (tools.length === 0) throw new Error(`${name} listed no tools`);
  return { total: listed - started, connect: connected - started, listTools: listed - connected };
}

async function benchColdStart() {
  log(`\n(a) Cold start: spawn -> first tools/list, ${options.coldRuns} alternating runs each (+1 unrecorded warm-up)`);
  await coldStartOnce('stratum');
  await coldStartOnce('bare');
  const runs = { stratum: [], bare: [] };
  for (let i = 0; i < options.coldRuns; i++) {
    const order = i % 2 === 0 ? ['stratum', 'bare'] : ['bare', 'stratum'];
    for (const name of order) runs[name].push(await coldStartOnce(name));
  }
  const phase = (name, key) => summarize(runs[name].map((run) => run[key]));
  const result = {};
  for (const name of ['stratum', 'bare']) {
    result[name] = { ...phase(name, 'total'), connectMedian: phase(name, 'connect').median, listToolsMedian: phase(name, 'listTools').median };
  }
  result.ratio = result.stratum.median / result.bare.median;
  return result;
}

async function openDirect() {
  const instance = await DuckDBInstance.create(DATABASE, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  return {
    async rows(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowsJson();
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Builds the benchmark SQL from the columns the generated database really has. */
async function workloadSql(direct) {
  const columns = async (table) => new Set((await direct.rows(`DESCRIBE main.${table}`)).map((row) => row[0]));
  const orders = await columns('orders');
  const items = await columns('order_items');
  const products = await columns('products');
  const missing = [
    ...['order_id'].filter((c) => !orders.has(c)).map((c) => `orders.${c}`),
    ...['product_id', 'quantity'].filter((c) => !items.has(c)).map((c) => `order_items.${c}`),
    ...['product_id', 'category_id'].filter((c) => !products.has(c)).map((c) => `products.${c}`),
  ];
  if (missing.length) throw new Error(`The demo database lacks columns the bench needs: ${missing.join(', ')}`);
  const revenue = items.has('line_total') ? 'oi.line_total' : 'oi.quantity * oi.unit_price';
  const [[minId, maxId]] = await direct.rows('SELECT min(order_id), max(order_id) FROM main.orders');
  const [[itemCount]] = await direct.rows('SELECT count(*) FROM main.order_items');
  return {
    minId: Number(minId),
    maxId: Number(maxId),
    itemCount: Number(itemCount),
    point: (id) => `SELECT * FROM main.orders WHERE order_id = ${id}`,
    aggregate:
      `SELECT p.category_id, count(*) AS items, sum(oi.quantity) AS units, sum(${revenue}) AS revenue ` +
      'FROM main.order_items oi JOIN main.products p USING (product_id) GROUP BY 1 ORDER BY 1',
  };
}

/** Deterministic ids spread over the key range, so both sides read the same rows in the same order. */
function pointIds(count, minId, maxId) {
  let state = 0x2545f491;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return minId + (state % (maxId - minId + 1));
  });
}

async function callRunSql(client, sql) {
  const result = await client.callTool({ name: 'run_sql', arguments: { sql } });
  if (result.isError) throw new Error(`run_sql failed for ${sql}: ${result.content?.[0]?.text}`);
  return result.structuredContent;
}

/** Runs the same statement both ways, alternating which goes first, and records wall times. */
async function interleave(ids, sqlFor, stratum, direct, samples) {
  for (let i = 0; i < ids.length; i++) {
    const sql = sqlFor(ids[i]);
    const sides = [
      async () => {
        const started = performance.now();
        const structured = await callRunSql(stratum.client, sql);
        samples.stratum.push(performance.now() - started);
        samples.serverElapsed.push(structured.elapsedMs);
      },
      async () => {
        const started = performance.now();
        await direct.rows(sql);
        samples.direct.push(performance.now() - started);
      },
    ];
    if (i % 2 === 1) sides.reverse();
    for (const side of sides) await side();
  }
}

function readStatusKiB(pid, field) {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : undefined;
}

/** Resets VmHWM to the current RSS (Linux clear_refs "5") so the peak covers only the phase that follows. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const mib = (kib) => (kib === undefined ? undefined : round(kib / 1024, 1));

async function benchRunSql() {
  log(`\n(b) run_sql overhead: one long-lived Stratum stdio server vs @duckdb/node-api in this process`);
  const direct = await openDirect();
  const stratum = await connect('stratum', SERVERS.stratum);
  const serverPid = stratum.transport.pid;
  try {
    const workload = await workloadSql(direct);
    log(`  order_items: ${workload.itemCount.toLocaleString('en-US')} rows; order_id ${workload.minId}..${workload.maxId}`);
    log(`  aggregate: ${workload.aggregate}`);

    // Same answer both ways, or the timing compares different work.
    const viaStratum = await callRunSql(stratum.client, workload.aggregate);
    const viaDirect = await direct.rows(workload.aggregate);
    if (viaStratum.rowCount !== viaDirect.length || JSON.stringify(viaStratum.rows.map((row) => row[0])) !== JSON.stringify(viaDirect.map((row) => row[0]))) {
      throw new Error(`Stratum and direct DuckDB disagree on the aggregate: ${viaStratum.rowCount} vs ${viaDirect.length} rows`);
    }
    if (viaStratum.truncated) log(`  note: Stratum truncated the aggregate (${viaStratum.warning})`);

    const point = { stratum: [], direct: [], serverElapsed: [] };
    const aggregate = { stratum: [], direct: [], serverElapsed: [] };
    const discard = () => ({ stratum: [], direct: [], serverElapsed: [] });
    await interleave(pointIds(20, workload.minId, workload.maxId), workload.point, stratum, direct, discard());
    await interleave([0, 1], () => workload.aggregate, stratum, direct, discard());

    await interleave(pointIds(options.pointRuns, workload.minId, workload.maxId), workload.point, stratum, direct, point);

    const rssBefore = { server: readStatusKiB(serverPid, 'VmRSS'), bench: readStatusKiB(process.pid, 'VmRSS') };
    const peakReset = resetPeak(serverPid) && resetPeak(process.pid);
    await interleave(Array.from({ length: options.aggRuns }, (_, i) => i), () => workload.aggregate, stratum, direct, aggregate);
    const memory = {
      scope: peakReset ? 'aggregate phase (VmHWM reset before it)' : 'process lifetime (VmHWM reset unavailable)',
      serverPeakMiB: mib(readStatusKiB(serverPid, 'VmHWM')),
      serverRssBeforeMiB: mib(rssBefore.server),
      benchPeakMiB: mib(readStatusKiB(process.pid, 'VmHWM')),
      benchRssBeforeMiB: mib(rssBefore.bench),
    };

    const describe = (samples) => ({
      stratum: summarize(samples.stratum),
      direct: summarize(samples.direct),
      serverElapsedMedian: percentile(samples.serverElapsed, 50),
    });
    const pointResult = describe(point);
    pointResult.overheadMs = pointResult.stratum.median - pointResult.direct.median;
    pointResult.ratio = pointResult.stratum.median / pointResult.direct.median;
    const aggregateResult = describe(aggregate);
    aggregateResult.ratio = aggregateResult.stratum.median / aggregateResult.direct.median;
    aggregateResult.overheadMs = aggregateResult.stratum.median - aggregateResult.direct.median;
    return { workload: { itemCount: workload.itemCount, aggregateSql: workload.aggregate, pointSql: workload.point('<id>') }, point: pointResult, aggregate: aggregateResult, memory, serverPid };
  } finally {
    await stratum.client.close();
    direct.close();
  }
}

function verdict(pass) {
  return pass ? 'PASS' : 'MISS';
}

function printReport(report) {
  const { coldStart: cold, runSql } = report;
  const ms = (value) => `${value.toFixed(2)} ms`;
  const rows = [
    ['Benchmark', 'Stratum', 'Baseline', 'Ratio / delta', 'Target', 'Result'],
    [
      `(a) cold start median (p90)`,
      `${ms(cold.stratum.median)} (${ms(cold.stratum.p90)})`,
      `bare ${ms(cold.bare.median)} (${ms(cold.bare.p90)})`,
      `${cold.ratio.toFixed(2)}x`,
      `<= ${TARGETS.coldStartRatio}x`,
      verdict(cold.ratio <= TARGETS.coldStartRatio),
    ],
    [
      `(b) point query median (p90)`,
      `${ms(runSql.point.stratum.median)} (${ms(runSql.point.stratum.p90)})`,
      `direct ${ms(runSql.point.direct.median)} (${ms(runSql.point.direct.p90)})`,
      `+${ms(runSql.point.overheadMs)} (${runSql.point.ratio.toFixed(2)}x)`,
      `< +${TARGETS.pointOverheadMs} ms`,
      verdict(runSql.point.overheadMs < TARGETS.pointOverheadMs),
    ],
    [
      `(b) aggregate median (p90)`,
      `${ms(runSql.aggregate.stratum.median)} (${ms(runSql.aggregate.stratum.p90)})`,
      `direct ${ms(runSql.aggregate.direct.median)} (${ms(runSql.aggregate.direct.p90)})`,
      `${runSql.aggregate.ratio.toFixed(3)}x (+${ms(runSql.aggregate.overheadMs)})`,
      `<= ${TARGETS.aggregateRatio}x`,
      verdict(runSql.aggregate.ratio <= TARGETS.aggregateRatio),
    ],
    [
      `(c) peak RSS, aggregate runs`,
      `server ${runSql.memory.serverPeakMiB} MiB`,
      `bench ${runSql.memory.benchPeakMiB} MiB`,
      `${(runSql.memory.serverPeakMiB / runSql.memory.benchPeakMiB).toFixed(2)}x`,
      'info',
      '-',
    ],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) => row.map((cell, column) => cell.padEnd(widths[column])).join(' | ');
  log('');
  log(line(rows[0]));
  log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const row of rows.slice(1)) log(line(row));
  log('');
  log(`Cold start phases (median): Stratum connect ${ms(cold.stratum.connectMedian)} + tools/list ${ms(cold.stratum.listToolsMedian)}; bare connect ${ms(cold.bare.connectMedian)} + tools/list ${ms(cold.bare.listToolsMedian)}`);
  log(`run_sql time inside the server (connector elapsedMs, median): point ${ms(runSql.point.serverElapsedMedian)}, aggregate ${ms(runSql.aggregate.serverElapsedMedian)}`);
  log(`RSS before the aggregate runs: server ${runSql.memory.serverRssBeforeMiB} MiB, bench ${runSql.memory.benchRssBeforeMiB} MiB; peak scope: ${runSql.memory.scope}`);
  log(`Targets are informational; results written to ${relative(ROOT, RESULTS)}`);
}

async function main() {
  log(`stratum-mcp bench: node ${process.version}, ${cpus().length} CPU(s), ${mib(totalmem() / 1024)} MiB RAM`);
  const workspace = ensureWorkspace();
  const coldStart = await benchColdStart();
  const runSql = await benchRunSql();
  const report = {
    date: new Date().toISOString(),
    environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemMiB: mib(totalmem() / 1024) },
    options,
    workspace: { path: relative(ROOT, WORKSPACE), scale: options.scale, ...workspace },
    targets: TARGETS,
    coldStart,
    runSql,
    verdicts: {
      coldStart: verdict(coldStart.ratio <= TARGETS.coldStartRatio),
      pointOverhead: verdict(runSql.point.overheadMs < TARGETS.pointOverheadMs),
      aggregate: verdict(runSql.aggregate.ratio <= TARGETS.aggregateRatio),
    },
  };
  printReport(report);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(report, (_, value) => (typeof value === 'number' ? round(value, 3) : value), 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
