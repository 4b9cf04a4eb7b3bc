import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, startV1Client, type StartedClient } from '../helpers/clients.js';
import { tempDir } from '../helpers/fixture.js';
import type { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';

function stratum(args: string[], cwd = process.cwd()) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('stratum with a bad or missing config', () => {
  it('exits 2 listing every problem, without a stack trace', () => {
    const dir = tempDir();
    const config = join(dir, 'stratum.yaml');
    writeFileSync(config, 'datasources:\n  demo: { type: duckdb, pth: ./demo.duckdb }\nlimits: { max_rows: "many" }\n');
    for (const command of [['validate', '--config', config], ['serve', '--config', config]]) {
      const run = stratum(command);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`Invalid config ${config}: 3 problems`);
      expect(run.stderr).toContain('datasources.demo.pth (line 2): unknown key "pth". Did you mean "path"?');
      expect(run.stderr).toContain('limits.max_rows (line 3): expected number; found the string "many"');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 2 and points to stratum init when there is no stratum.yaml', () => {
    const run = stratum(['serve'], tempDir());
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/No stratum\.yaml in .*\nHint: Run `stratum init`/);
  });
});

describe('stratum init, mcp-config and serve on the demo workspace', () => {
  let dir: string;
  let config: string;
  let client: StartedClient<V1Client>;

  beforeAll(async () => {
    dir = join(tempDir(), 'workspace');
    const run = stratum(['init', dir, '--scale', '0.01']);
    expect(run.stderr).toContain('Demo workspace ready');
    expect(run.status).toBe(0);
    config = join(dir, 'stratum.yaml');
    client = await startV1Client(config);
  });

  afterAll(() => client?.close());

  it('writes the config, the database, both semantic models and a subagent', () => {
    for (const file of ['stratum.yaml', 'demo.duckdb', 'semantic_models/retail.yml', 'semantic_models/retail_cortex.yaml', 'subagents/finance.yaml']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    expect(stratum(['validate', '--config', config]).status).toBe(0);
  });

  it('refuses to overwrite an existing workspace without --force', () => {
    const before = readFileSync(config, 'utf8');
    const run = stratum(['init', dir, '--scale', '0.01']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('already exists');
    expect(run.stderr).toContain('--force');
    expect(readFileSync(config, 'utf8')).toBe(before);
  });

  it.each([
    ['claude', 'mcpServers'],
    ['cursor', 'mcpServers'],
    ['vscode', 'servers'],
  ])('prints the %s config block', (clientName, key) => {
    const run = stratum(['mcp-config', '--client', clientName, '--config', config]);
    expect(run.status).toBe(0);
    const block = JSON.parse(run.stdout) as Record<string, Record<string, { command: string; args: string[]; type?: string }>>;
    const server = block[key]!.stratum!;
    expect(server.command).toBe(process.execPath);
    expect(server.args).toEqual([CLI, 'serve', '--config', config]);
    if (clientName === 'vscode') expect(server.type).toBe('stdio');
  });

  it('serves the demo tables to a real client', async () => {
    const tables = (await client.client.callTool({ name: 'list_tables', arguments: {} })) as { structuredContent: { tables: { name: string; comment?: string }[] } };
    const names = tables.structuredContent.tables.map((table) => table.name);
    for (const expected of ['main.customers', 'main.orders', 'main.order_items', 'main.products', 'main.payments', 'main.returns', 'main.marketing_spend', 'main.stores', 'main.regions', 'main.categories']) {
      expect(names).toContain(expected);
    }
    expect(tables.structuredContent.tables.every((table) => (table.comment ?? '').length > 0)).toBe(true);
    const revenue = (await client.client.callTool({
      name: 'run_sql',
      arguments: { sql: "SELECT year(order_date) AS y, count(*) AS n FROM main.orders GROUP BY 1 ORDER BY 1" },
    })) as { structuredContent: { rows: unknown[][] } };
    expect(revenue.structuredContent.rows.map((row) => row[0])).toEqual([2023, 2024, 2025]);
  });
});
