// Search at scale: a generated catalogue of 10,000 tables and 200,000 columns. Prints index build
// time, memory and search latency (median, p95), against plain MiniSearch over the same names
// measured in the same run; then the index's life through SearchService: first build with value
// sampling and progress, the persisted file, a restart that reads it, and an incremental refresh.
// Usage: npm run bench:search-scale [-- --tables 10000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import { SearchIndex, SearchService, knowledgeStoreSignals, tableDocument, foreignKeyLinks, inferredLinks } from '../dist/search/index.js';

const TABLES = Number(process.argv.includes('--tables') ? process.argv[process.argv.indexOf('--tables') + 1] : 10_000);
const COLUMNS_PER_TABLE = 20;
const QUERIES = 300;

// A deterministic generator (no Math.random) so runs compare.
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = (list) => list[Math.floor(random() * list.length)];
const BASE_NOUNS = 'customer order product invoice payment shipment supplier employee department store region campaign account ledger refund return warehouse inventory vendor contract policy claim patient visit doctor ticket incident asset device sensor reading session event subscription plan price discount coupon review rating category brand channel partner lead opportunity quote budget forecast'.split(' ');
// Real catalogues have wide vocabularies: each base noun gets 40 qualified variants (2,000 nouns).
const QUALIFIERS = 'net gross daily monthly annual legacy raw staged final open closed active archived primary secondary external internal partner retail wholesale online offline mobile web north south east west global local planned actual billed paid unpaid pending approved rejected draft manual auto'.split(' ');
const NOUNS = BASE_NOUNS.flatMap((noun) => QUALIFIERS.map((qualifier) => `${qualifier}${noun}`));
const ATTRS = 'id name code status type amount total quantity price date created_at updated_at country city state zip email phone description note score level balance currency rate start_date end_date owner segment tier source reason'.split(' ');

function generate() {
  const tables = [];
  for (let t = 0; t < TABLES; t++) {
    const schema = `domain_${t % 100}`;
    const noun = `${pick(NOUNS)}_${pick(NOUNS)}`;
    const name = `${noun}_${t}`;
    const parent = t >= 100 ? tables[t - 100 * (1 + Math.floor(random() * 3))] : undefined;
    const columns = [{ name: `${name}_id`, type: 'INTEGER', nullable: false, comment: undefined, position: 1 }];
    for (let c = 1; c < COLUMNS_PER_TABLE; c++) columns.push({ name: `${pick(NOUNS)}_${pick(ATTRS)}_${c}`, type: c % 3 ? 'VARCHAR' : 'DOUBLE', nullable: true, comment: c % 5 === 0 ? `the ${pick(ATTRS)} of the ${pick(NOUNS)}` : undefined, position: c + 1 });
    tables.push({
      name: `${schema}.${name}`,
      catalog: 'bench',
      schema,
      table: name,
      kind: 'table',
      comment: `${pick(NOUNS)} ${pick(NOUNS)} records`,
      rowCount: undefined,
      columns,
      primaryKey: [`${name}_id`],
      foreignKeys: parent && parent.schema === schema ? [{ columns: [parent.primaryKey[0]], referencesTable: parent.name, referencesColumns: parent.primaryKey }] : [],
    });
    if (parent && parent.schema === schema) columns.push({ name: parent.primaryKey[0], type: 'INTEGER', nullable: true, comment: undefined, position: columns.length + 1 });
  }
  return tables;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const p95 = (values) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.95) - 1)];
const mib = (bytes) => (bytes / 2 ** 20).toFixed(0);

const tables = generate();
const columnCount = tables.reduce((sum, table) => sum + table.columns.length, 0);
const question = () => `${pick(NOUNS)} ${pick(ATTRS)} by ${pick(NOUNS)} ${pick(ATTRS)}`;
const queries = Array.from({ length: QUERIES }, question);
// Steady state: other questions warm the code paths up first (the first search after a build or a
// restart is reported on its own below).
const warmUp = Array.from({ length: 100 }, question);

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let cpuStarted = cpuMs();
let started = performance.now();
const documents = tables.map((table) => tableDocument(table, [], undefined));
const declared = foreignKeyLinks(tables);
const index = new SearchIndex();
index.update(documents, [...declared, ...inferredLinks(tables, declared)]);
const buildMs = performance.now() - started;
const buildCpuMs = cpuMs() - cpuStarted;
global.gc?.();
const heapStratum = process.memoryUsage().heapUsed - heapBefore;

