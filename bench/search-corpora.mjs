// Schema-linking quality on Spider dev and BIRD dev (per database and union settings), with two
// BM25 baselines measured in the same run. Usage: npm run bench:search [-- --only spider_union]
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import { SearchIndex, tableDocument, foreignKeyLinks, inferredLinks } from '../dist/search/index.js';
import { catalogTables } from './text2sql-catalog.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const corpora = resolve(process.env.STRATUM_CORPORA ?? join(here, '../../shared/corpora'), 'text2sql');
if (!existsSync(corpora)) {
  console.error(`No corpora at ${corpora}: set STRATUM_CORPORA.`);
  process.exit(1);
}
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const KS = [1, 3, 5, 10, 15];
const json = (path) => JSON.parse(readFileSync(join(corpora, path), 'utf8'));

function stratumIndex(tables) {
  const index = new SearchIndex();
  const declared = foreignKeyLinks(tables);
  index.update(tables.map((table) => tableDocument(table, [], undefined)), [...declared, ...inferredLinks(tables, declared)]);
  return { rank: (question, k) => index.search(question, { topK: k, maxColumns: 1 }).tables.map((table) => table.name) };
}

const STOP = new Set('a an the of for in on at by with to from and or is are was were be what which who whom whose how many much all each every that this these those their its it as than do does did have has had show list give find return me please'.split(' '));
const plural = (term) => (term.length > 4 && term.endsWith('ies') ? `${term.slice(0, -3)}y` : term.length > 3 && /(s|x|z|ch|sh)es$/.test(term) ? term.slice(0, -2) : term.length > 3 && term.endsWith('s') && !term.endsWith('ss') ? term.slice(0, -1) : term);

/** Baselines: BM25 over table and column names, plain or with stop words and plural stemming. */
function baselineIndex(tables, stemmed) {
  const search = new MiniSearch({
    fields: ['text'],
    processTerm: stemmed ? (term) => (STOP.has(term.toLowerCase()) ? null : plural(term.toLowerCase())) : (term) => term.toLowerCase(),
  });
  search.addAll(tables.map((table) => ({ id: table.name, text: [table.table, ...table.columns.map((c) => c.name)].join(' ') })));
  return { rank: (question, k) => search.search(question).slice(0, k).map((hit) => hit.id) };
}

const SYSTEMS = { stratum: stratumIndex, 'bm25 plain': (t) => baselineIndex(t, false), 'bm25 stop+plural': (t) => baselineIndex(t, true) };

function evaluate(cases, indexFor) {
  const sums = Object.fromEntries(KS.map((k) => [k, { recall: 0, complete: 0 }]));
  const started = performance.now();
  for (const { question, gold, db } of cases) {
    const ranked = indexFor(db).rank(question, 15);
    for (const k of KS) {
      const top = new Set(ranked.slice(0, k));
      const found = gold.filter((table) => top.has(table)).length;
      sums[k].recall += found / gold.length;
      sums[k].complete += found === gold.length ? 1 : 0;
    }
  }
  const result = { n: cases.length, msPerQuery: (performance.now() - started) / Math.max(1, cases.length) };
  for (const k of KS) result[k] = { recall: (100 * sums[k].recall) / cases.length, complete: (100 * sums[k].complete) / cases.length };
  return result;
}

function perDatabase(schemas) {
  const tablesByDb = new Map(schemas.map((schema) => [schema.db_id, catalogTables(schema)]));
  return (system) => {
    const cache = new Map();
    return (db) => {
      if (!cache.has(db)) cache.set(db, SYSTEMS[system](tablesByDb.get(db)));
      return cache.get(db);
    };
  };
}

function union(schemas) {
  const tables = schemas.flatMap((schema) => catalogTables(schema));
  return (system) => {
    const index = SYSTEMS[system](tables);
    return () => index;
  };
}

const settings = [];
{
  const schemas = json('spider/tables.json');
  const items = json('spider/dev_gold_tables.json').items;
  settings.push({ name: 'spider per-db', factory: perDatabase(schemas), cases: items.map((item) => ({ db: item.db_id, question: item.question, gold: item.gold_tables.map((t) => `${item.db_id}.${t}`) })) });
}
{
  const schemas = json('bird/dev_tables.json');
  const items = json('bird/dev_gold_tables.json').items;
  const factory = perDatabase(schemas);
  for (const [half, keep] of [['tune half (even ids)', (id) => id % 2 === 0], ['held-out half (odd ids)', (id) => id % 2 === 1]]) {
    for (const evidence of [false, true]) {
      for (const difficulty of [undefined, 'simple', 'moderate', 'challenging']) {
        const chosen = items.filter((item) => keep(item.question_id) && (!difficulty || item.difficulty === difficulty));
        settings.push({
          name: `bird per-db ${evidence ? 'with' : 'without'} evidence, ${half}${difficulty ? `, ${difficulty}` : ''}`,
          factory,
          cases: chosen.map((item) => ({ db: item.db_id, question: evidence ? `${item.question} ${item.evidence ?? ''}` : item.question, gold: item.gold_tables.map((t) => `${item.db_id}.${t}`) })),
        });
      }
    }
  }
}
for (const name of ['spider_union', 'bird_union']) {
  const schemas = json(`union/${name}/tables.json`);
  const byNormal = new Map(schemas.flatMap((schema) => schema.table_names.map((normal, t) => [`${schema.db_id}.${normal}`.toLowerCase(), `${schema.db_id}.${schema.table_names_original[t]}`])));
  const questions = json(`union/${name}/questions.json`);
  const gold = (item) => item.rel_schema.map((entry) => byNormal.get(entry.slice(0, entry.indexOf('(')).toLowerCase()));
  const factory = union(schemas);
  if (name === 'spider_union') settings.push({ name, factory, cases: questions.map((item) => ({ question: item.utterance, gold: gold(item) })) });
  else {
    for (const [half, keep] of [['tune half (even ids)', (id) => id % 2 === 0], ['held-out half (odd ids)', (id) => id % 2 === 1]]) {
      settings.push({ name: `${name}, ${half}`, factory, cases: questions.filter((item) => keep(item.id)).map((item) => ({ question: item.utterance, gold: gold(item) })) });
    }
  }
}

const report = [];
for (const setting of settings) {
  if (only && !setting.name.includes(only)) continue;
  const row = { setting: setting.name, systems: {} };
  for (const system of Object.keys(SYSTEMS)) row.systems[system] = evaluate(setting.cases, setting.factory(system));
  report.push(row);
  console.log(`\n${setting.name} (${setting.cases.length} questions)`);
  console.log(`  ${'system'.padEnd(18)} ${KS.map((k) => `R@${k}`.padStart(6)).join(' ')}   ${KS.map((k) => `CR@${k}`.padStart(6)).join(' ')}   ms/q`);
  for (const [system, result] of Object.entries(row.systems)) {
    console.log(`  ${system.padEnd(18)} ${KS.map((k) => result[k].recall.toFixed(1).padStart(6)).join(' ')}   ${KS.map((k) => result[k].complete.toFixed(1).padStart(6)).join(' ')}   ${result.msPerQuery.toFixed(2)}`);
  }
  const s = row.systems.stratum;
  const b = row.systems['bm25 stop+plural'];
  console.log(`  stratum vs bm25 stop+plural: CR@5 ${(s[5].complete - b[5].complete).toFixed(1)} points, CR@15 ${(s[15].complete - b[15].complete).toFixed(1)} points`);
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/search-corpora.json'), JSON.stringify(report, null, 2));
