import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/client';
import type { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CLI, startV1Client, startV2Client, waitFor, type StartedClient } from '../helpers/clients.js';
import { createShopDatabase, sha256, tempDir, writeConfig } from '../helpers/fixture.js';

let configPath: string;
let databasePath: string;
let hashBefore: string;
let modern: StartedClient<Client>;
let legacyV2: StartedClient<Client>;
let v1: StartedClient<V1Client>;

const SLOW_SQL = 'SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3';

beforeAll(async () => {
  const dir = tempDir();
  ({ databasePath } = await createShopDatabase(dir));
  hashBefore = sha256(databasePath);
  configPath = writeConfig(dir, databasePath, { max_rows: 50, timeout_ms: 1500 });
  [modern, legacyV2, v1] = await Promise.all([startV2Client(configPath, 'modern'), startV2Client(configPath, 'legacy'), startV1Client(configPath)]);
});

afterAll(async () => {
  await Promise.all([modern?.close(), legacyV2?.close(), v1?.close()]);
});

type ToolResult = { content: unknown; structuredContent?: Record<string, unknown>; isError?: boolean };
const text = (result: ToolResult) => (result.content as { type: string; text: string }[]).map((part) => part.text).join('\n');
const withoutTiming = (result: ToolResult) => {
  const { elapsedMs: _elapsed, ...rest } = result.structuredContent ?? {};
  return { structured: rest, text: text(result).replace(/ in [\d.]+ ms/, ' in X ms'), isError: result.isError ?? false };
};

