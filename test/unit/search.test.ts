import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppContext } from '../../src/context.js';
import { loadConfigFile } from '../../src/config/index.js';
import type { CatalogSnapshot, CatalogTable } from '../../src/connectors/index.js';
import { StratumError } from '../../src/errors.js';
import { Knowledge, SqliteKnowledgeStore } from '../../src/knowledge/index.js';
import {
  InMemoryKnowledge,
  OpenAIEmbedder,
  SearchIndex,
  SearchService,
  TransformersEmbedder,
  VectorIndex,
  foreignKeyLinks,
  inferredLinks,
  knowledgeStoreSignals,
  tableDocument,
  tokenize,
} from '../../src/search/index.js';
import { createShopDatabase, tempDir } from '../helpers/fixture.js';

function table(name: string, columns: string[], options: { comment?: string; primaryKey?: string[]; foreignKeys?: CatalogTable['foreignKeys'] } = {}): CatalogTable {
  const [schema, short] = name.split('.') as [string, string];
  return {
    name,
    catalog: 'db',
    schema,
    table: short,
    kind: 'table',
    comment: options.comment,
    rowCount: undefined,
    columns: columns.map((column, i) => ({ name: column, type: column.endsWith('_id') || column === 'sid' || column === 'cid' ? 'INTEGER' : 'VARCHAR', nullable: true, comment: undefined, position: i + 1 })),
    primaryKey: options.primaryKey ?? [],
    foreignKeys: options.foreignKeys ?? [],
  };
}

const SCHOOL: CatalogTable[] = [
  table('main.students', ['student_id', 'full_name'], { primaryKey: ['student_id'] }),
  table('main.courses', ['course_id', 'title'], { primaryKey: ['course_id'] }),
  table('main.registrations', ['reg_id', 'sid', 'cid', 'term'], {
    primaryKey: ['reg_id'],
    foreignKeys: [
      { columns: ['sid'], referencesTable: 'main.students', referencesColumns: ['student_id'] },
      { columns: ['cid'], referencesTable: 'main.courses', referencesColumns: ['course_id'] },
    ],
  }),
  table('main.student_clubs', ['club_id', 'club_name', 'student_count']),
  table('main.course_reviews', ['review_id', 'course_rating']),
  table('main.weather', ['day', 'rain_mm']),
  table('archive.students', ['student_id', 'full_name']),
];

function indexOf(tables: CatalogTable[]): SearchIndex {
  const index = new SearchIndex();
  const declared = foreignKeyLinks(tables);
  index.update(tables.map((t) => tableDocument(t, [], undefined)), [...declared, ...inferredLinks(tables, declared)]);
  return index;
}

describe('tokenizer', () => {
  it('splits identifiers, spells out abbreviations, drops stop words and stems', () => {
    expect(tokenize('cust_qty')).toEqual(tokenize('customer quantity'));
    expect(tokenize('OrderDate')).toEqual(tokenize('order date'));
    expect(tokenize('How many orders were shipped?')).toEqual(['order', 'ship']);
    expect(tokenize('transactions_1k')).toEqual(['transact', '1k']);
  });

  it('keeps words that name properties of every JavaScript object', () => {
    expect(tokenize('constructorId of the constructors')).toEqual(['constructor', 'id', 'constructor']);
    expect(tokenize('toString valueOf')).toEqual(['string', 'valu']);
  });
});

