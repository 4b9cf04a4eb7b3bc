import { isIP } from 'node:net';
import type { StratumConfig } from '../../config/index.js';
import { StratumError } from '../../errors.js';

/** One accepted bearer token: its secret, a name for logs and rate limits, and the subagents it may reach. */
export interface HttpToken {
  name: string;
  token: string;
  /** Undefined: every scope. Otherwise only `/mcp/{subagent}` and `/sse/{subagent}` for these names. */
  subagents: readonly string[] | undefined;
}

/** Everything the HTTP server needs to know, resolved from `server.http` and the CLI flags. */
export interface HttpSettings {
  host: string;
  port: number;
  /** Host header names accepted (port-agnostic); undefined disables the check (non-loopback bind without `allowed_hosts`). */
  allowedHosts: string[] | undefined;
  /** Extra browser origins allowed, besides localhost origins on a loopback bind: full origins or bare hostnames. */
  allowedOrigins: string[];
  allowLocalhostOrigins: boolean;
  tokens: HttpToken[];
  stateless: boolean;
  maxBodyBytes: number;
  sessionIdleMs: number;
  /** Requests per minute per token (per client address without tokens); undefined = unlimited. */
  rateLimitPerMinute: number | undefined;
  /** How long shutdown waits for requests in flight before closing connections. */
  shutdownGraceMs: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_SESSION_IDLE_MS = 30 * 60 * 1000;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * Resolves `server.http` plus `--host/--port`. Refuses a non-loopback bind without tokens: anyone on
 * the network could otherwise query the data.
 */
export function resolveHttpSettings(config: StratumConfig, overrides: { host?: string; port?: number } = {}): HttpSettings {
  const http = config.server.http;
  const host = overrides.host ?? http.host;
  const port = overrides.port ?? http.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new StratumError('INVALID_ARGUMENT', `--port must be a whole number from 0 to 65535; got ${port}.`);
  }
  const loopback = isLoopbackHost(host);
  const tokens = http.tokens.map((entry, index) => ({ name: entry.name ?? `token-${index + 1}`, token: entry.token, subagents: entry.subagents }));
  if (!loopback && tokens.length === 0) {
    throw new StratumError(
      'CONFIG_INVALID',
      `Refusing to serve HTTP on ${host} without authentication: every machine that can reach it could query your data.`,
      'Add bearer tokens under server.http.tokens (e.g. `- { token: "${STRATUM_TOKEN}" }`), or bind 127.0.0.1.',
    );
  }
  const configuredHosts = http.allowed_hosts ?? [];
  return {
    host,
    port,
    allowedHosts: loopback ? [...LOCALHOST_NAMES, ...configuredHosts] : configuredHosts.length > 0 ? configuredHosts : undefined,
    allowedOrigins: http.allowed_origins,
    allowLocalhostOrigins: loopback,
    tokens,
    stateless: http.stateless,
    maxBodyBytes: http.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    sessionIdleMs: http.session_idle_ms ?? DEFAULT_SESSION_IDLE_MS,
    rateLimitPerMinute: http.rate_limit_per_minute ?? (tokens.length > 0 ? DEFAULT_RATE_LIMIT_PER_MINUTE : undefined),
    shutdownGraceMs: http.shutdown_grace_ms ?? 10_000,
  };
}