cpuStarted = cpuMs();
started = performance.now();
const plain = new MiniSearch({ fields: ['text'] });
plain.addAll(tables.map((table) => ({ id: table.name, text: [table.table, ...table.columns.map((c) => c.name)].join(' ') })));
const plainBuildMs = performance.now() - started;
const plainBuildCpuMs = cpuMs() - cpuStarted;

// Each side runs its own loop after its own warm-up and a collection, so neither pays for the
// other's garbage (plain MiniSearch allocates a result object per matching table).
const latencies = (run) => {
  for (const query of warmUp) run(query);
  global.gc?.();
  return queries.map((query) => {
    const t = performance.now();
    run(query);
    return performance.now() - t;
  });
};
const stratumTimes = latencies((query) => index.search(query, { topK: 8 }));
const plainTimes = latencies((query) => plain.search(query).slice(0, 8));

console.log(`catalogue: ${tables.length.toLocaleString('en-US')} tables, ${columnCount.toLocaleString('en-US')} columns, ${index.links.length.toLocaleString('en-US')} key links; machine load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`);
console.log(`build:  stratum ${(buildMs / 1000).toFixed(2)} s, cpu ${(buildCpuMs / 1000).toFixed(2)} s (target < 5 s)   plain MiniSearch ${(plainBuildMs / 1000).toFixed(2)} s, cpu ${(plainBuildCpuMs / 1000).toFixed(2)} s   ratio ${(buildMs / plainBuildMs).toFixed(2)}x`);
console.log(`memory: stratum index heap ${mib(heapStratum)} MiB${global.gc ? '' : ' (run with --expose-gc for a stable figure)'}, process RSS ${mib(process.memoryUsage().rss)} MiB`);
console.log(`search: stratum median ${median(stratumTimes).toFixed(2)} ms, p95 ${p95(stratumTimes).toFixed(2)} ms (target p95 < 20 ms)   plain median ${median(plainTimes).toFixed(2)} ms, p95 ${p95(plainTimes).toFixed(2)} ms   p95 ratio ${(p95(stratumTimes) / p95(plainTimes)).toFixed(2)}x`);

// The index's life, as a server lives it: SearchService over the same catalogue.
const folder = mkdtempSync(join(tmpdir(), 'stratum-search-scale-'));
const persistPath = join(folder, 'search-index-bench.json');
let snapshot = { datasource: 'bench', dialect: 'duckdb', tables, introspectedAt: '1' };
let sampled = 0;
const serviceOptions = {
  datasource: 'bench',
  loadCatalog: async () => snapshot,
  // A fast stand-in for the connector: a few values for one column in ten.
  sampleValues: async (table, column) => {
    sampled++;
    return column.endsWith('_3') ? ['north', 'south', 'east', 'west'] : [];
  },
  persistPath,
};
const timed = async (run) => {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
};
let progressCalls = 0;
const first = new SearchService(serviceOptions);
const cold = await timed(() => first.refresh(() => progressCalls++));
const coldSampled = sampled;
const fileSize = statSync(persistPath).size;
sampled = 0;
const second = new SearchService(serviceOptions);
const warm = await timed(() => second.refresh());
const warmSampled = sampled;
sampled = 0;
const warmSearch = await timed(() => second.search(queries[0]));
const changedTable = { ...tables[42], comment: 'rewritten comment about refunds' };
const addedTable = { ...tables[7], name: 'domain_7.brand_new_table', table: 'brand_new_table' };
snapshot = { ...snapshot, tables: [...tables.slice(0, 42), changedTable, ...tables.slice(43, -1), addedTable], introspectedAt: '2' };
const incremental = await timed(() => second.refresh());
const incrementalSampled = sampled;
global.gc?.();
const serviceHeap = process.memoryUsage().heapUsed - heapBefore;

