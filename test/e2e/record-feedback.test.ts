import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SqliteKnowledgeStore } from '../../src/knowledge/index.js';
import { startV1Client, startV2Client, type StartedClient } from '../helpers/clients.js';
import { createShopDatabase, tempDir, writeConfig } from '../helpers/fixture.js';
import type { Client } from '@modelcontextprotocol/client';

interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

describe('record_feedback over stdio', () => {
  let dir: string;
  let v1: StartedClient<V1Client>;
  let modern: StartedClient<Client>;
  const call = async (args: Record<string, unknown>, client: V1Client | Client = v1.client) => (await client.callTool({ name: 'record_feedback', arguments: args })) as ToolResult;
  const storeRecords = async () => {
    const store = new SqliteKnowledgeStore(join(dir, '.stratum', 'knowledge.db'));
    try {
      return { feedback: await store.listFeedback(), verified: await store.listVerifiedQueries({ includeDemoted: true }) };
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    dir = tempDir();
    const { databasePath } = await createShopDatabase(dir);
    const config = writeConfig(dir, databasePath);
    mkdirSync(join(dir, 'subagents'));
    writeFileSync(join(dir, 'subagents', 'finance.yaml'), 'name: finance\ndescription: Money questions\n');
    v1 = await startV1Client(config);
    modern = await startV2Client(config, 'modern');
  });

  afterAll(async () => {
    await v1?.close();
    await modern?.close();
  });

  it('stores an upvoted pair on disk before answering and makes it a verified query candidate', async () => {
    const result = await call({ question: 'How many orders were cancelled?', sql: "SELECT count(*) FROM orders WHERE status = 'cancelled'", rating: 'up', subagent: 'finance' });
    expect(result.isError).toBeFalsy();
    const id = result.structuredContent!.id as string;
    expect(result.structuredContent).toEqual({
      id,
      stored: true,
      duplicate: false,
      outcome: 'candidate',
      verified_query_id: 1,
      detail: 'verified query candidate #1 (passed the read-only guard and EXPLAIN on shop; tables: main.orders)',
    });
    const { feedback, verified } = await storeRecords();
    expect(feedback.find((record) => record.id === id)).toMatchObject({ rating: 'up', kind: 'rating', subagent: 'finance', datasource: 'shop', clientName: 'stratum-e2e-v1', outcome: 'candidate' });
    expect(verified.map((query) => [query.question, query.status, query.tables, query.provenance])).toEqual([
      ['How many orders were cancelled?', 'candidate', ['main.orders'], { origin: 'feedback', feedbackId: id }],
    ]);
  });

  it('returns the first id when a call is retried with the same idempotency key, and refuses the key for different feedback', async () => {
    const args = { question: 'Total order amount?', sql: 'SELECT sum(amount) FROM orders', rating: 'up', idempotency_key: 'retry-1' };
    const first = await call(args);
    const again = await call(args, modern.client);
    expect(again.structuredContent).toMatchObject({ id: first.structuredContent!.id, stored: true, duplicate: true, outcome: 'candidate' });
    const reused = await call({ ...args, rating: 'down' });
    expect(reused.isError).toBe(true);
    expect(reused.content[0]!.text).toBe(
      `Error [INVALID_ARGUMENT]: The idempotency key "retry-1" was already used for feedback ${first.structuredContent!.id} with a different rating.\nHint: Reuse a key only to retry the same call; send new feedback with a new key (or none).`,
    );
    expect((await storeRecords()).feedback.filter((record) => record.idempotencyKey === 'retry-1')).toHaveLength(1);
  });

  it('demotes the SQL a downvote names', async () => {
    const result = await call({ sql: 'SELECT sum(amount) FROM orders', rating: 'down', comment: 'cancelled orders are included' });
    expect(result.structuredContent).toMatchObject({ outcome: 'demoted', detail: 'demoted 1 verified query with this SQL' });
    const { verified } = await storeRecords();
    expect(verified.find((query) => query.question === 'Total order amount?')).toMatchObject({ status: 'demoted', upvotes: 1, downvotes: 1 });
  });

  it('turns a correction into a candidate and keeps SQL that fails the guard or does not plan for review', async () => {
    const corrected = await call({ question: 'Orders per status', sql: 'SELECT status FROM orders', corrected_sql: 'SELECT status, count(*) FROM orders GROUP BY status', rating: 'down' });
    expect(corrected.structuredContent).toMatchObject({ outcome: 'candidate' });
    const write = await call({ question: 'Clean up', sql: 'DELETE FROM orders', rating: 'up' });
    expect(write.structuredContent).toMatchObject({ stored: true, outcome: 'not_verified', detail: 'not a verified query: SQL_NOT_READ_ONLY: Only read-only queries are allowed; this statement is a DELETE.' });
    const unknown = await call({ question: 'Refunds', sql: 'SELECT * FROM refunds', rating: 'up' });
    expect(unknown.structuredContent).toMatchObject({ outcome: 'not_verified' });
    expect(unknown.structuredContent!.detail).toContain('Table with name refunds does not exist');
    const { feedback } = await storeRecords();
    expect(feedback.find((record) => record.question === 'Orders per status')).toMatchObject({ kind: 'correction', outcome: 'candidate' });
  });

  it('answers bad input with a clear isError result and stores nothing', async () => {
    const before = (await storeRecords()).feedback.length;
    const rating = await call({ question: 'x', rating: 'meh' });
    expect(rating.isError).toBe(true);
    expect(rating.content[0]!.text).toMatch(/rating/);
    expect(rating.content[0]!.text).toMatch(/"up"\|"down"/);
    const long = await call({ question: 'Big one', sql: `SELECT '${'x'.repeat(50_000)}'`, rating: 'up' });
    expect(long.content[0]!.text).toBe('Error [INVALID_ARGUMENT]: sql is 50,009 characters; at most 50,000 are stored.\nHint: Send the statement itself, not its results or a whole script; shorten sql.');
    const subagent = await call({ question: 'x', rating: 'up', subagent: 'finanse' });
    expect(subagent.content[0]!.text).toBe('Error [INVALID_ARGUMENT]: Unknown subagent "finanse". Did you mean "finance"?\nHint: Known subagents: finance. Omit subagent when the answer did not come from one.');
    const empty = await call({ rating: 'up' }, modern.client);
    expect(empty.content[0]!.text).toBe('Error [INVALID_ARGUMENT]: The feedback is empty: give at least one of question, sql, comment or corrected_sql.\nHint: Send the question asked and the SQL that answered it, with rating "up" or "down".');
    const correction = await call({ question: 'x', rating: 'down', kind: 'correction' });
    expect(correction.isError).toBe(true);
    expect((await storeRecords()).feedback.length).toBe(before);
  });

  it('records the client name of a 2026-era client too', async () => {
    const result = await call({ comment: 'The revenue chart looks off', rating: 'down', kind: 'issue' }, modern.client);
    expect(result.structuredContent).toMatchObject({ outcome: 'kept', detail: 'kept as an issue for the engineers' });
    const { feedback } = await storeRecords();
    expect(feedback.find((record) => record.id === result.structuredContent!.id)).toMatchObject({ kind: 'issue', clientName: 'stratum-e2e-v2' });
  });
});
