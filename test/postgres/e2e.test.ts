import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import type { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startV1Client, startV2Client, waitFor, type StartedClient } from '../helpers/clients.js';
import { tempDir, writeDatasourceConfig } from '../helpers/fixture.js';
import { PG_URL, ensureShopSchema, expectPostgresServer, postgresDatasource } from '../helpers/postgres.js';

describe('run_sql over stdio against PostgreSQL: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
});

type ToolResult = { content: unknown; structuredContent?: Record<string, unknown>; isError?: boolean };
const text = (result: ToolResult) => (result.content as { type: string; text: string }[]).map((part) => part.text).join('\n');
const SLOW_SQL = 'SELECT count(*) FROM generate_series(1, 500000000)';

describe.skipIf(!PG_URL)('run_sql over stdio against PostgreSQL', () => {
  let modern: StartedClient<Client>;
  let v1: StartedClient<V1Client>;

  beforeAll(async () => {
    await ensureShopSchema();
    const configPath = writeDatasourceConfig(tempDir('stratum-pg-e2e-'), postgresDatasource('pool_size: 2'), { max_rows: 50, timeout_ms: 1500 });
    [modern, v1] = await Promise.all([startV2Client(configPath, 'modern'), startV1Client(configPath)]);
  });

  afterAll(async () => {
    await Promise.all([modern?.close(), v1?.close()]);
  });

  it('returns typed, lossless rows to both client generations', async () => {
    const call = {
      name: 'run_sql',
      arguments: { sql: 'SELECT state, count(*) AS customers, sum(customer_id) AS ids, 9007199254740993::int8 AS big FROM shop.customers GROUP BY state ORDER BY state' },
    };
    const [a, b] = (await Promise.all([modern.client.callTool(call), v1.client.callTool(call)])) as ToolResult[];
    const { elapsedMs: _elapsed, ...structured } = a!.structuredContent!;
    expect(structured).toEqual({
      columns: [
        { name: 'state', type: 'text' },
        { name: 'customers', type: 'bigint' },
        { name: 'ids', type: 'bigint' },
        { name: 'big', type: 'bigint' },
      ],
      rows: [
        ['California', 34, 1717, '9007199254740993'],
        ['Texas', 66, 3333, '9007199254740993'],
      ],
      rowCount: 2,
      truncated: false,
    });
    expect(b!.structuredContent?.rows).toEqual(structured.rows);
    expect(text(a!)).toMatch(/^\| state \| customers \| ids \| big \|\n\|---\|---\|---\|---\|\n\| California \| 34 \| 1717 \| 9007199254740993 \|/);
  });

  it('cuts at max_rows with a warning', async () => {
    const result = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT order_id FROM shop.orders ORDER BY order_id' } })) as ToolResult;
    expect(result.structuredContent).toMatchObject({ rowCount: 50, truncated: true });
    expect(text(result)).toContain('Warning: Result truncated: only the first 50 rows');
  });

  it('browses the PostgreSQL catalog', async () => {
    const tables = (await modern.client.callTool({ name: 'list_tables', arguments: {} })) as ToolResult;
    expect((tables.structuredContent as { tables: { name: string }[] }).tables.map((table) => table.name)).toEqual([
      'shop.completed_orders',
      'shop.customer_revenue',
      'shop.customers',
      'shop.events',
      'shop.monthly_revenue',
      'shop.order_lines',
      'shop.orders',
      'shop.server_file',
      'shop.wide_text',
    ]);
    const customers = (await modern.client.callTool({ name: 'describe_table', arguments: { table: 'customers' } })) as ToolResult;
    expect(customers.structuredContent).toMatchObject({ name: 'shop.customers', kind: 'table', comment: 'People and companies who buy from the shop', primary_key: ['customer_id'] });
    expect(text(customers)).toContain('- state text — US state of the billing address e.g. "Texas", "California"');
  });

  it('refuses hostile SQL with actionable isError results and keeps serving', async () => {
    const drop = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'DROP TABLE shop.orders' } })) as ToolResult;
    expect(drop.isError).toBe(true);
    expect(text(drop)).toMatch(/^Error \[SQL_NOT_READ_ONLY\]: Only read-only queries are allowed; this statement is a DROP command, not a query\.\nHint: /);
    const file = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: "SELECT pg_read_file('/etc/passwd')" } })) as ToolResult;
    expect(text(file)).toMatch(/^Error \[SQL_FORBIDDEN\]: Refused: the query calls pg_read_file\(\)/);
    const stacked = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: 'COMMIT; DROP TABLE shop.orders' } })) as ToolResult;
    expect(text(stacked)).toContain('SQL_MULTIPLE_STATEMENTS');
    const after = (await v1.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) AS n FROM shop.orders' } })) as ToolResult;
    expect(after.structuredContent?.rows).toEqual([[5000]]);
  });

  it('stops a query at timeout_ms and serves the next call', async () => {
    const started = Date.now();
    const result = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: SLOW_SQL } })) as ToolResult;
    expect(text(result)).toContain('Error [QUERY_TIMEOUT]: The query was stopped after 1500 ms');
    expect(Date.now() - started).toBeLessThan(6_000);
    const next = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 7 AS n' } })) as ToolResult;
    expect(next.structuredContent?.rows).toEqual([[7]]);
  });

  it('cancels the statement in the server when the client cancels', async () => {
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
    expect(v1.transportErrors).toEqual([]);
  });
});
