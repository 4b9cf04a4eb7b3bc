import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Readable } from 'node:stream';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface StartedClient<C> {
  client: C;
  /** Everything the server wrote to stderr so far. */
  stderr: () => string;
  /** Errors the client transport saw (a non-protocol line on stdout would land here). */
  transportErrors: Error[];
  close: () => Promise<void>;
}

function serverParams(configPath: string, env: Record<string, string> = {}, args: string[] = []) {
  return {
    command: process.execPath,
    args: [CLI, 'serve', '--config', configPath, ...args],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe' as const,
  };
}

function collect(stream: Readable | null): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

/** Client-side extras: declared capabilities (e.g. `{ sampling: {} }`) and handlers set before connecting. */
export interface ClientSetup<C> {
  /** Extra `stratum serve` arguments, e.g. ['--subagent', 'finance']. */
  args?: string[];
  capabilities?: Record<string, object>;
  before?: (client: C) => void;
}

/** The v2 client, pinned to the 2026-07-28 (stateless) protocol, or on the 2025 handshake. */
export async function startV2Client(configPath: string, era: 'modern' | 'legacy' = 'modern', env?: Record<string, string>, setup: ClientSetup<Client> = {}): Promise<StartedClient<Client>> {
  const transport = new StdioClientTransport(serverParams(configPath, env, setup.args));
  const stderr = collect(transport.stderr as Readable | null);
  const transportErrors: Error[] = [];
  const client = new Client(
    { name: 'stratum-e2e-v2', version: '1.0.0' },
    { ...(era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}), ...(setup.capabilities ? { capabilities: setup.capabilities } : {}) },
  );
  setup.before?.(client);
  client.onerror = (error) => transportErrors.push(error);
  await client.connect(transport);
  return { client, stderr, transportErrors, close: () => client.close() };
}

/** The v1 SDK client: the 2025 initialize handshake most installed clients still speak. */
export async function startV1Client(configPath: string, env?: Record<string, string>, setup: ClientSetup<V1Client> = {}): Promise<StartedClient<V1Client>> {
  const transport = new V1StdioClientTransport(serverParams(configPath, env, setup.args));
  const stderr = collect(transport.stderr as Readable | null);
  const transportErrors: Error[] = [];
  const client = new V1Client({ name: 'stratum-e2e-v1', version: '1.0.0' }, setup.capabilities ? { capabilities: setup.capabilities } : {});
  setup.before?.(client);
  client.onerror = (error) => transportErrors.push(error);
  await client.connect(transport);
  return { client, stderr, transportErrors, close: () => client.close() };
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
