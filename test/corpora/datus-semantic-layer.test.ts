import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import type { JsonValue } from '../../src/connectors/index.js';
import { AppContext } from '../../src/context.js';
import { generateSql, type GeneratedSql } from '../../src/generation/index.js';
import { createLogger } from '../../src/logger.js';
import { generationRequest, generationServices } from '../../src/tools/generate_sql.js';
import { tempDir } from '../helpers/fixture.js';

/**
 * The Datus semantic-layer benchmark (20 questions with gold SQL over MetricFlow's tutorial data in
 * DuckDB), end to end through generate_sql: once after every (question, SQL) pair was recorded as an
 * upvote (the verified-query path; rows compared with the gold rows), and once with nothing
 * recorded and no model (the context-only path; are the gold tables in the assembled context?).
 */

const corpora = process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../../shared/corpora/', import.meta.url));
const datus = join(corpora, 'datus');
// The folder holds sources.yml and sample_models/, which the registry serves as one model named sample_models.
const tutorial = join(corpora, 'metricflow', 'tutorial_project', 'sample_dbt_models');
const present = existsSync(join(datus, 'semantic_layer_gold_results_duckdb.json')) && existsSync(join(datus, 'mf_demo', 'duck.db')) && existsSync(tutorial);

describe.runIf(!present && !!process.env.CI)('Datus semantic-layer corpus', () => {
  it('is present', () => {
    throw new Error(`Datus corpus not found at ${datus} (or the MetricFlow tutorial project). Set STRATUM_CORPORA to the shared corpora folder.`);
  });
});

interface GoldResult {
  file: string;
  row: number;
  question: string;
  gold_sql: string;
  columns: string[];
  rows: JsonValue[][];
}

/** Values as comparable text: numbers to 6 significant digits (float sums differ in the last bits), timestamps without a trailing zero time zone. */
function normalise(rows: JsonValue[][]): string[] {
  const cell = (value: JsonValue): string => {
    if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) return Number(Number(value).toPrecision(6)).toString();
    if (typeof value === 'string') return value.replace(/(T00:00:00)(\.000)?Z?$/, '$1').replace(/ 00:00:00$/, 'T00:00:00');
    return JSON.stringify(value);
  };
  return rows.map((row) => row.map(cell).join(' | ')).sort();
}

describe.skipIf(!present)('the Datus semantic-layer questions through generate_sql', () => {
  const gold = present ? (JSON.parse(readFileSync(join(datus, 'semantic_layer_gold_results_duckdb.json'), 'utf8')) as { results: GoldResult[] }).results : [];
  const contexts: AppContext[] = [];

  function workspace(name: string): AppContext {
    const dir = tempDir(`stratum-datus-${name}-`);
    const config = configFromObject(
      {
        datasources: { mf_demo: { type: 'duckdb', path: join(datus, 'mf_demo', 'duck.db') } },
        semantic_models: {
          paths: [tutorial],
          refs: { transactions: 'mf_demo.mf_demo_transactions', customers: 'mf_demo.mf_demo_customers', countries: 'mf_demo.mf_demo_countries' },
        },
        knowledge: { path: join(dir, 'knowledge.db') },
      },
      dir,
    );
    const context = new AppContext(config, createLogger('silent'));
    contexts.push(context);
    return context;
  }

  const ask = (context: AppContext, question: string, strategy?: 'auto' | 'schema_linking' | 'semantic_model'): Promise<GeneratedSql> => {
    const input = { question, ...(strategy ? { strategy } : {}) };
    return generateSql(generationServices(context, input, undefined, new AbortController().signal), generationRequest(input));
  };

  beforeAll(() => expect(gold).toHaveLength(20));
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
  });

  it('answers every recorded question with its verified SQL, whose rows equal the gold rows', async () => {
    const context = workspace('verified');
    const knowledge = await context.knowledge();
    const outcomes = [];
    for (const item of gold) outcomes.push((await knowledge.recordFeedback({ question: item.question, sql: item.gold_sql, rating: 'up' })).outcome);
    expect(outcomes.filter((outcome) => outcome === 'candidate')).toHaveLength(20);
    const connector = await context.connector();
    let reused = 0;
    let equal = 0;
    const misses: string[] = [];
    for (const item of gold) {
      const result = await ask(context, item.question);
      if (result.source !== 'verified_query' || !result.sql) {
        misses.push(`not reused (${result.source}): ${item.question}`);
        continue;
      }
      reused++;
      const rows = await connector.execute(result.sql, { maxRows: 200, maxChars: 1_000_000, timeoutMs: 30_000 });
      if (JSON.stringify(normalise(rows.rows)) === JSON.stringify(normalise(item.rows))) equal++;
      else misses.push(`rows differ: ${item.question}`);
    }
    console.log(`Datus semantic_layer, verified-query path: ${reused}/20 reused, ${equal}/20 with rows equal to gold${misses.length ? `\n  ${misses.join('\n  ')}` : ''}`);
    expect({ reused, equal }).toEqual({ reused: 20, equal: 20 });
  });

  it('puts the gold tables in the context it returns when nothing is recorded and no model is configured', async () => {
    const context = workspace('context');
    const connector = await context.connector();
    const report: Record<string, { tables: number; present: number; questions: number; complete: number; extra: number; chars: number[] }> = {};
    for (const strategy of ['auto', 'schema_linking', 'semantic_model'] as const) {
      const tally = { tables: 0, present: 0, questions: 0, complete: 0, extra: 0, chars: [] as number[] };
      for (const item of gold) {
        const result = await ask(context, item.question, strategy);
        expect(result.source).toBe('context_only');
        const tables = await connector.referencedTables(item.gold_sql);
        const found = tables.filter((table) => result.context!.includes(table));
        tally.tables += tables.length;
        tally.present += found.length;
        tally.questions++;
        if (found.length === tables.length) tally.complete++;
        tally.extra += result.linked_tables!.filter((table) => !tables.includes(table)).length;
        tally.chars.push(result.context!.length);
      }
      report[strategy] = tally;
    }
    const line = (name: string) => {
      const t = report[name]!;
      const median = [...t.chars].sort((a, b) => a - b)[Math.floor(t.chars.length / 2)]!;
      return `${name}: ${t.present}/${t.tables} gold tables present, ${t.complete}/${t.questions} questions with every gold table, ${t.extra} other tables described in all, median context ${median} chars`;
    };
    console.log(`Datus semantic_layer, context-only path:\n  ${['auto', 'schema_linking', 'semantic_model'].map(line).join('\n  ')}`);
    expect(Object.fromEntries(Object.entries(report).map(([name, t]) => [name, [t.present, t.tables, t.complete, t.extra]]))).toEqual({
      auto: [32, 32, 20, 29],
      schema_linking: [32, 32, 20, 29],
      semantic_model: [32, 32, 20, 28],
    });
  });
});
