import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/server';
import { createShopDatabase, tempDir } from '../helpers/fixture.js';
import { connectV1Http, connectV1Sse, connectV2Http, initializeBody, MCP_POST_HEADERS, rawRequest } from '../helpers/http.js';
import { request } from 'node:http';
import { join } from 'node:path';
// The built server, in this process: each case needs its own server.http settings.
import { AppContext } from '../../dist/context.js';
import { configFromObject } from '../../dist/config/index.js';
import { createLogger } from '../../dist/logger.js';
import { createServer } from '../../dist/server.js';
import { registerTools } from '../../dist/tools/index.js';
import { resolveHttpSettings, startHttpServer, type StratumHttpServer } from '../../dist/transports/http.js';

type ToolResult = { structuredContent?: Record<string, unknown>; isError?: boolean };
const FULL = 'full-access-token-0001';
const FINANCE = 'finance-only-token-0002';

let databasePath: string;
const started: { server: StratumHttpServer; context: AppContext }[] = [];

beforeAll(async () => {
  ({ databasePath } = await createShopDatabase(tempDir()));
});

afterAll(async () => {
  await Promise.all(started.map(async ({ server, context }) => (await server.close(), await context.close())));
});

/** A server with `finance` and `ops` subagents; finance only has run_sql. */
async function serve(http: Record<string, unknown>): Promise<{ url: string; server: StratumHttpServer }> {
  const config = configFromObject({ datasources: { shop: { type: 'duckdb', path: databasePath } }, server: { http: { port: 0, ...http } } }, process.cwd());
  const context = new AppContext(config, createLogger('silent'));
  const scopes = {
    subagents: ['finance', 'ops'],
    createServer: (subagent: string | undefined) => {
      if (subagent === undefined) return createServer(context);
      const server = new McpServer({ name: `stratum-${subagent}`, version: '0' }, { capabilities: { tools: {} } });
      registerTools(server, context, ['run_sql']);
      return server;
    },
  };
  const server = await startHttpServer(context, resolveHttpSettings(config), scopes);
  started.push({ server, context });
  return { url: server.url, server };
}

