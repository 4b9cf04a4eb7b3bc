#!/usr/bin/env node
// Knowledge store on PostgreSQL against the embedded SQLite store, same operations in the same run:
// durable feedback writes (sequential and 8 at once), a verified-query upvote (a write transaction),
// and reads (one feedback record, the revision, every verified query). A bare `pg` INSERT of the same
// row is the floor for the PostgreSQL write. Figures are informational; exits 0 unless something crashed.
// Usage: npm run bench:knowledge-postgres [-- --writes N] [--verified N]
// Uses $STRATUM_PG_URL, or starts a throw-away cluster with scripts/pg-test-server.sh (and stops it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresKnowledgeStore, SqliteKnowledgeStore } from '../dist/knowledge/index.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({ options: { writes: { type: 'string', default: '1000' }, verified: { type: 'string', default: '2000' } } });
const WRITES = Number(flags.writes);
const VERIFIED = Number(flags.verified);

let url = process.env.STRATUM_PG_URL;
let startedDir;
if (!url) {
  const output = execFileSync(join(ROOT, 'scripts', 'pg-test-server.sh'), ['start'], { encoding: 'utf8' });
  url = /STRATUM_PG_URL=(\S+)/.exec(output)[1];
  startedDir = /STRATUM_PG_DIR=(\S+)/.exec(output)[1];
  console.log(`started a throw-away PostgreSQL cluster at ${url}`);
}

const schema = `bench_knowledge_${process.pid}`;
const direct = new pg.Client({ connectionString: url, application_name: 'stratum-bench-direct' });
await direct.connect();
const setting = async (name) => (await direct.query(`SHOW ${name}`)).rows[0][name];
console.log(`server: PostgreSQL ${await setting('server_version')}, fsync=${await setting('fsync')}, synchronous_commit=${await setting('synchronous_commit')} (SQLite: WAL, synchronous=FULL)`);
await direct.query(`CREATE TABLE public.${schema}_raw (id text PRIMARY KEY, question text, sql text, rating text, kind text, idempotency_key text UNIQUE, created_at timestamptz)`);

const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-knowledge-pg-'));
const stores = { sqlite: new SqliteKnowledgeStore(join(dir, 'knowledge.db')), postgres: new PostgresKnowledgeStore(url, { schema }) };
await stores.postgres.revision(); // migrations, outside the timings

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const p95 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)];
const ms = (value) => `${value.toFixed(3)} ms`;
const row = (i) => ({ question: `How many orders in week ${i}?`, sql: `SELECT count(*) FROM orders WHERE week = ${i}`, rating: 'up', kind: 'rating' });

/** Times `operation(i)` for every side, alternating which goes first so drift hits both alike. */
async function alternate(count, sides) {
  const times = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
  const names = Object.keys(sides);
  for (let i = 0; i < count; i++) {
    for (const name of i % 2 ? [...names].reverse() : names) {
      const started = performance.now();
      await sides[name](i);
      times[name].push(performance.now() - started);
    }
  }
  return times;
}

function report(label, times, baseline) {
  const parts = Object.entries(times).map(([name, samples]) => `${name} ${ms(median(samples))} (p95 ${ms(p95(samples))})`);
  const ratio = median(times.postgres) / median(times[baseline]);
  console.log(`${label}: ${parts.join(', ')} -> postgres/${baseline} ${ratio.toFixed(2)}x`);
}

// 1. Durable feedback writes with an idempotency key, one at a time.
const writes = await alternate(WRITES, {
  sqlite: (i) => stores.sqlite.addFeedback({ ...row(i), idempotencyKey: `k${i}` }),
  postgres: (i) => stores.postgres.addFeedback({ ...row(i), idempotencyKey: `k${i}` }),
  pg_insert: (i) => direct.query(`INSERT INTO public.${schema}_raw VALUES ($1, $2, $3, $4, $5, $6, now())`, [`r${i}`, row(i).question, row(i).sql, 'up', 'rating', `k${i}`]),
});
report(`feedback write (${WRITES} each)`, writes, 'sqlite');
console.log(`  postgres store over a bare pg INSERT of the same row: ${(median(writes.postgres) / median(writes.pg_insert)).toFixed(2)}x`);

// 2. Eight writers at once (one process): throughput.
for (const [name, store] of Object.entries(stores)) {
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, (_, worker) => (async () => {
    for (let i = 0; i < WRITES / 8; i++) await store.addFeedback({ ...row(i), question: `worker ${worker} ${i}` });
  })()));
  console.log(`8 concurrent writers, ${WRITES} writes on ${name}: ${(WRITES / ((performance.now() - started) / 1000)).toFixed(0)} writes/s`);
}

// 3. Verified-query upvotes (a write transaction that bumps the revision), then reads.
const upvotes = await alternate(VERIFIED, Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, (i) => store.upvoteVerifiedQuery({ question: `What is the revenue of store ${i}?`, sql: `SELECT ${i}`, tables: ['main.orders'], datasource: 'demo', status: 'candidate', provenance: { origin: 'feedback' } })])));
report(`verified-query upvote (${VERIFIED} each)`, upvotes, 'sqlite');
const ids = Object.fromEntries(await Promise.all(Object.entries(stores).map(async ([name, store]) => [name, (await store.listFeedback({ limit: 200 })).map((record) => record.id)])));
report('read one feedback record by id (200 each)', await alternate(200, Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, (i) => store.getFeedback(ids[name][i])]))), 'sqlite');
report('read the revision (200 each)', await alternate(200, Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, () => store.revision()]))), 'sqlite');
report(`list ${VERIFIED} verified queries (20 each)`, await alternate(20, Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, () => store.listVerifiedQueries({ datasource: 'demo' })]))), 'sqlite');

await Promise.all(Object.values(stores).map((store) => store.close()));
await direct.query(`DROP SCHEMA ${schema} CASCADE; DROP TABLE public.${schema}_raw`);
await direct.end();
if (startedDir) execFileSync(join(ROOT, 'scripts', 'pg-test-server.sh'), ['stop', startedDir]);
