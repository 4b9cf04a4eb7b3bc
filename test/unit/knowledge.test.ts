import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Knowledge,
  SCHEMA_VERSION,
  SqliteKnowledgeStore,
  QuestionIndex,
  normaliseSql,
  questionTokens,
  readSqlStatements,
  readCsvStatements,
  sqlFingerprint,
  tablesByScan,
  contentHash,
} from '../../src/knowledge/index.js';
import type { SemanticModel } from '../../src/semantic/index.js';
import { tempDir } from '../helpers/fixture.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

function openStore(path = join(tempDir(), 'k.db')): SqliteKnowledgeStore {
  const store = new SqliteKnowledgeStore(path);
  opened.push(store);
  return store;
}

describe('question and SQL normalisation', () => {
  it('folds synonyms, phrases and stop words so paraphrases share tokens', () => {
    expect(questionTokens('How many clients bought something in 2024?')).toEqual(questionTokens('Number of customers who bought something in 2024'));
    expect(questionTokens('Please list the highest revenue per store')).toEqual(['max', 'revenue', 'store']);
    expect(questionTokens('constructor toString')).toEqual(['constructor', 'string']);
  });

  it('gives statements that differ only in layout, case and comments one fingerprint, and keeps literals apart', () => {
    const a = "SELECT a, count(*)\n  FROM t -- why\n WHERE s = 'X Y';";
    const b = "select A , COUNT( * ) from T where s='X Y'";
    expect(normaliseSql(a)).toBe("select a , count ( * ) from t where s = 'X Y'");
    expect(sqlFingerprint(a)).toBe(sqlFingerprint(b));
    expect(sqlFingerprint("SELECT 1 FROM t WHERE s = 'x'")).not.toBe(sqlFingerprint("SELECT 1 FROM t WHERE s = 'X'"));
    expect(normaliseSql('SELECT `Free Meal` FROM frpm')).toBe('select "Free Meal" from frpm');
  });
});

describe('question similarity', () => {
  const index = new QuestionIndex([
    { question: 'What was our revenue by month in 2025?', item: 'monthly' },
    { question: 'How many orders were cancelled in 2025?', item: 'cancelled' },
    { question: 'List the customers in Texas', item: 'texas' },
  ]);

  it('ranks a paraphrase first with a high score', () => {
    const [best] = index.search('Monthly sales for 2025', 3);
    expect(best).toMatchObject({ item: 'monthly' });
    expect(best!.score).toBeGreaterThan(0.6);
  });

  it('scores a question with other numbers or another answer shape lower', () => {
    const same = index.search('How many orders were cancelled in 2025', 1)[0]!.score;
    const otherYear = index.search('How many orders were cancelled in 2024', 1)[0]!.score;
    const otherShape = index.search('Which orders were cancelled in 2025', 1)[0]!.score;
    expect(same).toBe(1);
    expect(otherYear).toBeLessThan(0.65);
    expect(otherShape).toBeLessThan(same);
  });

  it('finds nothing for a question that shares no content', () => {
    expect(index.search('What is the weather like?', 3)).toEqual([]);
  });
});

describe('history files', () => {
  it('splits statements on semicolons outside quotes and comments, each with the comment above it', () => {
    const text = "-- Revenue by day\n-- revenue = sum(x)\nSELECT ';' AS s, \"a;b\" FROM t;\n\n/* Top customers */\nSELECT * FROM c /* inline; */ LIMIT 3;\nSELECT 3";
    expect(readSqlStatements(text, 'h.sql')).toEqual([
      { sql: 'SELECT \';\' AS s, "a;b" FROM t', question: 'Revenue by day', note: 'revenue = sum(x)', file: 'h.sql', line: 3 },
      { sql: 'SELECT * FROM c /* inline; */ LIMIT 3', question: 'Top customers', file: 'h.sql', line: 6 },
      { sql: 'SELECT 3', file: 'h.sql', line: 7 },
    ]);
  });

  it('reads question,sql CSV rows with quoted commas and newlines', () => {
    const csv = 'question,sql\n"Sales, by day","SELECT d,\nsum(x) FROM t GROUP BY d;"\n,SELECT 1\n';
    expect(readCsvStatements(csv, 's.csv')).toEqual([
      { sql: 'SELECT d,\nsum(x) FROM t GROUP BY d', question: 'Sales, by day', file: 's.csv', line: 2 },
      { sql: 'SELECT 1', file: 's.csv', line: 3 },
    ]);
    expect(() => readCsvStatements('question,answer\na,b\n', 'bad.csv')).toThrow(/no SQL column/);
  });

  it('falls back to a FROM/JOIN scan that skips CTE names, derived tables and literals', () => {
    const sql = "WITH recent AS (SELECT * FROM sales.orders) SELECT * FROM recent JOIN `Customers` c ON 1 JOIN (SELECT 1 FROM x) s ON 1 WHERE note = 'from fake' LIMIT 1, 2";
    expect(tablesByScan(sql)).toEqual(['main.Customers', 'main.x', 'sales.orders']);
  });
});