/** GET /sse by hand: resolves with the announced endpoint, a promise of the stream's end, and a way to hang up. */
function openRawSse(url: string): Promise<{ endpoint: string; ended: Promise<void>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/sse`, (res) => {
      let text = '';
      const ended = new Promise<void>((done) => res.once('end', () => done()));
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const endpoint = /event: endpoint\ndata: (\S+)/.exec(text)?.[1];
        if (endpoint) resolve({ endpoint, ended, close: () => req.destroy() });
      });
    });
    req.on('error', reject).end();
  });
}

const post = (url: string, token?: string, extra: Record<string, string> = {}) =>
  rawRequest(url, { method: 'POST', headers: { ...MCP_POST_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra }, body: initializeBody() });

describe('bearer tokens', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await serve({ tokens: [{ token: FULL, name: 'analyst' }, { token: FINANCE, name: 'finance-bot', subagents: ['finance'] }] }));
  });

  it('answers a request without a token with 401 and a Bearer challenge', async () => {
    const response = await post(`${url}/mcp`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="stratum"');
    expect(JSON.parse(response.body).error).toEqual({
      code: -32000,
      message: 'This Stratum server requires a bearer token.',
      data: { reason: 'token_missing', hint: 'Send `Authorization: Bearer <token>` with a token from server.http.tokens.' },
    });
  });

  it('answers a wrong token with 401 invalid_token, on every MCP path', async () => {
    for (const path of ['/mcp', '/mcp/finance', '/sse', '/messages?sessionId=x']) {
      const response = await post(`${url}${path}`, 'full-access-token-0009');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="stratum", error="invalid_token"');
    }
    expect((await post(`${url}/mcp`, undefined, { authorization: `Basic ${FULL}` })).status).toBe(401);
  });

  it('refuses a token limited to one subagent everywhere else with 403', async () => {
    for (const path of ['/mcp', '/mcp/ops', '/sse', '/sse/ops']) {
      const response = await post(`${url}${path}`, FINANCE);
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="stratum", error="insufficient_scope"');
      expect(JSON.parse(response.body).error.data).toEqual({ reason: 'scope_not_allowed', hint: 'It is limited to: /mcp/finance.' });
    }
  });

  it('serves a subagent-limited token on its own subagent, with that scope only', async () => {
    const { client } = await connectV1Http(`${url}/mcp/finance`, FINANCE);
    expect(client.getServerVersion()?.name).toBe('stratum-finance');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['run_sql']);
    expect(((await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 2 AS two' } })) as ToolResult).structuredContent?.rows).toEqual([[2]]);
    await client.close();
    const sse = await connectV1Sse(`${url}/sse/finance`, FINANCE);
    expect(((await sse.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 3 AS three' } })) as ToolResult).structuredContent?.rows).toEqual([[3]]);
    await sse.close();
  });

  it('serves a full token on every path, to the modern and the SSE client', async () => {
    const modern = await connectV2Http(`${url}/mcp/ops`, { token: FULL });
    expect(((await modern.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 4 AS four' } })) as ToolResult).structuredContent?.rows).toEqual([[4]]);
    await modern.close();
    const sse = await connectV1Sse(`${url}/sse`, FULL);
    expect((await sse.listTools()).tools.length).toBeGreaterThan(1);
    await sse.close();
  });

  it('lists served subagents when an unknown one is asked for', async () => {
    const response = await post(`${url}/mcp/financ`, FULL);
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body).error).toEqual({
      code: -32000,
      message: 'No subagent "financ" is served here. Did you mean "finance"?',
      data: { reason: 'unknown_subagent', hint: 'Served subagents: /mcp/finance, /mcp/ops; the full server is at /mcp.' },
    });
  });

  it('keeps a session to the token that opened it', async () => {
    const opened = await post(`${url}/mcp`, FULL);
    const sessionId = opened.headers['mcp-session-id'] as string;
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const headers = { ...MCP_POST_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    const stolen = await rawRequest(`${url}/mcp/finance`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${FINANCE}` }, body: list });
    expect(stolen.status).toBe(404);
    const own = await rawRequest(`${url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${FULL}` }, body: list });
    expect(own.status).toBe(200);
    expect(own.body).toContain('"run_sql"');
  });
});

describe('limits', () => {
  it('rate-limits each token separately with 429 and Retry-After', async () => {
    const { url } = await serve({ tokens: [{ token: FULL }, { token: FINANCE, subagents: ['finance'] }], rate_limit_per_minute: 3 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(`${url}/mcp`, FULL)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await post(`${url}/mcp`, FULL);
    expect(limited.headers['retry-after']).toBe('20');
    expect(JSON.parse(limited.body).error.data.reason).toBe('rate_limited');
    expect((await post(`${url}/mcp/finance`, FINANCE)).status).toBe(200);
  });

  it('honours a configured body limit on /mcp and /messages', async () => {
    const { url } = await serve({ max_body_bytes: 2000 });
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { pad: 'x'.repeat(3000) } } });
    expect((await rawRequest(`${url}/mcp`, { method: 'POST', headers: MCP_POST_HEADERS, body: big })).status).toBe(413);
    expect((await post(`${url}/mcp`)).status).toBe(200);
    const stream = await openRawSse(url);
    const refused = await rawRequest(`${url}${stream.endpoint}`, { method: 'POST', headers: MCP_POST_HEADERS, body: big });
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).error.data.reason).toBe('body_too_large');
    expect((await rawRequest(`${url}${stream.endpoint}`, { method: 'POST', headers: MCP_POST_HEADERS, body: initializeBody() })).status).toBe(202);
    stream.close();
  });

  it('allows a configured browser origin and no other', async () => {
    const { url } = await serve({ allowed_origins: ['https://notebook.example.com'] });
    expect((await post(`${url}/mcp`, undefined, { origin: 'https://notebook.example.com' })).status).toBe(200);
    expect((await post(`${url}/mcp`, undefined, { origin: 'https://notebook.example.com.evil.io' })).status).toBe(403);
    expect((await post(`${url}/mcp`, undefined, { origin: 'null' })).status).toBe(403);
  });
});

