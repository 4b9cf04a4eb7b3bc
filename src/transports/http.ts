import { createServer as createNodeServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppContext } from '../context.js';
import { didYouMean } from '../errors.js';
import { createServer } from '../server.js';
import { VERSION } from '../version.js';
import { checkScope, isRejection, TokenAuthenticator } from './http/auth.js';
import { checkHost, checkOrigin } from './http/guards.js';
import { RateLimiter } from './http/rate-limit.js';
import { sendJson, sendRejection, type Rejection } from './http/rejection.js';
import type { ScopeResolver } from './http/scope.js';
import type { HttpSettings } from './http/settings.js';
import { SSE_MESSAGES_PATH, SseEndpoint } from './http/sse.js';
import { StreamableEndpoint } from './http/streamable.js';

export { resolveHttpSettings, isLoopbackHost, type HttpSettings, type HttpToken } from './http/settings.js';
export type { ScopeResolver } from './http/scope.js';

export interface StratumHttpServer {
  /** Base URL, e.g. http://127.0.0.1:3333 (the real port when 0 was asked for). */
  url: string;
  port: number;
  /** Graceful: stops accepting, lets requests in flight finish (up to shutdownGraceMs), closes sessions. */
  close(): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 5000;

type Route =
  | { kind: 'health' }
  | { kind: 'mcp' | 'sse'; subagent: string | undefined }
  | { kind: 'messages' }
  | { kind: 'unknown' };

/** The full server at /mcp and /sse, and each servable subagent at /mcp/{name} and /sse/{name}. */
export function fullScope(context: AppContext): ScopeResolver {
  return { subagents: context.subagents.names(), createServer: (subagent) => createServer(context, subagent) };
}

/** `serve --http --subagent NAME`: that subagent only, at /mcp and /sse as well as at its own paths. */
export function subagentScope(context: AppContext, subagent: string): ScopeResolver {
  context.toolScope(subagent);
  return { subagents: [subagent], createServer: () => createServer(context, subagent) };
}

function route(pathname: string): Route {
  if (pathname === '/healthz') return { kind: 'health' };
  if (pathname === SSE_MESSAGES_PATH) return { kind: 'messages' };
  const match = /^\/(mcp|sse)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!match) return { kind: 'unknown' };
  return { kind: match[1] as 'mcp' | 'sse', subagent: match[2] === undefined ? undefined : decodeURIComponent(match[2]) };
}

/** Long-lived server-to-client streams: not "in flight" work that shutdown should wait for. */
const opensStream = (req: IncomingMessage, target: Route) => req.method === 'GET' && (target.kind === 'sse' || target.kind === 'mcp');

/**
 * Serves MCP over HTTP: Streamable HTTP (both protocol eras) at /mcp, legacy HTTP+SSE at /sse and
 * /messages, per-subagent paths from the scope resolver, and /healthz. Every request passes the
 * same checks in order: Host, Origin, route, bearer token, subagent scope, rate limit.
 */