describe('stdio server, three client generations', () => {
  it('negotiates the protocol each client asked for', () => {
    expect(modern.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(legacyV2.client.getNegotiatedProtocolVersion()).not.toBe('2026-07-28');
    expect(v1.client.getServerVersion()?.name).toBe('stratum');
  });

  it('lists the same tools, with schemas and read-only annotations, to every client', async () => {
    const [a, b, c] = await Promise.all([modern.client.listTools(), legacyV2.client.listTools(), v1.client.listTools()]);
    const names = (list: { tools: { name: string }[] }) => list.tools.map((tool) => tool.name).sort();
    expect(names(a)).toEqual(['describe_table', 'generate_sql', 'get_dimension_values', 'list_semantic_models', 'list_tables', 'load_semantic_model', 'record_feedback', 'run_sql', 'search_tables']);
    expect(names(b)).toEqual(names(a));
    expect(names(c)).toEqual(names(a));
    for (const tool of c.tools) {
      expect(tool.annotations).toMatchObject({ readOnlyHint: tool.name !== 'record_feedback', openWorldHint: false, destructiveHint: false });
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.inputSchema.type).toBe('object');
    }
    const runSql = c.tools.find((tool) => tool.name === 'run_sql')!;
    expect(Object.keys(runSql.inputSchema.properties ?? {}).sort()).toEqual(['datasource', 'max_rows', 'sql']);
    expect(runSql.inputSchema.required).toEqual(['sql']);
    expect(Object.keys((runSql.outputSchema as { properties: object }).properties).sort()).toEqual(['columns', 'elapsedMs', 'rowCount', 'rows', 'truncated', 'warning']);
  });

  it('tells the model how to use the tools in order', () => {
    const instructions = v1.client.getInstructions() ?? '';
    expect(instructions).toContain('list_tables');
    expect(instructions.indexOf('list_tables')).toBeLessThan(instructions.indexOf('describe_table'));
    expect(instructions.indexOf('describe_table')).toBeLessThan(instructions.indexOf('run_sql'));
  });

  it('returns identical run_sql results to every client', async () => {
    const call = { name: 'run_sql', arguments: { sql: "SELECT state, count(*) AS customers, sum(customer_id)::BIGINT AS ids FROM customers GROUP BY state ORDER BY state" } };
    const results = await Promise.all([modern.client.callTool(call), legacyV2.client.callTool(call), v1.client.callTool(call)]);
    const [a, b, c] = results.map((result) => withoutTiming(result as ToolResult));
    expect(a).toEqual({
      structured: {
        columns: [
          { name: 'state', type: 'VARCHAR' },
          { name: 'customers', type: 'BIGINT' },
          { name: 'ids', type: 'BIGINT' },
        ],
        rows: [
          ['California', 34, 1717],
          ['Texas', 66, 3333],
        ],
        rowCount: 2,
        truncated: false,
      },
      text: '| state | customers | ids |\n|---|---|---|\n| California | 34 | 1717 |\n| Texas | 66 | 3333 |\n2 rows in X ms',
      isError: false,
    });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('truncates at the configured max_rows and says so', async () => {
    const result = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT order_id FROM orders ORDER BY order_id', max_rows: 500 } })) as ToolResult;
    expect(result.structuredContent).toMatchObject({ rowCount: 50, truncated: true });
    expect(text(result)).toContain('Warning: Result truncated: only the first 50 rows');
  });

  it('browses the catalog', async () => {
    const tables = (await modern.client.callTool({ name: 'list_tables', arguments: {} })) as ToolResult;
    expect((tables.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name)).toEqual([
      'main.completed_orders',
      'main.customers',
      'main.orders',
      'main.wide_text',
    ]);
    expect(text(tables)).toContain('- main.orders: ~5,000 rows, 5 columns — One row per order');
    const orders = (await modern.client.callTool({ name: 'describe_table', arguments: { table: 'orders' } })) as ToolResult;
    expect(orders.structuredContent).toMatchObject({
      name: 'main.orders',
      kind: 'table',
      comment: 'One row per order',
      primary_key: ['order_id'],
      foreign_keys: [{ columns: ['customer_id'], references_table: 'main.customers', references_columns: ['customer_id'] }],
    });
    expect(text(orders)).toContain('- customer_id INTEGER [-> main.customers.customer_id]');
    expect(text(orders)).toContain('- status VARCHAR e.g. "completed", "cancelled"');
  });

  it('answers bad calls with actionable isError results and keeps serving', async () => {
    const hostile = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'DROP TABLE orders' } })) as ToolResult;
    expect(hostile.isError).toBe(true);
    expect(text(hostile)).toMatch(/^Error \[SQL_NOT_READ_ONLY\]: Only read-only queries are allowed; this statement is a DROP\.\nHint: /);
    const stacked = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 1; DELETE FROM orders' } })) as ToolResult;
    expect(text(stacked)).toContain('SQL_MULTIPLE_STATEMENTS');
    const typo = (await modern.client.callTool({ name: 'describe_table', arguments: { table: 'custmers' } })) as ToolResult;
    expect(typo.isError).toBe(true);
    expect(text(typo)).toContain('Did you mean "main.customers"');
    const wrongType = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 42 } })) as ToolResult;
    expect(wrongType.isError).toBe(true);
    expect(text(wrongType)).toMatch(/sql/);
    const unknownSource = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 1', datasource: 'shopp' } })) as ToolResult;
    expect(text(unknownSource)).toContain('Unknown datasource "shopp". Did you mean "shop"?');
    const after = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) AS n FROM orders' } })) as ToolResult;
    expect(after.structuredContent?.rows).toEqual([[5000]]);
  });

  it('interrupts a query at timeout_ms and serves the next call', async () => {
    const started = Date.now();
    const result = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: SLOW_SQL } })) as ToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('Error [QUERY_TIMEOUT]: The query was stopped after 1500 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    const next = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 7 AS n' } })) as ToolResult;
    expect(next.structuredContent?.rows).toEqual([[7]]);
  });

  it('interrupts the running query when the client cancels', async () => {
    const controller = new AbortController();
    const pending = v1.client.callTool({ name: 'run_sql', arguments: { sql: SLOW_SQL } }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort('user pressed stop'), 300);
    await expect(pending).rejects.toThrow();
    await waitFor(() => v1.stderr().includes('"code":"QUERY_CANCELLED"'));
    const next = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 8 AS n' } })) as ToolResult;
    expect(next.structuredContent?.rows).toEqual([[8]]);
  });

  it('never wrote anything but protocol messages to stdout', () => {
    expect(modern.transportErrors).toEqual([]);
    expect(legacyV2.transportErrors).toEqual([]);
    expect(v1.transportErrors).toEqual([]);
    expect(v1.stderr()).toContain('stratum serving over stdio');
  });

  it('left the database file unchanged', async () => {
    await Promise.all([modern.close(), legacyV2.close(), v1.close()]);
    expect(sha256(databasePath)).toBe(hashBefore);
  });
});

describe('stdout is sacred', () => {
  it('writes only JSON-RPC lines to stdout even with debug logging', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath], { env: { ...process.env, STRATUM_LOG_LEVEL: 'debug' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await waitFor(() => stdout.includes('"id":1'));
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'run_sql', arguments: { sql: 'DROP TABLE orders' } } });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'run_sql', arguments: { sql: 'SELECT 1 AS one' } } });
    await waitFor(() => stdout.includes('"id":3'));
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    const lines = stdout.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBe(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(stderr).toContain('"level":20');
  });
});
