#!/usr/bin/env node
// Knowledge store: durable feedback writes and verified-question lookup, each against a baseline
// measured in the same run. Run `npm run build` first. `--writes N`, `--questions N`.
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { Knowledge, SqliteKnowledgeStore, questionTokens } from '../dist/knowledge/index.js';

const arg = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const WRITES = arg('--writes', 2000);
const QUESTIONS = arg('--questions', 5000);
const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-knowledge-'));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => `${value.toFixed(3)} ms`;

// 1. Durable writes: Stratum's addFeedback (idempotency lookup, id, one IMMEDIATE transaction, WAL, synchronous=FULL)
//    against a bare prepared INSERT of the same row on a table with the same settings.
const store = new SqliteKnowledgeStore(join(dir, 'knowledge.db'));
const raw = new Database(join(dir, 'raw.db'));
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = FULL');
raw.exec('CREATE TABLE feedback (id TEXT PRIMARY KEY, question TEXT, sql TEXT, rating TEXT, kind TEXT, created_at TEXT)');
const insert = raw.prepare('INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?)');
const stratumTimes = [];
const rawTimes = [];
for (let i = 0; i < WRITES; i++) {
  const row = { question: `How many orders in week ${i}?`, sql: `SELECT count(*) FROM orders WHERE week = ${i}`, rating: 'up', kind: 'rating' };
  const order = i % 2 ? ['raw', 'stratum'] : ['stratum', 'raw'];
  for (const side of order) {
    const started = performance.now();
    if (side === 'stratum') await store.addFeedback({ ...row, idempotencyKey: `k${i}` });
    else insert.run(`r${i}`, row.question, row.sql, row.rating, row.kind, new Date().toISOString());
    (side === 'stratum' ? stratumTimes : rawTimes).push(performance.now() - started);
  }
}
console.log(`durable feedback write (${WRITES} each, alternating): Stratum ${ms(median(stratumTimes))} median vs bare INSERT ${ms(median(rawTimes))} -> ${(median(stratumTimes) / median(rawTimes)).toFixed(2)}x`);
raw.close();

// 2. Lookup: QUESTIONS verified questions; a warm findVerifiedQuery against a plain token-overlap (Jaccard) scan of the same questions.
const subjects = ['orders', 'customers', 'refunds', 'payments', 'stores', 'products', 'returns', 'shipments', 'invoices', 'visits'];
const measures = ['revenue', 'count', 'average value', 'total discount', 'median basket', 'share of returns'];
const groupings = ['by month', 'by region', 'per store', 'by channel', 'by category', 'per customer segment', 'by weekday'];
const questions = Array.from({ length: QUESTIONS }, (_, i) => `What is the ${measures[i % measures.length]} of ${subjects[Math.floor(i / measures.length) % subjects.length]} ${groupings[Math.floor(i / 60) % groupings.length]} in ${2000 + (i % 25)}?`);
const knowledge = new Knowledge({ store: new SqliteKnowledgeStore(join(dir, 'lookup.db')), datasourceName: (name) => name ?? 'demo', connector: () => Promise.reject(new Error('none')), subagentNames: () => [] });
for (let i = 0; i < questions.length; i++) {
  await knowledge.store.upvoteVerifiedQuery({ question: questions[i], sql: `SELECT ${i}`, tables: ['main.orders'], datasource: 'demo', status: 'candidate', provenance: { origin: 'feedback' } });
}
let started = performance.now();
await knowledge.findVerifiedQuery('warm up');
const coldMs = performance.now() - started;
started = performance.now();
await knowledge.store.listVerifiedQueries({ datasource: 'demo' });
const listMs = performance.now() - started;
const asks = Array.from({ length: 200 }, (_, i) => `${measures[i % measures.length]} for ${subjects[i % subjects.length]} ${groupings[i % groupings.length]}, ${2000 + (i % 25)}`);
const tokenSets = questions.map((question) => new Set(questionTokens(question)));
const lookupTimes = [];
const scanTimes = [];
for (const ask of asks) {
  let t = performance.now();
  await knowledge.findVerifiedQuery(ask);
  lookupTimes.push(performance.now() - t);
  t = performance.now();
  const wanted = new Set(questionTokens(ask));
  let best = 0;
  for (const set of tokenSets) {
    let shared = 0;
    for (const token of wanted) if (set.has(token)) shared++;
    best = Math.max(best, shared / (wanted.size + set.size - shared));
  }
  scanTimes.push(performance.now() - t);
}
console.log(`first lookup over ${QUESTIONS} verified questions (read + index): ${ms(coldMs)} vs reading them alone ${ms(listMs)} -> ${(coldMs / listMs).toFixed(2)}x`);
console.log(`warm findVerifiedQuery: ${ms(median(lookupTimes))} median vs a Jaccard token scan of the same questions ${ms(median(scanTimes))} -> ${(median(lookupTimes) / median(scanTimes)).toFixed(2)}x`);
await knowledge.close();
await store.close();
