// run_sql overhead on PostgreSQL: a point query and an aggregate over a 1M-row table, through the
// stdio MCP server and through the connector in-process, each against the same SQL sent directly
// with `pg` in the same run. Figures are informational; the process exits 0 unless something crashed.
// Usage: npm run bench:postgres [-- --rows N] [--point-runs N] [--agg-runs N]
// Uses $STRATUM_PG_URL, or starts a throw-away cluster with scripts/pg-test-server.sh (and stops it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { PostgresConnector } from '../dist/connectors/postgres/connector.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SERVER_SCRIPT = join(ROOT, 'scripts', 'pg-test-server.sh');
const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'point-runs': { type: 'string', default: '300' },
    'agg-runs': { type: 'string', default: '15' },
  },
});
const ROWS = Number(flags.rows);
const POINT_RUNS = Number(flags['point-runs']);
const AGG_RUNS = Number(flags['agg-runs']);

let url = process.env.STRATUM_PG_URL;
let startedDir;
if (!url) {
  const output = execFileSync(SERVER_SCRIPT, ['start'], { encoding: 'utf8' });
  url = /STRATUM_PG_URL=(\S+)/.exec(output)[1];
  startedDir = /STRATUM_PG_DIR=(\S+)/.exec(output)[1];
  console.log(`started a throw-away PostgreSQL cluster at ${url}`);
}

const direct = new pg.Client({ connectionString: url, application_name: 'stratum-bench-direct' });
await direct.connect();
console.log(`server: ${(await direct.query('SHOW server_version')).rows[0].server_version}`);

async function ensureData() {
  const present = await direct.query(`SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass('bench.order_items')`);
  if (present.rows[0]?.n === String(ROWS)) return;
  const started = performance.now();
  await direct.query(`
    DROP SCHEMA IF EXISTS bench CASCADE;
    CREATE SCHEMA bench;
    CREATE TABLE bench.products (product_id int PRIMARY KEY, category text NOT NULL, name text NOT NULL);
    INSERT INTO bench.products SELECT p, (ARRAY['books','games','garden','kitchen','music','outdoor','toys','tools'])[1 + p % 8], 'Product ' || p FROM generate_series(1, 1000) p;
    CREATE TABLE bench.order_items (item_id bigint PRIMARY KEY, order_id bigint NOT NULL, product_id int NOT NULL REFERENCES bench.products, quantity int NOT NULL, price numeric(10,2) NOT NULL, ordered_at date NOT NULL);
    INSERT INTO bench.order_items SELECT i, i / 3, 1 + (i * 7919) % 1000, 1 + i % 5, ((i * 31) % 10000) / 100.0, DATE '2023-01-01' + (i % 730)::int FROM generate_series(1::bigint, ${ROWS}) i;
`);
  // VACUUM refuses to run inside the implicit transaction of a multi-statement query.
  await direct.query('VACUUM ANALYZE bench.products');
  await direct.query('VACUUM ANALYZE bench.order_items');
  console.log(`built bench.order_items (${ROWS.toLocaleString('en-US')} rows) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
await ensureData();

const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-pg-'));
const config = join(dir, 'stratum.yaml');
writeFileSync(config, `datasources:\n  warehouse: { type: postgres, url: ${JSON.stringify(url)}, schemas: [bench] }\nlimits: { max_rows: 1000, max_chars: 1000000, timeout_ms: 60000 }\n`);
const client = new Client({ name: 'stratum-bench-pg', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [join(ROOT, 'dist', 'cli.js'), 'serve', '--config', config], stderr: 'ignore' }));
const connector = new PostgresConnector('warehouse', { type: 'postgres', url, schemas: ['bench'] });
const budget = { maxRows: 1000, maxChars: 1_000_000, timeoutMs: 60_000 };

const sides = {
  direct: async (sql) => (await direct.query(sql)).rows.length,
  connector: async (sql) => (await connector.execute(sql, budget)).rowCount,
  run_sql: async (sql) => {
    const result = await client.callTool({ name: 'run_sql', arguments: { sql } });
    if (result.isError) throw new Error(result.content[0].text);
    return result.structuredContent.rowCount;
  },
};

function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs each side `runs` times, rotating which side goes first, after unrecorded warm-ups. */
async function measure(name, sqlFor, runs) {
  const names = Object.keys(sides);
  const samples = Object.fromEntries(names.map((side) => [side, []]));
  for (let run = -3; run < runs; run++) {
    const sql = sqlFor(run);
    const order = names.map((_, index) => names[(index + Math.max(run, 0)) % names.length]);
    const counts = new Set();
    for (const side of order) {
      const started = performance.now();
      counts.add(await sides[side](sql));
      if (run >= 0) samples[side].push(performance.now() - started);
    }
    if (counts.size !== 1) throw new Error(`${name}: the sides disagree on the row count (${[...counts].join(', ')})`);
  }
  const base = percentile(samples.direct, 50);
  console.log(`\n${name} (${runs} runs each; median / p90)`);
  for (const side of names) {
    const median = percentile(samples[side], 50);
    const ratio = side === 'direct' ? 'baseline' : `${(median / base).toFixed(2)}x, +${(median - base).toFixed(2)} ms`;
    console.log(`  ${side.padEnd(10)} ${median.toFixed(2).padStart(8)} ms / ${percentile(samples[side], 90).toFixed(2).padStart(8)} ms   ${ratio}`);
  }
}

await measure('point query: SELECT * FROM bench.order_items WHERE item_id = <id>', (run) => `SELECT * FROM bench.order_items WHERE item_id = ${1 + ((run + 10) * 104729) % ROWS}`, POINT_RUNS);
await measure(
  'aggregate: 1M order_items JOIN products GROUP BY category',
  () => 'SELECT p.category, count(*) AS items, sum(i.quantity * i.price) AS revenue FROM bench.order_items i JOIN bench.products p USING (product_id) GROUP BY p.category ORDER BY p.category',
  AGG_RUNS,
);

await client.close();
await connector.close();
await direct.end();
if (startedDir) execFileSync(SERVER_SCRIPT, ['stop', startedDir]);