describe('search index', () => {
  it('ranks a bridge table up when it joins two hits, and gives the join path through it', () => {
    const result = indexOf(SCHOOL).search('students and courses', { topK: 4 });
    expect(result.tables.map((t) => t.name)).toEqual(['main.courses', 'main.course_reviews', 'main.students', 'main.registrations']);
    expect(result.tables[3]!.reasons).toEqual(['joins main.courses and main.students']);
    const viaRegistrations = { left: 'main.courses', right: 'main.registrations', on: 'main.courses.course_id = main.registrations.cid', source: 'foreign_key' };
    expect(result.joinPaths).toEqual([
      { from: 'main.courses', to: 'main.students', steps: [viaRegistrations, { left: 'main.registrations', right: 'main.students', on: 'main.registrations.sid = main.students.student_id', source: 'foreign_key' }] },
      { from: 'main.courses', to: 'main.registrations', steps: [viaRegistrations] },
    ]);
  });

  it('without key expansion the bridge table ranks below the look-alikes', () => {
    const tables = SCHOOL;
    const index = new SearchIndex({ lexical: 1, schema: 0.6, value: 0.5, knowledge: 0.8, dense: 0.6, neighbour: 0, bridge: 0 });
    index.update(tables.map((t) => tableDocument(t, [], undefined)), foreignKeyLinks(tables));
    const names = index.search('students and courses', { topK: 7 }).tables.map((t) => t.name);
    expect(names.indexOf('main.registrations')).toBeGreaterThan(names.indexOf('main.student_clubs'));
  });

  it('restricts results to a scope of schema.table globs or a predicate', () => {
    const index = indexOf(SCHOOL);
    expect(index.search('students', { filter: ['archive.*'] }).tables.map((t) => t.name)).toEqual(['archive.students']);
    expect(index.search('students', { filter: (name) => name !== 'main.students' }).tables.map((t) => t.name)).not.toContain('main.students');
    expect(index.search('students', { filter: ['main.student*'] }).tables.map((t) => t.name).sort()).toEqual(['main.student_clubs', 'main.students']);
  });

  it('lists matched columns first, marked, then keys', () => {
    const found = indexOf(SCHOOL).search('course rating', { topK: 1 }).tables[0]!;
    expect(found.name).toBe('main.course_reviews');
    expect(found.columns).toEqual([
      { name: 'course_rating', type: 'VARCHAR', matched: true },
      { name: 'review_id', type: 'INTEGER', matched: false },
    ]);
    expect(found.reasons).toContain('column course_rating matches "cours", "rate"');
  });

  it('infers x_id -> x.id links where no key is declared', () => {
    const tables = [table('main.customer', ['id', 'name']), table('main.invoice', ['id', 'customer_id', 'total'])];
    expect(inferredLinks(tables, [])).toEqual([{ left: 'main.invoice', leftColumns: ['customer_id'], right: 'main.customer', rightColumns: ['id'], source: 'inferred' }]);
  });

  it('ranks tables of known questions up (knowledge signals)', async () => {
    const knowledge = new InMemoryKnowledge([{ question: 'who are our top spenders', tables: ['main.weather'], weight: 1 }]);
    const snapshot: CatalogSnapshot = { datasource: 'school', dialect: 'duckdb', tables: SCHOOL, introspectedAt: 'now' };
    const service = new SearchService({ datasource: 'school', loadCatalog: async () => snapshot, knowledge });
    const result = await service.search('top spenders this year');
    expect(result.tables[0]!.name).toBe('main.weather');
    expect(result.tables[0]!.reasons).toContain('used by a known question: "who are our top spenders"');
  });
});

