// Search at scale: a generated catalogue of 10,000 tables and 200,000 columns. Prints index build
// time, memory and search latency (median, p95), against plain MiniSearch over the same names
// measured in the same run. Usage: npm run bench:search-scale [-- --tables 10000]
import MiniSearch from 'minisearch';
import { SearchIndex, tableDocument, foreignKeyLinks, inferredLinks } from '../dist/search/index.js';

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
const queries = Array.from({ length: QUERIES }, () => `${pick(NOUNS)} ${pick(ATTRS)} by ${pick(NOUNS)} ${pick(ATTRS)}`);

global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let started = performance.now();
const documents = tables.map((table) => tableDocument(table, [], undefined));
const declared = foreignKeyLinks(tables);
const index = new SearchIndex();
index.update(documents, [...declared, ...inferredLinks(tables, declared)]);
const buildMs = performance.now() - started;
global.gc?.();
const heapStratum = process.memoryUsage().heapUsed - heapBefore;

started = performance.now();
const plain = new MiniSearch({ fields: ['text'] });
plain.addAll(tables.map((table) => ({ id: table.name, text: [table.table, ...table.columns.map((c) => c.name)].join(' ') })));
const plainBuildMs = performance.now() - started;

for (const query of queries.slice(0, 20)) index.search(query), plain.search(query);
const stratumTimes = [];
const plainTimes = [];
for (const query of queries) {
  let t = performance.now();
  index.search(query, { topK: 8 });
  stratumTimes.push(performance.now() - t);
  t = performance.now();
  plain.search(query).slice(0, 8);
  plainTimes.push(performance.now() - t);
}

console.log(`catalogue: ${tables.length.toLocaleString('en-US')} tables, ${columnCount.toLocaleString('en-US')} columns, ${index.links.length.toLocaleString('en-US')} key links`);
console.log(`build:  stratum ${(buildMs / 1000).toFixed(2)} s (target < 5 s)   plain MiniSearch ${(plainBuildMs / 1000).toFixed(2)} s   ratio ${(buildMs / plainBuildMs).toFixed(2)}x`);
console.log(`memory: stratum index heap ${mib(heapStratum)} MiB${global.gc ? '' : ' (run with --expose-gc for a stable figure)'}, process RSS ${mib(process.memoryUsage().rss)} MiB`);
console.log(`search: stratum median ${median(stratumTimes).toFixed(2)} ms, p95 ${p95(stratumTimes).toFixed(2)} ms (target p95 < 20 ms)   plain median ${median(plainTimes).toFixed(2)} ms, p95 ${p95(plainTimes).toFixed(2)} ms   p95 ratio ${(p95(stratumTimes) / p95(plainTimes)).toFixed(2)}x`);