describe('SQLite knowledge store', () => {
  it('creates its folder, runs WAL with a busy timeout and records the schema version', async () => {
    const path = join(tempDir(), 'nested', 'knowledge.db');
    const store = openStore(path);
    await store.addFeedback({ rating: 'up', kind: 'rating', comment: 'ok' });
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('refuses a store written by a newer Stratum', async () => {
    const path = join(tempDir(), 'k.db');
    await openStore(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => new SqliteKnowledgeStore(path)).toThrow(/newer than this Stratum/);
  });

  it('counts upvotes and downvotes per (question, SQL) and lifts a demotion when upvotes lead again', async () => {
    const store = openStore();
    const query = { question: 'Total sales?', sql: 'SELECT sum(x) FROM t', tables: ['main.t'], datasource: 'd', status: 'candidate' as const, provenance: { origin: 'feedback' as const } };
    await store.upvoteVerifiedQuery(query);
    expect(await store.downvoteSql('select SUM(x) from t;', 'd')).toBe(1);
    expect(await store.listVerifiedQueries({ datasource: 'd' })).toEqual([]);
    const back = await store.upvoteVerifiedQuery({ ...query, question: 'total sales' });
    expect(back).toMatchObject({ status: 'candidate', upvotes: 2, downvotes: 1 });
  });

  it('mirrors semantic-model queries: new ones added, removed ones dropped, votes kept', async () => {
    const store = openStore();
    const make = (question: string) => ({ question, sql: `SELECT '${question}'`, tables: [], semanticModel: 'retail', status: 'verified' as const, provenance: { origin: 'semantic_model' as const, semanticModel: 'retail' } });
    await store.replaceSemanticModelQueries('retail', [make('a'), make('b')]);
    await store.replaceSemanticModelQueries('retail', [make('b'), make('c')]);
    expect((await store.listVerifiedQueries()).map((query) => query.question)).toEqual(['b', 'c']);
  });

  it('caches embeddings by content hash and model', async () => {
    const store = openStore();
    const key = { hash: contentHash('monthly revenue'), model: 'm1' };
    await store.putEmbedding(key, new Float32Array([0.25, -1, 3.5]));
    expect(Array.from((await store.getEmbedding(key))!)).toEqual([0.25, -1, 3.5]);
    expect(await store.getEmbedding({ ...key, model: 'm2' })).toBeUndefined();
  });
});

describe('the knowledge service', () => {
  const model = {
    name: 'retail',
    verifiedQueries: [{ name: 'monthly_revenue', question: 'What was our revenue by month in 2025?', sql: 'SELECT 1 FROM main.orders', location: { file: '/m/retail.yaml', line: 7, column: 5 } }],
  } as unknown as SemanticModel;

  function service(models: SemanticModel[] = [model]) {
    const knowledge = new Knowledge({
      store: new SqliteKnowledgeStore(join(tempDir(), 'k.db')),
      datasourceName: (name) => name ?? 'demo',
      connector: () => Promise.reject(new Error('no database in this test')),
      subagentNames: () => ['finance'],
      semanticModels: () => [...models],
    });
    opened.push(knowledge);
    return knowledge;
  }

  it("answers a paraphrase of a semantic model's verified question with its SQL and provenance", async () => {
    const match = await service().findVerifiedQuery('monthly sales in 2025');
    expect(match).toMatchObject({
      sql: 'SELECT 1 FROM main.orders',
      source: 'verified_query',
      status: 'verified',
      tables: ['main.orders'],
      provenance: { origin: 'semantic_model', semanticModel: 'retail', name: 'monthly_revenue', file: '/m/retail.yaml', line: 7 },
    });
    expect(match!.score).toBeGreaterThanOrEqual(0.6);
  });

  it('mirrors the semantic models once, and again only when a model changes', async () => {
    const models = [model];
    const knowledge = service(models);
    await knowledge.similarQuestions('monthly revenue');
    const revision = await knowledge.store.revision();
    await knowledge.similarQuestions('monthly revenue');
    expect(await knowledge.store.revision()).toBe(revision);
    models[0] = { ...model, verifiedQueries: [] } as SemanticModel;
    expect(await knowledge.similarQuestions('monthly revenue')).toEqual([]);
  });

  it('keeps feedback whose SQL cannot be checked out of the verified queries', async () => {
    const knowledge = service([]);
    const result = await knowledge.recordFeedback({ question: 'Revenue by store', sql: 'SELECT 2', rating: 'up' });
    expect(result).toMatchObject({ stored: true, created: true, outcome: 'not_verified', detail: 'not a verified query: no database in this test' });
    expect(await knowledge.findVerifiedQuery('Revenue by store')).toBeUndefined();
  });

  it('ranks the tables of similar recorded questions, including history with a question', async () => {
    const knowledge = service();
    await knowledge.store.addHistory([{ sql: 'SELECT * FROM main.returns JOIN main.orders USING (order_id)', question: 'Refunds by month in 2025', tables: ['main.orders', 'main.returns'], datasource: 'demo' }]);
    const tables = await knowledge.relatedTables('refunds per month in 2025');
    expect(tables.map((entry) => entry.table)).toEqual(['main.orders', 'main.returns']);
    expect(tables[1]!.questions).toEqual(['Refunds by month in 2025']);
  });

  it('rejects a rating other than up or down, and a correction without corrected SQL', async () => {
    const knowledge = service();
    await expect(knowledge.recordFeedback({ question: 'q', rating: 'meh' })).rejects.toThrow('rating must be "up" or "down"; got "meh".');
    await expect(knowledge.recordFeedback({ question: 'q', rating: 'down', kind: 'correction' })).rejects.toThrow('kind "correction" needs corrected_sql.');
  });
});