describe('knowledge store as a search source', () => {
  const snapshot: CatalogSnapshot = { datasource: 'school', dialect: 'duckdb', tables: SCHOOL, introspectedAt: 'now' };
  const store = {
    asked: [] as string[],
    async similarQuestions(question: string, k: number, options: { datasource: string }) {
      this.asked.push(`${options.datasource}: ${question} (${k})`);
      return [
        { question: 'which pupils signed up for which classes', sql: 'SELECT ...', score: 0.62, tables: ['MAIN.REGISTRATIONS'], source: 'verified_query' as const },
        { question: 'pupils per class', sql: 'SELECT ...', score: 0.41, tables: ['main.registrations', 'main.courses'], source: 'history' as const },
        { question: 'rain last week', sql: 'SELECT ...', score: 0.02, tables: ['main.weather'], source: 'verified_query' as const },
      ];
    },
  };

  it('adds up the recorded questions like the asked one per table, naming the closest, and ignores the unlike', async () => {
    const service = new SearchService({ datasource: 'school', loadCatalog: async () => snapshot, knowledge: knowledgeStoreSignals(async () => store) });
    const result = await service.search('which pupils signed up for which classes this term', { topK: 3 });
    expect(store.asked).toEqual(['school: which pupils signed up for which classes this term (10)']);
    const registrations = result.tables.find((t) => t.name === 'main.registrations')!;
    expect(result.tables[0]!.name).toBe('main.registrations');
    expect(registrations.reasons).toContain('used by a verified query: "which pupils signed up for which classes" (similarity 0.62; 1 more recorded question like it uses the table)');
    expect(result.tables.find((t) => t.name === 'main.courses')!.reasons).toContain('used by SQL history: "pupils per class" (similarity 0.41)');
    expect(result.tables.map((t) => t.name)).not.toContain('main.weather');
  });

  it('asks nothing of a store that is not in use', async () => {
    const service = new SearchService({ datasource: 'school', loadCatalog: async () => snapshot, knowledge: knowledgeStoreSignals(() => undefined) });
    expect((await service.search('which pupils signed up for which classes')).tables.flatMap((t) => t.reasons).filter((r) => r.startsWith('used by'))).toEqual([]);
  });

  it('attaches imported SQL history questions to their tables, below verified queries', async () => {
    const store = new SqliteKnowledgeStore(':memory:');
    const knowledge = new Knowledge({ store, datasourceName: (name) => name ?? 'school', connector: () => Promise.reject(new Error('no database')), subagentNames: () => [] });
    await store.addHistory([{ sql: 'SELECT * FROM main.weather', question: 'how wet was last month', tables: ['main.weather'], datasource: 'school' }]);
    const service = new SearchService({ datasource: 'school', loadCatalog: async () => snapshot, knowledge: knowledgeStoreSignals(async () => knowledge) });
    const result = await service.search('how wet was last month');
    expect(result.tables[0]).toMatchObject({ name: 'main.weather', score: 0.9, reasons: ['used by SQL history: "how wet was last month" (similarity 1.00)'] });
    await knowledge.close();
  });

  it('searches on when the store fails', async () => {
    const failing = { similarQuestions: async () => Promise.reject(new Error('database is locked')) };
    const service = new SearchService({ datasource: 'school', loadCatalog: async () => snapshot, knowledge: knowledgeStoreSignals(async () => failing) });
    expect((await service.search('weather')).tables[0]!.name).toBe('main.weather');
  });
});

describe('search service over a real database', () => {
  let dir: string;
  let context: AppContext;

  beforeAll(async () => {
    dir = tempDir();
    const { databasePath } = await createShopDatabase(dir);
    mkdirSync(join(dir, 'models'));
    writeFileSync(
      join(dir, 'models', 'shop.yaml'),
      [
        'name: shop',
        'tables:',
        '  - name: buyers',
        '    synonyms: [clientele, patrons]',
        '    base_table: { database: shop, schema: main, table: customers }',
        '    dimensions:',
        '      - name: segment',
        '        synonyms: [market tier]',
        '        expr: segment',
        '        data_type: varchar',
        'verified_queries:',
        '  - name: cancellations',
        '    question: how often do people give up on a purchase',
        '    sql: SELECT count(*) FROM main.orders WHERE status = \'cancelled\'',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'stratum.yaml'), `datasources:\n  shop: { type: duckdb, path: ${JSON.stringify(databasePath)} }\nsemantic_models: { paths: [./models] }\n`);
    context = new AppContext(loadConfigFile(join(dir, 'stratum.yaml')));
  });
  afterAll(async () => context?.close());

  it('finds a table by a value of a low-cardinality text column', async () => {
    const result = await context.search().search('orders from Texas', { topK: 3 });
    const customers = result.tables.find((t) => t.name === 'main.customers')!;
    expect(result.tables.map((t) => t.name).sort()).toEqual(['main.completed_orders', 'main.customers', 'main.orders']);
    expect(customers.reasons).toContain('value "Texas" in column state');
    expect(customers.columns[0]).toEqual({ name: 'state', type: 'VARCHAR', description: 'US state of the billing address', matched: true });
    expect(result.joinPaths.map((path) => path.steps.map((step) => step.on))).toContainEqual([expect.stringMatching(/main\.(orders|customers)\.customer_id = main\.(orders|customers)\.customer_id/)]);
  });

  it('finds a table by a semantic-model synonym of the table and of a column', async () => {
    const byTable = await context.search().search('clientele', { topK: 1 });
    expect(byTable.tables[0]!.name).toBe('main.customers');
    expect(byTable.tables[0]!.reasons).toContain('synonym matches "clientel"');
    const byColumn = await context.search().search('market tier', { topK: 1 });
    expect(byColumn.tables[0]!.name).toBe('main.customers');
    expect(byColumn.tables[0]!.columns[0]).toMatchObject({ name: 'segment', matched: true });
  });

  it('finds the tables of a verified query by its question', async () => {
    const result = await context.search().search('how often do people give up on a purchase', { topK: 1 });
    expect(result.tables[0]!.name).toBe('main.orders');
  });

  it('persists the index beside the knowledge store', async () => {
    await context.search().refresh();
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, '.stratum', 'search-index-shop.json'))).toBe(true);
  });
});

