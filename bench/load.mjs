// Load over loopback HTTP: N concurrent clients x M tool calls each (list_tables, describe_table, run_sql),
// half on the 2026-07-28 protocol (v2 client), half on 2025 sessions (v1 client, DELETE at the end).
// Prints throughput, median/p99 latency, errors (must be 0), server RSS after each of several rounds and the
// open-session count afterwards (leaks), against a one-client stdio baseline measured in the same run.
// Usage: npm run bench:load [-- --clients 32] [--calls 100] [--rounds 3] [--scale 0.1] [--fresh]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const CLI = join(ROOT, 'dist', 'cli.js');
const WORKSPACE = join(BENCH_DIR, '.load-workspace');
const CONFIG = join(WORKSPACE, 'stratum.yaml');
const RESULTS = join(BENCH_DIR, 'results', 'load.json');

const { values: flags } = parseArgs({
  options: {
    clients: { type: 'string', default: '32' },
    calls: { type: 'string', default: '100' },
    scale: { type: 'string', default: '0.1' },
    rounds: { type: 'string', default: '3' },
    fresh: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(flags.clients);
const CALLS = Number(flags.calls);
const ROUNDS = Math.max(1, Number(flags.rounds));
const log = (line = '') => process.stdout.write(`${line}\n`);
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const mib = (kib) => round(kib / 1024, 1);

function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function ensureWorkspace() {
  if (!existsSync(CLI)) throw new Error(`${relative(ROOT, CLI)} is missing: run \`npm run bench:load\` (it builds first).`);
  const marker = join(WORKSPACE, '.bench-scale');
  if (!flags.fresh && existsSync(CONFIG) && existsSync(marker) && readFileSync(marker, 'utf8') === flags.scale) return;
  const started = performance.now();
  const init = spawnSync(process.execPath, [CLI, 'init', WORKSPACE, '--scale', flags.scale, '--force'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`stratum init failed:\n${init.stderr}`);
  writeFileSync(marker, flags.scale);
  log(`workspace: stratum init --scale ${flags.scale} in ${round((performance.now() - started) / 1000, 1)} s`);
}

/** The call mix: catalog browsing and point queries, as an assistant does between answers. */
function call(index, seed) {
  switch (index % 3) {
    case 0:
      return { name: 'list_tables', arguments: {} };
    case 1:
      return { name: 'describe_table', arguments: { table: ['orders', 'customers', 'products', 'order_items'][(seed + index) % 4] } };
    default:
      return { name: 'run_sql', arguments: { sql: `SELECT * FROM main.orders WHERE order_id = ${1 + ((seed * 7919 + index * 104_729) % 40_000)}` } };
  }
}

async function timedCalls(client, count, seed, latencies) {
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    try {
      const result = await client.callTool(call(i, seed));
      if (result.isError) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - started);
  }
  return errors;
}

function rssKib(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

async function startHttpServer() {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--config', CONFIG], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, STRATUM_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
  // warn level hides the "serving" line: find the port by polling /healthz on the announced pid instead.
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    const poll = setInterval(() => {
      const ports = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' }).stdout.split('\n').filter((line) => line.includes(`pid=${child.pid},`));
      const port = /127\.0\.0\.1:(\d+)/.exec(ports[0] ?? '')?.[1];
      if (port) {
        clearInterval(poll);
        resolve(`http://127.0.0.1:${port}`);
      }
    }, 100);
  });
  return { url, pid: child.pid, stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))) };
}

async function connectModern(url) {
  const client = new Client({ name: 'load-v2', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return { client, close: () => client.close() };
}

async function connectSession(url) {
  const transport = new V1StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  const client = new V1Client({ name: 'load-v1', version: '1' });
  await client.connect(transport);
  return { client, close: async () => (await transport.terminateSession(), await client.close()) };
}

function stats(latencies, seconds, errors) {
  return { calls: latencies.length, seconds, throughput: latencies.length / seconds, median: percentile(latencies, 50), p99: percentile(latencies, 99), errors, latencies };
}

async function loadRound(url) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => (i % 2 === 0 ? connectModern(url) : connectSession(url))));
  const byEra = { modern: [], session: [] };
  const started = performance.now();
  const errors = (await Promise.all(clients.map(({ client }, i) => timedCalls(client, CALLS, i, i % 2 === 0 ? byEra.modern : byEra.session)))).reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map(({ close }) => close()));
  return { ...stats([...byEra.modern, ...byEra.session], seconds, errors), byEra };
}

