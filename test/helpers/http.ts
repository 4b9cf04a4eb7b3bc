import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as V1SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI, waitFor } from './clients.js';

const headersFor = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** The v2 client over Streamable HTTP, pinned to the 2026-07-28 protocol or on the 2025 handshake. */
export async function connectV2Http(url: string, options: { token?: string; era?: 'modern' | 'legacy' } = {}): Promise<Client> {
  const client = new Client({ name: 'stratum-http-v2', version: '1.0.0' }, options.era === 'legacy' ? {} : { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: headersFor(options.token) } }));
  return client;
}

/** The v1 SDK client over Streamable HTTP (the 2025 initialize handshake, with a session). */
export async function connectV1Http(url: string, token?: string): Promise<{ client: V1Client; transport: V1StreamableHTTPClientTransport }> {
  const transport = new V1StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: headersFor(token) } });
  const client = new V1Client({ name: 'stratum-http-v1', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** The v1 SDK client over the deprecated HTTP+SSE transport. */
export async function connectV1Sse(url: string, token?: string): Promise<V1Client> {
  const headers = headersFor(token);
  const transport = new V1SSEClientTransport(new URL(url), {
    requestInit: { headers },
    eventSourceInit: { fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
  });
  const client = new V1Client({ name: 'stratum-sse-v1', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request with full control of the headers (fetch forbids setting Host). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const MCP_POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export const initializeBody = (id = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

export interface SpawnedHttpServer {
  url: string;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<number | null>;
}

/** `stratum serve --http --port 0` as a real process; resolves once it is listening. */
export async function spawnHttpServer(configPath: string, args: string[] = [], env: Record<string, string> = {}): Promise<SpawnedHttpServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--config', configPath, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  await waitFor(() => exitedEarly || stderr.includes('stratum serving over HTTP'), 20_000);
  if (exitedEarly) throw new Error(`stratum serve --http exited: ${stderr}`);
  const line = stderr.split('\n').find((entry) => entry.includes('stratum serving over HTTP'))!;
  const url = (JSON.parse(line) as { url: string }).url;
  return {
    url,
    child,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
