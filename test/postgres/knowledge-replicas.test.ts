import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Knowledge, PostgresKnowledgeStore } from '../../src/knowledge/index.js';
import { createShopDatabase, tempDir, writeConfig } from '../helpers/fixture.js';
import { connectV2Http, spawnHttpServer, type SpawnedHttpServer } from '../helpers/http.js';
import { PG_URL, adminClient, expectPostgresServer } from '../helpers/postgres.js';

type ToolResult = { structuredContent?: Record<string, unknown>; isError?: boolean; content: { text: string }[] };

describe('knowledge store shared by replicas: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
});

/**
 * Two `stratum serve --http` processes in stateless mode (replicas behind a load balancer), each
 * with its own workspace folder and the same `knowledge.url`: what one learns, the other knows.
 */
describe.skipIf(!PG_URL)('knowledge store shared by replicas', () => {
  const schema = `k_replicas_${randomBytes(5).toString('hex')}`;
  const replicas: SpawnedHttpServer[] = [];
  const clients: Client[] = [];
  const call = async (replica: number, args: Record<string, unknown>) => (await clients[replica]!.callTool({ name: 'record_feedback', arguments: args })) as ToolResult;
  const store = () => new PostgresKnowledgeStore(PG_URL!, { schema });

  beforeAll(async () => {
    const { databasePath } = await createShopDatabase(tempDir());
    for (const name of ['a', 'b']) {
      const dir = join(tempDir(), name);
      mkdirSync(dir);
      const config = writeConfig(dir, databasePath);
      appendFileSync(config, `knowledge: { url: ${JSON.stringify(PG_URL)}, schema: ${schema} }\nserver: { http: { stateless: true } }\n`);
      replicas.push(await spawnHttpServer(config));
    }
    for (const replica of replicas) clients.push(await connectV2Http(`${replica.url}/mcp`));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(replicas.map((replica) => replica.stop()));
    const admin = await adminClient();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => admin.end());
  });

  it('answers through one replica a verified query recorded through the other, and counts both votes on it', async () => {
    const pair = { question: 'How many orders were cancelled?', sql: "SELECT count(*) FROM orders WHERE status = 'cancelled'", rating: 'up' };
    const first = await call(0, pair);
    expect(first.structuredContent).toMatchObject({ stored: true, duplicate: false, outcome: 'candidate', verified_query_id: 1 });
    // The other replica, which never saw this pair, answers the question with the recorded SQL.
    const answer = (await clients[1]!.callTool({ name: 'generate_sql', arguments: { question: 'how many orders were cancelled' } })) as ToolResult;
    expect(answer.structuredContent).toMatchObject({ sql: pair.sql, source: 'verified_query', validated: true, verified_query: { id: 1, status: 'candidate' } });
    const second = await call(1, pair);
    expect(second.structuredContent).toMatchObject({ stored: true, duplicate: false, outcome: 'candidate', verified_query_id: 1 });

    // A third process reading the shared store finds the question, paraphrased.
    const shared = store();
    const knowledge = new Knowledge({ store: shared, datasourceName: (name) => name ?? 'shop', connector: () => Promise.reject(new Error('not needed')), subagentNames: () => [] });
    try {
      const match = await knowledge.findVerifiedQuery('number of cancelled orders', { datasource: 'shop' });
      expect(match).toMatchObject({ sql: pair.sql, status: 'candidate', tables: ['main.orders'], provenance: { origin: 'feedback', feedbackId: first.structuredContent!.id } });
      expect((await shared.listVerifiedQueries({ datasource: 'shop' }))[0]).toMatchObject({ id: 1, upvotes: 2, downvotes: 0 });
    } finally {
      await knowledge.close();
    }
  });

  it('answers a retry that lands on the other replica with the first id', async () => {
    const args = { question: 'Total order amount?', sql: 'SELECT sum(amount) FROM orders', rating: 'up', idempotency_key: 'replica-retry-1' };
    const first = await call(0, args);
    const retried = await call(1, args);
    expect(retried.structuredContent).toMatchObject({ id: first.structuredContent!.id, stored: true, duplicate: true, outcome: 'candidate' });
    const changed = await call(1, { ...args, rating: 'down' });
    expect(changed.isError).toBe(true);
    expect(changed.content[0]!.text).toContain(`The idempotency key "replica-retry-1" was already used for feedback ${first.structuredContent!.id} with a different rating.`);
  });

  it('demotes through one replica the SQL the other verified', async () => {
    const demoted = await call(1, { sql: 'SELECT sum(amount) FROM orders', rating: 'down', comment: 'cancelled orders are included' });
    expect(demoted.structuredContent).toMatchObject({ outcome: 'demoted', detail: 'demoted 1 verified query with this SQL' });
    const shared = store();
    try {
      expect((await shared.listVerifiedQueries({ includeDemoted: true })).map((query) => [query.question, query.status, query.upvotes, query.downvotes])).toEqual([
        ['How many orders were cancelled?', 'candidate', 2, 0],
        ['Total order amount?', 'demoted', 1, 1],
      ]);
    } finally {
      await shared.close();
    }
  });

  it('loses nothing when both replicas record feedback at the same time', async () => {
    const calls = Array.from({ length: 40 }, (_, index) => call(index % 2, { question: `Concurrent question ${index}`, comment: 'load', rating: index % 3 ? 'up' : 'down' }));
    const results = await Promise.all(calls);
    expect(results.filter((result) => result.isError)).toEqual([]);
    const shared = store();
    try {
      const stored = await shared.listFeedback();
      const ids = new Set(stored.map((record) => record.id));
      expect(results.every((result) => ids.has(result.structuredContent!.id as string))).toBe(true);
      expect(stored.filter((record) => record.question?.startsWith('Concurrent question'))).toHaveLength(40);
    } finally {
      await shared.close();
    }
  });
});