export async function startHttpServer(context: AppContext, settings: HttpSettings, scopes: ScopeResolver = fullScope(context)): Promise<StratumHttpServer> {
  const logger = context.logger;
  const auth = new TokenAuthenticator(settings.tokens);
  const limiter = settings.rateLimitPerMinute ? new RateLimiter(settings.rateLimitPerMinute) : undefined;
  const streamable = new StreamableEndpoint(scopes, settings, logger);
  const sse = new SseEndpoint(scopes, settings, logger);
  const startedAt = Date.now();
  let draining = false;
  let inFlight = 0;
  const drained: (() => void)[] = [];

  const refuse = (req: IncomingMessage, res: ServerResponse, rejection: Rejection, path: string) => {
    const level = rejection.status === 401 || rejection.status === 403 || rejection.status === 429 ? 'warn' : 'debug';
    logger[level]({ method: req.method, path, status: rejection.status, reason: rejection.reason, remote: req.socket.remoteAddress }, 'http request refused');
    sendRejection(res, rejection);
  };

  const health = async (res: ServerResponse) => {
    const datasources = await Promise.all(
      Object.entries(context.config.datasources).map(async ([name, datasource]) => {
        try {
          const probe = context.connector(name).then((connector) => connector.execute('SELECT 1', { maxRows: 1, maxChars: 100, timeoutMs: HEALTH_TIMEOUT_MS }));
          await Promise.race([probe, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS).unref())]);
          return { name, type: datasource.type, status: 'ok' as const };
        } catch (error) {
          return { name, type: datasource.type, status: 'error' as const, error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
        }
      }),
    );
    const ok = datasources.every((datasource) => datasource.status === 'ok');
    const body = {
      status: ok ? 'ok' : 'degraded',
      version: VERSION,
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      stateless: settings.stateless,
      sessions: { streamable_http: streamable.sessions.size, sse: sse.sessions.size },
      datasources,
    };
    sendJson(res, ok ? 200 : 503, JSON.stringify(body));
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse, url: URL, target: Route): Promise<void> => {
    const path = url.pathname;
    const guard = checkHost(req.headers, settings) ?? checkOrigin(req.headers, settings);
    if (guard) return refuse(req, res, guard, path);
    if (target.kind === 'health') return req.method === 'GET' ? health(res) : refuse(req, res, methodNotAllowed('GET'), path);
    if (target.kind === 'unknown') return refuse(req, res, notFound(path), path);

    const principal = auth.authenticate(req.headers.authorization, req.socket.remoteAddress ?? 'unknown');
    if (isRejection(principal)) return refuse(req, res, principal, path);
    const subagent = target.kind === 'messages' ? undefined : target.subagent;
    if (subagent !== undefined && !scopes.subagents.includes(subagent)) return refuse(req, res, unknownSubagent(subagent, scopes.subagents), path);
    const denied = (target.kind === 'messages' ? undefined : checkScope(principal, subagent)) ?? limiter?.take(principal.rateKey);
    if (denied) return refuse(req, res, denied, path);

    if (target.kind === 'mcp') return streamable.handle(req, res, subagent, principal);
    if (target.kind === 'sse') return req.method === 'GET' ? sse.open(res, subagent, principal) : refuse(req, res, methodNotAllowed('GET'), path);
    return req.method === 'POST' ? sse.post(req, res, url, principal) : refuse(req, res, methodNotAllowed('POST'), path);
  };

  const server = createNodeServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://stratum.invalid');
    const target = route(url.pathname);
    if (draining) {
      sendRejection(res, { status: 503, reason: 'shutting_down', message: 'The server is shutting down.', hint: 'Retry against another replica or after the restart.', headers: { connection: 'close' } });
      return;
    }
    const counted = !opensStream(req, target);
    if (counted) inFlight++;
    res.once('close', () => {
      if (counted && --inFlight === 0) drained.splice(0).forEach((resolve) => resolve());
      logger.debug({ method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'http request');
    });
    dispatch(req, res, url, target).catch((error: unknown) => {
      logger.error({ err: error, method: req.method, path: url.pathname }, 'http request failed');
      if (res.headersSent) res.destroy();
      else sendRejection(res, { status: 500, reason: 'internal_error', message: 'Internal server error; the server is still running.' });
    });
  });
  // Streams stay open for long; never let Node's default request timeout cut an SSE stream.
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    void streamable.close();
    void sse.close();
    if (error.code === 'EADDRINUSE') throw new Error(`Port ${settings.port} on ${settings.host} is already in use; choose another with --port.`);
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((resolve) => drained.push(resolve)), new Promise((resolve) => setTimeout(resolve, settings.shutdownGraceMs).unref())]);
      }
      await Promise.allSettled([streamable.close(), sse.close()]);
      server.closeAllConnections();
      await stopped;
    })());

  return { url: `http://${hostForUrl}:${port}`, port, close };
}

/** `stratum serve --http`: serves until SIGINT/SIGTERM, then shuts down gracefully. */
export async function runHttpServer(context: AppContext, settings: HttpSettings, scopes: ScopeResolver = fullScope(context)): Promise<void> {
  process.on('unhandledRejection', (reason) => context.logger.error({ err: reason }, 'unhandled rejection'));
  const server = await startHttpServer(context, settings, scopes);
  context.logger.info(
    {
      url: server.url,
      mcp: `${server.url}/mcp`,
      sse: `${server.url}/sse`,
      stateless: settings.stateless,
      auth: settings.tokens.length > 0 ? `${settings.tokens.length} bearer token(s)` : 'none (loopback only)',
      subagents: scopes.subagents,
      datasources: Object.keys(context.config.datasources),
    },
    'stratum serving over HTTP',
  );
  const reason = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  context.logger.info({ reason }, 'stratum stopping');
  await server.close();
  await context.close();
}

function methodNotAllowed(allowed: string): Rejection {
  return { status: 405, reason: 'method_not_allowed', message: `Method not allowed here; use ${allowed}.`, headers: { allow: allowed } };
}

function notFound(path: string): Rejection {
  return {
    status: 404,
    reason: 'not_found',
    message: `Nothing is served at ${path}.`,
    hint: 'MCP is served at /mcp (Streamable HTTP) and /sse (legacy HTTP+SSE); health at /healthz.',
  };
}

function unknownSubagent(name: string, known: readonly string[]): Rejection {
  return {
    status: 404,
    reason: 'unknown_subagent',
    message: `No subagent "${name}" is served here.${known.length > 0 ? didYouMean(name, known) : ''}`,
    hint: known.length > 0 ? `Served subagents: ${known.map((subagent) => `/mcp/${subagent}`).join(', ')}; the full server is at /mcp.` : 'This server has no subagents; use /mcp for the full server.',
  };
}