describe('sessions', () => {
  it('expires an idle session: its id is answered 404 and the client can start over', async () => {
    const { url } = await serve({ session_idle_ms: 200 });
    const { client, transport } = await connectV1Http(`${url}/mcp`);
    const sessionId = transport.sessionId!;
    await new Promise((resolve) => setTimeout(resolve, 600));
    const expired = await rawRequest(`${url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_POST_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(expired.status).toBe(404);
    expect(JSON.parse(expired.body).error.data.reason).toBe('session_not_found');
    await expect(client.listTools()).rejects.toThrow(/Session not found/);
    await client.close();
    const health = JSON.parse((await rawRequest(`${url}/healthz`)).body);
    expect(health.sessions).toEqual({ streamable_http: 0, sse: 0 });
    const again = await connectV1Http(`${url}/mcp`);
    expect((await again.client.listTools()).tools.length).toBeGreaterThan(0);
    await again.client.close();
  });

  it('expires idle SSE sessions: the stream ends and its endpoint is answered 404', async () => {
    const { url } = await serve({ session_idle_ms: 200 });
    const stream = await openRawSse(url);
    expect(stream.endpoint).toMatch(/^\/messages\?sessionId=[0-9a-f-]{36}$/);
    await stream.ended;
    const late = await rawRequest(`${url}${stream.endpoint}`, { method: 'POST', headers: MCP_POST_HEADERS, body: initializeBody() });
    expect(late.status).toBe(404);
    expect(JSON.parse(late.body).error.data.reason).toBe('session_not_found');
    expect(JSON.parse((await rawRequest(`${url}/healthz`)).body).sessions.sse).toBe(0);
  });
});

describe('health', () => {
  it('reports a datasource that cannot be opened with 503 and status degraded', async () => {
    const config = configFromObject(
      { datasources: { shop: { type: 'duckdb', path: databasePath }, gone: { type: 'duckdb', path: join(tempDir(), 'missing.duckdb') } }, server: { http: { port: 0 } } },
      process.cwd(),
    );
    const context = new AppContext(config, createLogger('silent'));
    const server = await startHttpServer(context, resolveHttpSettings(config));
    started.push({ server, context });
    const response = await rawRequest(`${server.url}/healthz`);
    expect(response.status).toBe(503);
    const body = JSON.parse(response.body);
    expect(body.status).toBe('degraded');
    expect(body.datasources.map((datasource: { name: string; status: string }) => [datasource.name, datasource.status])).toEqual([
      ['shop', 'ok'],
      ['gone', 'error'],
    ]);
  });
});

describe('stateless mode', () => {
  it('serves the 2025 handshake without sessions, and both eras call run_sql', async () => {
    const { url } = await serve({ stateless: true });
    const opened = await post(`${url}/mcp`);
    expect(opened.status).toBe(200);
    expect(opened.headers['mcp-session-id']).toBeUndefined();
    const { client, transport } = await connectV1Http(`${url}/mcp`);
    expect(transport.sessionId).toBeUndefined();
    expect(((await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 5 AS five' } })) as ToolResult).structuredContent?.rows).toEqual([[5]]);
    await client.close();
    const modern = await connectV2Http(`${url}/mcp`);
    expect(((await modern.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 6 AS six' } })) as ToolResult).structuredContent?.rows).toEqual([[6]]);
    await modern.close();
    expect((await rawRequest(`${url}/mcp`, { method: 'DELETE' })).status).toBe(405);
    expect(JSON.parse((await rawRequest(`${url}/healthz`)).body)).toMatchObject({ stateless: true, sessions: { streamable_http: 0 } });
  });
});
