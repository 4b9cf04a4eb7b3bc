import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, waitFor } from '../helpers/clients.js';
import { createShopDatabase, sha256, tempDir, writeConfig } from '../helpers/fixture.js';
import { connectV1Http, connectV1Sse, connectV2Http, initializeBody, MCP_POST_HEADERS, rawRequest, spawnHttpServer, type SpawnedHttpServer } from '../helpers/http.js';

type ToolResult = { content: unknown; structuredContent?: Record<string, unknown>; isError?: boolean };

const STATE_SQL = 'SELECT state, count(*) AS customers FROM customers GROUP BY state ORDER BY state';
const STATE_ROWS = [
  ['California', 34],
  ['Texas', 66],
];
const MARKER_SQL = "SELECT 'SQL-MARKER-7731' AS marker";

let dir: string;
let configPath: string;
let databasePath: string;
let hashBefore: string;
let server: SpawnedHttpServer;

beforeAll(async () => {
  dir = tempDir();
  ({ databasePath } = await createShopDatabase(dir));
  hashBefore = sha256(databasePath);
  configPath = writeConfig(dir, databasePath, { timeout_ms: 1500 });
  server = await spawnHttpServer(configPath);
});

afterAll(async () => {
  await server?.stop();
});

const rowsOf = (result: unknown) => (result as ToolResult).structuredContent?.rows;

describe('stratum serve --http, every client generation', () => {
  it('answers /healthz with the version and each datasource status', async () => {
    const response = await rawRequest(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', version: '0.1.0', stateless: false, datasources: [{ name: 'shop', type: 'duckdb', status: 'ok' }] });
  });

  it('serves run_sql to the v2 client on the 2026-07-28 protocol', async () => {
    const client = await connectV2Http(`${server.url}/mcp`);
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const result = await client.callTool({ name: 'run_sql', arguments: { sql: STATE_SQL } });
    expect(result.isError ?? false).toBe(false);
    expect(rowsOf(result)).toEqual(STATE_ROWS);
    await client.close();
  });

  it('serves run_sql to the v2 client on the 2025 handshake', async () => {
    const client = await connectV2Http(`${server.url}/mcp`, { era: 'legacy' });
    expect(client.getNegotiatedProtocolVersion()).not.toBe('2026-07-28');
    expect(rowsOf(await client.callTool({ name: 'run_sql', arguments: { sql: STATE_SQL } }))).toEqual(STATE_ROWS);
    await client.close();
  });

  it('serves run_sql to the v1 client over Streamable HTTP in a session', async () => {
    const { client, transport } = await connectV1Http(`${server.url}/mcp`);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toContain('run_sql');
    expect(rowsOf(await client.callTool({ name: 'run_sql', arguments: { sql: STATE_SQL } }))).toEqual(STATE_ROWS);
    const refused = (await client.callTool({ name: 'run_sql', arguments: { sql: 'DROP TABLE orders' } })) as ToolResult;
    expect(refused.isError).toBe(true);
    await transport.terminateSession();
    await client.close();
  });

  it('serves run_sql to the v1 client over the legacy HTTP+SSE transport', async () => {
    const client = await connectV1Sse(`${server.url}/sse`);
    expect(client.getServerVersion()?.name).toBe('stratum');
    expect(rowsOf(await client.callTool({ name: 'run_sql', arguments: { sql: STATE_SQL } }))).toEqual(STATE_ROWS);
    await client.close();
  });

  it('serves many sessions side by side', async () => {
    const clients = await Promise.all([connectV2Http(`${server.url}/mcp`), connectV1Http(`${server.url}/mcp`), connectV1Sse(`${server.url}/sse`)]);
    const calls = clients.map((entry) => ('client' in entry ? entry.client : entry).callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) AS n FROM orders' } }));
    expect((await Promise.all(calls)).map(rowsOf)).toEqual([[[5000]], [[5000]], [[5000]]]);
    await Promise.all(clients.map((entry) => ('client' in entry ? entry.client : entry).close()));
  });
});

describe('requests refused before MCP', () => {
  it('refuses a foreign Origin with 403', async () => {
    const response = await rawRequest(`${server.url}/mcp`, { method: 'POST', headers: { ...MCP_POST_HEADERS, origin: 'https://evil.example' }, body: initializeBody() });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32000,
        message: 'Origin "https://evil.example" is not allowed.',
        data: { reason: 'origin_not_allowed', hint: 'Add it to server.http.allowed_origins (e.g. "https://app.example.com") if this web app should reach Stratum.' },
      },
    });
  });

  it('accepts a localhost Origin on a loopback bind', async () => {
    const response = await rawRequest(`${server.url}/mcp`, { method: 'POST', headers: { ...MCP_POST_HEADERS, origin: 'http://localhost:5173' }, body: initializeBody() });
    expect(response.status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403, on every path', async () => {
    for (const path of ['/mcp', '/sse', '/healthz']) {
      const response = await rawRequest(`${server.url}${path}`, { headers: { host: 'attacker.example:80' } });
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body).error.data.reason).toBe('host_not_allowed');
    }
  });

  it('refuses a body over the limit with 413', async () => {
    const sql = `SELECT '${'x'.repeat(1024 * 1024)}'`;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_sql', arguments: { sql } } });
    const response = await rawRequest(`${server.url}/mcp`, { method: 'POST', headers: MCP_POST_HEADERS, body });
    expect(response.status).toBe(413);
  });

  it('answers unknown subagent paths with a clear 404 while no subagents are served', async () => {
    for (const path of ['/mcp/finance', '/sse/finance']) {
      const response = await rawRequest(`${server.url}${path}`);
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body).error).toEqual({
        code: -32000,
        message: 'No subagent "finance" is served here.',
        data: { reason: 'unknown_subagent', hint: 'This server has no subagents; use /mcp for the full server.' },
      });
    }
    const other = await rawRequest(`${server.url}/admin`);
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body).error.data.reason).toBe('not_found');
  });

  it('closes a session on DELETE; the session id is then unknown', async () => {
    const opened = await rawRequest(`${server.url}/mcp`, { method: 'POST', headers: MCP_POST_HEADERS, body: initializeBody() });
    const sessionId = opened.headers['mcp-session-id'] as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const session = { ...MCP_POST_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    expect((await rawRequest(`${server.url}/mcp`, { method: 'DELETE', headers: session })).status).toBe(200);
    const after = await rawRequest(`${server.url}/mcp`, { method: 'POST', headers: session, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(after.status).toBe(404);
    expect(JSON.parse(after.body).error.data.reason).toBe('session_not_found');
  });
});

describe('operations', () => {
  it('keeps SQL text and tokens out of the logs at info level', async () => {
    const client = await connectV2Http(`${server.url}/mcp`);
    await client.callTool({ name: 'run_sql', arguments: { sql: MARKER_SQL } });
    await client.callTool({ name: 'run_sql', arguments: { sql: `${MARKER_SQL} FROM nowhere_table` } });
    await client.close();
    expect(server.stderr()).toContain('stratum serving over HTTP');
    expect(server.stderr()).not.toContain('SQL-MARKER-7731');
  });

  it('interrupts the running query when a modern client cancels its request', async () => {
    const client = await connectV2Http(`${server.url}/mcp`);
    const controller = new AbortController();
    const pending = client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3' } }, { signal: controller.signal });
    setTimeout(() => controller.abort('user pressed stop'), 300);
    await expect(pending).rejects.toThrow();
    await waitFor(() => server.stderr().includes('"code":"QUERY_CANCELLED"'), 1200);
    expect(rowsOf(await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 8 AS n' } }))).toEqual([[8]]);
    await client.close();
  });

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const client = await connectV2Http(`${server.url}/mcp`);
    // Stopped by timeout_ms after 1.5 s: a call still running when the signal arrives.
    const pending = client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = server.stop();
    const result = (await pending) as ToolResult;
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]!.text).toContain('QUERY_TIMEOUT');
    expect(await exit).toBe(0);
    expect(server.stderr()).toContain('"reason":"SIGTERM"');
    expect(sha256(databasePath)).toBe(hashBefore);
  });
});