// Knowledge: what opening the store costs (why a search never opens one that does not exist), and
// search latency with 2,000 recorded questions read at query time.
const storePath = join(folder, 'knowledge.db');
let t0 = performance.now();
const { Knowledge, SqliteKnowledgeStore } = await import('../dist/knowledge/index.js');
const importMs = performance.now() - t0;
t0 = performance.now();
const store = new SqliteKnowledgeStore(storePath);
const createMs = performance.now() - t0;
const RECORDED = 2_000;
for (let i = 0; i < RECORDED; i++) {
  const used = [pick(tables), pick(tables)].map((table) => table.name);
  await store.upvoteVerifiedQuery({ question: `${pick(NOUNS)} ${pick(ATTRS)} by ${pick(NOUNS)} ${pick(ATTRS)}`, sql: `SELECT ${i}`, tables: used, datasource: 'bench', status: 'candidate', provenance: { origin: 'feedback' } });
}
await store.close();
t0 = performance.now();
const reopened = new SqliteKnowledgeStore(storePath);
const openMs = performance.now() - t0;
const knowledge = new Knowledge({ store: reopened, datasourceName: (name) => name ?? 'bench', connector: () => Promise.reject(new Error('no database')), subagentNames: () => [] });
const withKnowledge = new SearchService({ ...serviceOptions, knowledge: knowledgeStoreSignals(() => Promise.resolve(knowledge)) });
await withKnowledge.ready();
const firstKnowledge = await timed(() => withKnowledge.search(queries[0]));
const plainTimesService = [];
const knowledgeTimes = [];
for (const query of queries) {
  plainTimesService.push((await timed(() => second.search(query, { topK: 8 }))).ms);
  knowledgeTimes.push((await timed(() => withKnowledge.search(query, { topK: 8 }))).ms);
}
await reopened.upvoteVerifiedQuery({ question: 'a question recorded just now', sql: 'SELECT 1', tables: [tables[1].name], datasource: 'bench', status: 'candidate', provenance: { origin: 'feedback' } });
const afterFeedback = await timed(() => withKnowledge.search(queries[1]));
await knowledge.close();
rmSync(folder, { recursive: true, force: true });
const counts = ({ added, changed, removed, unchanged }) => `${added} added, ${changed} changed, ${removed} removed, ${unchanged} unchanged`;
console.log(`life:   first build through SearchService ${(cold.ms / 1000).toFixed(2)} s (${coldSampled} text columns sampled, ${progressCalls} progress callbacks), persisted file ${mib(fileSize)} MiB`);
console.log(`        restart reading the file ${(warm.ms / 1000).toFixed(2)} s (${counts(warm.result)}, ${warmSampled} text columns sampled), first search after it ${warmSearch.ms.toFixed(1)} ms`);
console.log(`        refresh after one table changed, one added, one removed ${(incremental.ms / 1000).toFixed(2)} s (${counts(incremental.result)}, ${incrementalSampled} text columns sampled)`);
console.log(`        heap with two services and the bare index alive ${mib(serviceHeap)} MiB, process RSS ${mib(process.memoryUsage().rss)} MiB`);
console.log(`knowledge: loading the store's code ${importMs.toFixed(0)} ms, creating the SQLite file ${createMs.toFixed(0)} ms, opening it again ${openMs.toFixed(1)} ms`);
console.log(`        search with ${RECORDED.toLocaleString('en-US')} recorded questions: first ${firstKnowledge.ms.toFixed(1)} ms (builds the question index), then median ${median(knowledgeTimes).toFixed(2)} ms, p95 ${p95(knowledgeTimes).toFixed(2)} ms   without: median ${median(plainTimesService).toFixed(2)} ms, p95 ${p95(plainTimesService).toFixed(2)} ms; first search after new feedback ${afterFeedback.ms.toFixed(1)} ms`);
