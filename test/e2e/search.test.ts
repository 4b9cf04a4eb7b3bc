import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startV1Client, startV2Client, type StartedClient } from '../helpers/clients.js';
import { createShopDatabase, tempDir, writeConfig } from '../helpers/fixture.js';
import type { Client } from '@modelcontextprotocol/client';
import type { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';

interface SearchOutput {
  datasource: string;
  tables: { name: string; score: number; columns: { name: string; matched: boolean }[]; reasons: string[] }[];
  join_paths: { from: string; to: string; steps: { on: string; source: string }[] }[];
}

describe('search_tables and stratum index over stdio', () => {
  let config: string;
  let client: StartedClient<Client>;

  beforeAll(async () => {
    const dir = tempDir();
    const { databasePath } = await createShopDatabase(dir);
    config = writeConfig(dir, databasePath);
  });
  afterAll(async () => client?.close());

  it('stratum index builds the index, then finds nothing to redo', () => {
    const first = spawnSync(process.execPath, [CLI, 'index', '--config', config], { encoding: 'utf8' });
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^shop: 4 tables indexed in \d+ ms \(4 added, 0 changed, 0 removed, 0 unchanged\)\n$/);
    const second = spawnSync(process.execPath, [CLI, 'index', '--config', config], { encoding: 'utf8' });
    expect(second.stdout).toMatch(/^shop: 4 tables indexed in \d+ ms \(0 added, 0 changed, 0 removed, 4 unchanged\)\n$/);
  });

  it('ranks tables with reasons and join paths for a question', async () => {
    client = await startV2Client(config);
    const result = await client.client.callTool({ name: 'search_tables', arguments: { query: 'orders from Texas', top_k: 2 } });
    expect(result.isError).toBeFalsy();
    const output = result.structuredContent as unknown as SearchOutput;
    expect(output.datasource).toBe('shop');
    expect(output.tables.map((table) => table.name).sort()).toEqual(['main.customers', 'main.orders']);
    const customers = output.tables.find((table) => table.name === 'main.customers')!;
    expect(customers.reasons).toContain('value "Texas" in column state');
    expect(customers.columns[0]).toEqual({ name: 'state', type: 'VARCHAR', description: 'US state of the billing address', matched: true });
    expect(output.join_paths).toHaveLength(1);
    expect(output.join_paths[0]!.steps[0]!.source).toBe('foreign_key');
    const text = (result.content as { type: string; text: string }[])[0]!.text;
    expect(text).toContain('Tables for "orders from Texas" in shop:');
    expect(text).toMatch(/Joins:\n- main\.(orders|customers)\.customer_id = main\.(orders|customers)\.customer_id/);
  });

  it('answers a bad datasource with an actionable error', async () => {
    const result = await client.client.callTool({ name: 'search_tables', arguments: { query: 'orders', datasource: 'shopp' } });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]!.text).toBe(
      'Error [DATASOURCE_UNKNOWN]: Unknown datasource "shopp". Did you mean "shop"?\nHint: Known datasources: shop. Omit `datasource` to use the default (shop).',
    );
  });
});

describe('search_tables learns from record_feedback over stdio', () => {
  let config: string;
  let client: StartedClient<Client>;
  let other: StartedClient<V1Client> | undefined;
  const search = async (query: string) => {
    const result = await client.client.callTool({ name: 'search_tables', arguments: { query, top_k: 3 } });
    expect(result.isError).toBeFalsy();
    return (result.structuredContent as unknown as SearchOutput).tables;
  };

  beforeAll(async () => {
    const dir = tempDir();
    const { databasePath } = await createShopDatabase(dir);
    config = writeConfig(dir, databasePath);
    client = await startV2Client(config);
  });
  afterAll(async () => {
    await client?.close();
    await other?.close();
  });

  it('ranks the tables of an upvoted pair up for a paraphrase, naming the verified question', async () => {
    const paraphrase = 'who are the top spenders this year';
    expect(await search(paraphrase)).toEqual([]);
    // Searching never creates the knowledge store.
    const store = join(dirname(config), '.stratum', 'knowledge.db');
    expect(existsSync(store)).toBe(false);

    const feedback = await client.client.callTool({
      name: 'record_feedback',
      arguments: { question: 'Who are our biggest spenders?', sql: 'SELECT c.name, sum(o.amount) AS spent FROM customers c JOIN orders o USING (customer_id) GROUP BY 1 ORDER BY 2 DESC LIMIT 10', rating: 'up' },
    });
    expect(feedback.structuredContent).toMatchObject({ stored: true, outcome: 'candidate' });

    const after = await search(paraphrase);
    expect(after.map((table) => table.name)).toEqual(['main.customers', 'main.orders', 'main.completed_orders']);
    for (const table of after.slice(0, 2)) expect(table.reasons).toEqual(['used by a verified query: "Who are our biggest spenders?" (similarity 0.59)']);
    expect(after[2]!.reasons).toEqual(['joins main.customers and main.orders']);
  });

  it('counts feedback another server process recorded, at the next search', async () => {
    const question = 'How often do shoppers abandon a purchase?';
    const before = await search('how often do shoppers abandon their purchase');
    expect(before.flatMap((table) => table.reasons).some((reason) => reason.includes(question))).toBe(false);
    other = await startV1Client(config);
    const feedback = await other.client.callTool({ name: 'record_feedback', arguments: { question, sql: "SELECT count(*) FROM orders WHERE status = 'cancelled'", rating: 'up' } });
    expect(feedback.structuredContent).toMatchObject({ outcome: 'candidate' });
    const after = await search('how often do shoppers abandon their purchase');
    expect(after[0]!.name).toBe('main.orders');
    expect(after[0]!.reasons).toContain('used by a verified query: "How often do shoppers abandon a purchase?" (similarity 1.00)');
  });
});