describe('binding', () => {
  it('refuses a non-loopback address without tokens (exit 2)', () => {
    const run = spawnSync(process.execPath, [CLI, 'serve', '--http', '--host', '0.0.0.0', '--port', '0', '--config', configPath], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Refusing to serve HTTP on 0.0.0.0 without authentication');
    expect(run.stderr).toContain('server.http.tokens');
  });

  it('binds a non-loopback address once a token is configured', async () => {
    const tokenConfig = join(dir, 'token.yaml');
    writeFileSync(tokenConfig, `datasources:\n  shop: { type: duckdb, path: ${JSON.stringify(databasePath)} }\nserver:\n  http:\n    tokens:\n      - { token: "\${TEST_TOKEN}", name: ci }\n`);
    const open = await spawnHttpServer(tokenConfig, ['--host', '0.0.0.0'], { TEST_TOKEN: 'secret-token-value-1' });
    try {
      expect(open.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const url = open.url.replace('0.0.0.0', '127.0.0.1');
      expect((await rawRequest(`${url}/mcp`, { method: 'POST', headers: MCP_POST_HEADERS, body: initializeBody() })).status).toBe(401);
      const client = await connectV2Http(`${url}/mcp`, { token: 'secret-token-value-1' });
      expect(rowsOf(await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 1 AS one' } }))).toEqual([[1]]);
      await client.close();
      expect(open.stderr()).not.toContain('secret-token-value-1');
    } finally {
      await open.stop();
    }
  });
});
