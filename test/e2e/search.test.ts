import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startV2Client, type StartedClient } from '../helpers/clients.js';
import { createShopDatabase, tempDir, writeConfig } from '../helpers/fixture.js';
import type { Client } from '@modelcontextprotocol/client';

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