/** One client, calls one after another, after unrecorded warm-up calls. */
async function singleClient({ client, close }) {
  await timedCalls(client, 30, 99, []);
  const latencies = [];
  const started = performance.now();
  const errors = await timedCalls(client, CALLS, 1, latencies);
  const seconds = (performance.now() - started) / 1000;
  await close();
  return stats(latencies, seconds, errors);
}

async function connectStdio() {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--config', CONFIG], env: { ...process.env, STRATUM_LOG_LEVEL: 'warn' }, stderr: 'ignore' });
  const client = new Client({ name: 'load-stdio', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  return { client, close: () => client.close() };
}

async function main() {
  ensureWorkspace();
  log(`load: ${CLIENTS} concurrent clients x ${CALLS} calls (list_tables / describe_table / run_sql point query), scale ${flags.scale}, node ${process.version}`);
  const baseline = await singleClient(await connectStdio());
  const server = await startHttpServer();
  try {
    const single = await singleClient(await connectModern(server.url));
    const singleSession = await singleClient(await connectSession(server.url));
    const rssBefore = rssKib(server.pid);
    const rounds = [];
    const rssAfterRound = [];
    for (let i = 0; i < ROUNDS; i++) {
      rounds.push(await loadRound(server.url));
      await new Promise((resolve) => setTimeout(resolve, 300));
      rssAfterRound.push(rssKib(server.pid));
    }
    const health = await (await fetch(`${server.url}/healthz`)).json();
    const all = rounds.flatMap((r) => r.latencies);
    const total = stats(all, rounds.reduce((a, r) => a + r.seconds, 0), rounds.reduce((a, r) => a + r.errors, 0));
    const eraMedian = (era) => percentile(rounds.flatMap((r) => r.byEra[era]), 50);

    const row = (name, r) => log(`  ${name.padEnd(34)} ${String(r.calls).padStart(5)} calls  ${round(r.throughput, 0).toString().padStart(6)} calls/s  median ${round(r.median).toString().padStart(6)} ms  p99 ${round(r.p99).toString().padStart(7)} ms  errors ${r.errors}`);
    row('stdio, 1 client (baseline)', baseline);
    row('HTTP, 1 client (2026-07-28)', single);
    row('HTTP, 1 client (2025 session)', singleSession);
    rounds.forEach((r, i) => row(`HTTP, ${CLIENTS} clients, round ${i + 1}`, r));
    row(`HTTP, ${CLIENTS} clients, all rounds`, total);
    log(`  under load, median by protocol: 2026-07-28 ${round(eraMedian('modern'))} ms, 2025 sessions ${round(eraMedian('session'))} ms`);
    log(`  single-client HTTP / stdio median: ${round(single.median / baseline.median)}x (2026-07-28), ${round(singleSession.median / baseline.median)}x (2025 session)`);
    log(`  ${CLIENTS}-client HTTP throughput / 1-client stdio throughput: ${round(total.throughput / baseline.throughput)}x`);
    log(`  ${CLIENTS}-client median / 1-client stdio median: ${round(total.median / baseline.median)}x (${CLIENTS} clients share the cores)`);
    log(`  server RSS: ${mib(rssBefore)} MiB warm, then ${rssAfterRound.map(mib).join(' -> ')} MiB after each round (last round ${round(mib(rssAfterRound.at(-1)) - mib(rssAfterRound.at(-2) ?? rssBefore), 1)} MiB)`);
    log(`  open sessions after all rounds: streamable_http=${health.sessions.streamable_http}, sse=${health.sessions.sse}`);
    log(`  errors: ${total.errors} (must be 0)`);
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify({ clients: CLIENTS, calls: CALLS, scale: flags.scale, baseline, single, singleSession, rounds, total, rssKib: { warm: rssBefore, afterRound: rssAfterRound }, sessions: health.sessions }, (key, value) => (key === 'latencies' || key === 'byEra' ? undefined : value), 2));
    if (total.errors > 0 || health.sessions.streamable_http > 0) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:load failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
