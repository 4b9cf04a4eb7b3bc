import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  Knowledge,
  POSTGRES_SCHEMA_VERSION,
  PostgresKnowledgeStore,
  SCHEMA_VERSION,
  SqliteKnowledgeStore,
  type KnowledgeStore,
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
import { StratumError } from '../../src/errors.js';
import { tempDir } from '../helpers/fixture.js';
import { PG_URL, adminClient, expectPostgresServer } from '../helpers/postgres.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

/** Schemas the PostgreSQL stores of this file created, dropped at the end. */
const pgSchemas: string[] = [];
afterAll(async () => {
  if (!pgSchemas.length) return;
  const admin = await adminClient();
  for (const schema of pgSchemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

function openStore(path = join(tempDir(), 'k.db')): SqliteKnowledgeStore {
  const store = new SqliteKnowledgeStore(path);
  opened.push(store);
  return store;
}

/** A PostgreSQL store in a fresh schema of the test server. */
function openPgStore(schema = `k_test_${randomBytes(5).toString('hex')}`): PostgresKnowledgeStore {
  if (!pgSchemas.includes(schema)) pgSchemas.push(schema);
  const store = new PostgresKnowledgeStore(PG_URL!, { schema });
  opened.push(store);
  return store;
}

/** Every store implementation runs the same contract tests. */
const STORES: { name: string; available: boolean; open: () => KnowledgeStore }[] = [
  { name: 'SQLite', available: true, open: () => openStore() },
  { name: 'PostgreSQL', available: Boolean(PG_URL), open: () => openPgStore() },
];

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

});

for (const kind of STORES) {
  describe.skipIf(!kind.available)(`${kind.name} knowledge store: the store contract`, () => {
    it('counts upvotes and downvotes per (question, SQL) and lifts a demotion when upvotes lead again', async () => {
      const store = kind.open();
      const query = { question: 'Total sales?', sql: 'SELECT sum(x) FROM t', tables: ['main.t'], datasource: 'd', status: 'candidate' as const, provenance: { origin: 'feedback' as const } };
      await store.upvoteVerifiedQuery(query);
      expect(await store.downvoteSql('select SUM(x) from t;', 'd')).toBe(1);
      expect(await store.listVerifiedQueries({ datasource: 'd' })).toEqual([]);
      const back = await store.upvoteVerifiedQuery({ ...query, question: 'total sales' });
      expect(back).toMatchObject({ status: 'candidate', upvotes: 2, downvotes: 1 });
    });

    it('mirrors semantic-model queries: new ones added, removed ones dropped, votes kept', async () => {
      const store = kind.open();
      const make = (question: string) => ({ question, sql: `SELECT '${question}'`, tables: [], semanticModel: 'retail', status: 'verified' as const, provenance: { origin: 'semantic_model' as const, semanticModel: 'retail' } });
      await store.replaceSemanticModelQueries('retail', [make('a'), make('b')]);
      await store.replaceSemanticModelQueries('retail', [make('b'), make('c')]);
      expect((await store.listVerifiedQueries()).map((query) => query.question)).toEqual(['b', 'c']);
    });

    it('caches embeddings by content hash and model', async () => {
      const store = kind.open();
      const key = { hash: contentHash('monthly revenue'), model: 'm1' };
      await store.putEmbedding(key, new Float32Array([0.25, -1, 3.5]));
      expect(Array.from((await store.getEmbedding(key))!)).toEqual([0.25, -1, 3.5]);
      expect(await store.getEmbedding({ ...key, model: 'm2' })).toBeUndefined();
    });

    it('stores feedback with only the given fields and answers a retry with the first record', async () => {
      const store = kind.open();
      const input = { question: 'Orders per day?', sql: 'SELECT 1', rating: 'up' as const, kind: 'rating' as const, datasource: 'shop', idempotencyKey: 'k-1' };
      const first = await store.addFeedback(input);
      expect(first.created).toBe(true);
      expect(Object.keys(first.record).sort()).toEqual(['createdAt', 'datasource', 'id', 'idempotencyKey', 'kind', 'question', 'rating', 'sql', 'updatedAt']);
      expect(first.record.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const again = await store.addFeedback(input);
      expect(again).toEqual({ record: { ...first.record }, created: false });
      await expect(store.addFeedback({ ...input, rating: 'down' })).rejects.toThrow(`The idempotency key "k-1" was already used for feedback ${first.record.id} with a different rating.`);
      expect(await store.getFeedback(first.record.id)).toEqual(first.record);
      expect(await store.getFeedback('fb_missing')).toBeUndefined();
    });

    it('stores one record when the same idempotency key arrives many times at once', async () => {
      const store = kind.open();
      const input = { comment: 'same call, retried', rating: 'down' as const, kind: 'issue' as const, idempotencyKey: 'burst' };
      const results = await Promise.all(Array.from({ length: 8 }, () => store.addFeedback(input)));
      expect(new Set(results.map((result) => result.record.id)).size).toBe(1);
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(await store.listFeedback()).toHaveLength(1);
    });

    it('lists feedback in creation order, filtered by kind, rating, subagent and time, with outcomes', async () => {
      const store = kind.open();
      const a = (await store.addFeedback({ question: 'a', rating: 'up', kind: 'rating', subagent: 'finance' })).record;
      const b = (await store.addFeedback({ question: 'b', rating: 'down', kind: 'issue' })).record;
      const c = (await store.addFeedback({ question: 'c', rating: 'up', kind: 'rating' })).record;
      await store.setFeedbackOutcome(b.id, 'kept', 'kept as an issue');
      expect((await store.listFeedback()).map((record) => record.question)).toEqual(['a', 'b', 'c']);
      expect((await store.listFeedback({ rating: 'up' })).map((record) => record.id)).toEqual([a.id, c.id]);
      expect((await store.listFeedback({ kind: 'issue' }))[0]).toMatchObject({ id: b.id, outcome: 'kept', outcomeDetail: 'kept as an issue' });
      expect((await store.listFeedback({ subagent: 'finance' })).map((record) => record.id)).toEqual([a.id]);
      expect(await store.listFeedback({ since: '2999-01-01' })).toEqual([]);
      expect(await store.listFeedback({ since: '2000-01-01', limit: 2 })).toHaveLength(2);
    });

    it('merges history by fingerprint per datasource and moves the revision on every change', async () => {
      const store = kind.open();
      const before = await store.revision();
      const entry = { sql: 'SELECT * FROM t', tables: ['main.t'], datasource: 'shop', tablesMethod: 'connector', sourceFile: 'h.sql', sourceLine: 3 };
      expect(await store.addHistory([entry, { ...entry, sql: 'select *\n from T', question: 'All of t' }, { ...entry, datasource: 'other' }])).toEqual({ inserted: 2, merged: 1 });
      expect(await store.revision()).toBeGreaterThan(before);
      const [merged] = await store.listHistory({ datasource: 'shop' });
      expect(merged).toMatchObject({ sql: 'SELECT * FROM t', question: 'All of t', tables: ['main.t'], count: 2, sourceFile: 'h.sql', sourceLine: 3, datasource: 'shop' });
      expect(typeof merged!.id).toBe('number');
      expect(await store.listHistory()).toHaveLength(2);
      expect(await store.listHistory({ limit: 1 })).toHaveLength(1);
    });

    it('promotes a candidate to verified and keeps votes and provenance as given', async () => {
      const store = kind.open();
      const query = { question: 'Revenue by store', sql: 'SELECT 1', tables: ['main.s'], status: 'candidate' as const, provenance: { origin: 'feedback' as const, feedbackId: 'fb_1' } };
      const first = await store.upvoteVerifiedQuery(query);
      expect(first).toMatchObject({ question: 'Revenue by store', status: 'candidate', upvotes: 1, downvotes: 0, tables: ['main.s'], provenance: { origin: 'feedback', feedbackId: 'fb_1' } });
      expect(first.datasource).toBeUndefined();
      const promoted = await store.upvoteVerifiedQuery({ ...query, status: 'verified' });
      expect(promoted).toMatchObject({ id: first.id, status: 'verified', upvotes: 2 });
      expect(await store.downvoteSql('SELECT 2')).toBe(0);
    });
  });
}


describe('PostgreSQL knowledge store: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
});

describe.skipIf(!PG_URL)('PostgreSQL knowledge store', () => {
  it('creates its schema on first use and records the migrations it applied', async () => {
    const store = openPgStore();
    await store.addFeedback({ rating: 'up', kind: 'rating', comment: 'ok' });
    const admin = await adminClient();
    const { rows } = await admin.query(`SELECT version FROM ${store.schema}.schema_migrations ORDER BY version`);
    await admin.end();
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, index) => index + 1));
  });

  it('migrates a new schema once when several replicas open it at the same moment', async () => {
    const schema = `k_test_${randomBytes(5).toString('hex')}`;
    const stores = Array.from({ length: 4 }, () => openPgStore(schema));
    await Promise.all(stores.map((store, index) => store.addFeedback({ rating: 'up', kind: 'rating', comment: `replica ${index}` })));
    expect(await stores[0]!.listFeedback()).toHaveLength(4);
    const admin = await adminClient();
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`);
    await admin.end();
    expect(rows[0].n).toBe(POSTGRES_SCHEMA_VERSION);
  });

  it('refuses a store written by a newer Stratum', async () => {
    const store = openPgStore();
    await store.revision();
    const admin = await adminClient();
    await admin.query(`INSERT INTO ${store.schema}.schema_migrations (version) VALUES (${POSTGRES_SCHEMA_VERSION + 1})`);
    await admin.end();
    await expect(openPgStore(store.schema).revision()).rejects.toThrow(/newer than this Stratum/);
  });

  it('names the server without its password and says what to check when it cannot be reached', async () => {
    const store = new PostgresKnowledgeStore('postgres://stratum:s3cret@127.0.0.1:1/knowledge', { schema: 'kb' });
    opened.push(store);
    expect(store.location).toBe('postgres://stratum:***@127.0.0.1:1/knowledge (schema kb)');
    const error = await store.listFeedback().then(
      () => undefined,
      (caught: unknown) => caught as StratumError,
    );
    expect(error).toMatchObject({ code: 'DATASOURCE_UNAVAILABLE' });
    expect(error!.message).toMatch(/^Cannot open the knowledge store at postgres:\/\/stratum:\*\*\*@127\.0\.0\.1:1\/knowledge \(schema kb\): /);
    expect(error!.message).not.toContain('s3cret');
    expect(error!.hint).toContain('knowledge.url');
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => new PostgresKnowledgeStore(PG_URL!, { schema: 'a; DROP' })).toThrow('knowledge.schema "a; DROP" is not a plain PostgreSQL identifier.');
  });
});

for (const kind of STORES) {
  describe.skipIf(!kind.available)(`the knowledge service on ${kind.name}`, () => {
    const model = {
      name: 'retail',
      verifiedQueries: [{ name: 'monthly_revenue', question: 'What was our revenue by month in 2025?', sql: 'SELECT 1 FROM main.orders', location: { file: '/m/retail.yaml', line: 7, column: 5 } }],
    } as unknown as SemanticModel;

    function service(models: SemanticModel[] = [model]) {
      const knowledge = new Knowledge({
        store: kind.open(),
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
}