describe('incremental refresh', () => {
  /** Service options over a snapshot the test may replace, with a value sampler that records the columns it reads. */
  function sampledService(values: Record<string, string[]>, maxValueColumns?: number) {
    const state = { snapshot: { datasource: 'school', dialect: 'duckdb', tables: SCHOOL, introspectedAt: '1' } as CatalogSnapshot, sampled: [] as string[] };
    const options = {
      datasource: 'school',
      loadCatalog: async () => state.snapshot,
      sampleValues: async (t: string, column: string) => {
        state.sampled.push(`${t}.${column}`);
        return values[`${t}.${column}`] ?? [];
      },
      persistPath: join(tempDir(), 'search.json'),
      ...(maxValueColumns ? { maxValueColumns } : {}),
    };
    return { state, options };
  }

  it('re-reads only the tables whose catalog entry changed, also across processes', async () => {
    const { state, options } = sampledService({ 'main.weather.day': ['Monday', 'Tuesday'] });
    const { sampled } = state;
    const first = new SearchService(options);
    expect(await first.refresh()).toMatchObject({ added: 7, changed: 0, removed: 0, unchanged: 0, tables: 7 });
    expect(sampled).toHaveLength(9);

    sampled.length = 0;
    state.snapshot = { ...state.snapshot, tables: [...SCHOOL.slice(0, 5), { ...SCHOOL[5]!, comment: 'Daily precipitation' }], introspectedAt: '2' };
    const result = await first.search('precipitation');
    expect(result.tables[0]!.name).toBe('main.weather');
    expect(sampled).toEqual(['main.weather.day', 'main.weather.rain_mm']);

    sampled.length = 0;
    const second = new SearchService(options);
    expect(await second.refresh()).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 6, tables: 6 });
    expect(sampled).toEqual([]);
    expect((await second.search('monday')).tables[0]!.reasons).toContain('value "Monday" in column day');
  });

  it('ranks exactly as a fresh index after tables were changed, removed and added', () => {
    const changed = [...SCHOOL.slice(0, 4), { ...SCHOOL[4]!, comment: 'what students say about a course' }, ...SCHOOL.slice(6), table('main.teachers', ['teacher_id', 'full_name', 'course_id'])];
    const updated = indexOf(SCHOOL);
    const declared = foreignKeyLinks(changed);
    updated.update(changed.map((t) => tableDocument(t, [], undefined)), [...declared, ...inferredLinks(changed, declared)]);
    const fresh = indexOf(changed);
    for (const question of ['what do students say about courses', 'weather', 'teachers of a course', 'full name of students']) {
      const ranked = (index: SearchIndex) => index.search(question, { topK: 8 }).tables.map((t) => [t.name, t.score.toFixed(2), t.reasons]);
      expect(ranked(updated)).toEqual(ranked(fresh));
    }
    expect(updated.search('rain').tables.map((t) => t.name)).toEqual([]);
  });

  it('reads values of whole tables up to the column budget per refresh, and the rest on the next', async () => {
    const { state, options } = sampledService({ 'archive.students.full_name': ['Ada Lovelace'] }, 5);
    const { sampled } = state;
    const first = new SearchService(options);
    await first.refresh();
    expect(sampled).toEqual(['main.students.full_name', 'main.courses.title', 'main.registrations.term', 'main.student_clubs.club_name', 'main.student_clubs.student_count']);
    expect((await first.search('ada lovelace')).tables).toEqual([]);
    sampled.length = 0;
    const second = new SearchService(options);
    expect(await second.refresh()).toMatchObject({ changed: 3, unchanged: 4 });
    expect(sampled).toEqual(['main.course_reviews.course_rating', 'main.weather.day', 'main.weather.rain_mm', 'archive.students.full_name']);
    expect((await second.search('ada lovelace')).tables[0]!.reasons).toContain('value "Ada Lovelace" in column full_name');
    sampled.length = 0;
    await new SearchService(options).refresh();
    expect(sampled).toEqual([]);
  });
});

describe('dense embedders', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const { model, input } = JSON.parse(body) as { model: string; input: string[] };
        if (model !== 'tiny') {
          response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `model '${model}' not found` } }));
          return;
        }
        // A toy embedding: which of three words the text mentions.
        const data = input.map((text, index) => ({ index, embedding: ['rain', 'student', 'course'].map((word) => (text.toLowerCase().includes(word) ? 1 : 0.01)) }));
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says which folder is missing when the transformers model is not there', async () => {
    const embedder = new TransformersEmbedder('/nonexistent/models/bge-small');
    const error = (await embedder.embed(['x']).catch((e: unknown) => e)) as StratumError;
    expect(error.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(error.message).toBe('The embedding model folder /nonexistent/models/bge-small does not exist.');
    expect(error.hint).toMatch(/^Set search.embeddings.model to a local folder/);
  });

  it('says the transformers package must be installed when the model folder exists', async () => {
    const embedder = new TransformersEmbedder(tempDir());
    const error = (await embedder.embed(['x']).catch((e: unknown) => e)) as StratumError;
    expect(error.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(error.message).toBe('search.embeddings uses provider "transformers" but the package @huggingface/transformers is not installed.');
    expect(error.hint).toMatch(/npm install @huggingface\/transformers/);
  });

  it('says the openai-compatible endpoint does not serve the model', async () => {
    const embedder = new OpenAIEmbedder({ base_url: baseUrl, model: 'missing-model' });
    const error = (await embedder.embed(['x']).catch((e: unknown) => e)) as StratumError;
    expect(error.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(error.message).toBe(`The embeddings endpoint ${baseUrl}/embeddings answered 404: {"error":{"message":"model 'missing-model' not found"}}`);
    expect(error.hint).toBe('Check that the endpoint serves the model "missing-model" (search.embeddings.model).');
  });

  it('fuses dense hits into the ranking, caching vectors by content', async () => {
    const snapshot: CatalogSnapshot = { datasource: 'school', dialect: 'duckdb', tables: SCHOOL, introspectedAt: '1' };
    let calls = 0;
    const embedder = new OpenAIEmbedder({ base_url: baseUrl, model: 'tiny' });
    const counting = { id: embedder.id, embed: (texts: string[]) => ((calls += texts.length), embedder.embed(texts)) };
    const service = new SearchService({ datasource: 'school', loadCatalog: async () => snapshot, embedder: counting });
    const result = await service.search('precipitation in millimetres of rain');
    expect(result.tables[0]!.name).toBe('main.weather');
    expect(calls).toBe(8);
    await service.search('rain again');
    expect(calls).toBe(9);
  });

  it('answers the same nearest neighbours exactly and through hnswlib', () => {
    const vectors: [string, number[]][] = Array.from({ length: 300 }, (_, i) => [`t${i}`, [Math.sin(i), Math.cos(i * 1.7), Math.sin(i * 0.3), (i % 7) / 7]]);
    const exact = new VectorIndex(vectors, 10_000);
    const hnsw = new VectorIndex(vectors, 10);
    expect(exact.usesHnsw).toBe(false);
    expect(hnsw.usesHnsw).toBe(true);
    const query = [0.2, 0.9, -0.1, 0.5];
    expect(hnsw.nearest(query, 5).map((hit) => hit.id)).toEqual(exact.nearest(query, 5).map((hit) => hit.id));
  });
});
