import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createMcpHandler,
  isLegacyRequest,
  legacyStatelessFallback,
  WebStandardStreamableHTTPServerTransport,
  type LegacyHttpHandler,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../logger.js';
import type { Principal } from './auth.js';
import { bodyTooLarge, rejectionBody, sendRejection } from './rejection.js';
import { readWebRequest, writeWebResponse } from './respond.js';
import type { ScopeResolver } from './scope.js';
import { SessionTable } from './sessions.js';
import type { HttpSettings } from './settings.js';

/**
 * Streamable HTTP at `/mcp[/{subagent}]`. Requests of the 2026-07-28 protocol carry their own
 * envelope and go to the SDK's per-request handler. 2025-era traffic (the `initialize` handshake)
 * gets sessions with idle expiry and DELETE, or, in stateless mode, a fresh server per request so
 * that any replica behind a load balancer can answer it.
 */
export class StreamableEndpoint {
  readonly sessions: SessionTable<WebStandardStreamableHTTPServerTransport>;
  private readonly modern = new Map<string, McpHttpHandler>();
  private readonly stateless = new Map<string, LegacyHttpHandler>();

  constructor(
    private readonly scopes: ScopeResolver,
    private readonly settings: HttpSettings,
    private readonly logger: Logger,
  ) {
    this.sessions = new SessionTable('streamable-http', settings.sessionIdleMs, logger);
  }

  async handle(req: IncomingMessage, res: ServerResponse, scope: string | undefined, principal: Principal): Promise<void> {
    const session = this.sessions.find(header(req, 'mcp-session-id'), principal.name);
    if (session && req.method !== 'GET') this.sessions.track(session, res);
    const request = await readWebRequest(req, res, this.settings.maxBodyBytes);
    if (!request) return sendRejection(res, bodyTooLarge(this.settings.maxBodyBytes));
    await writeWebResponse(res, await this.fetch(request, scope, principal));
  }

  async close(): Promise<void> {
    await this.sessions.closeAll();
    await Promise.allSettled([...this.modern.values()].map((handler) => handler.close()));
  }

  private async fetch(request: Request, scope: string | undefined, principal: Principal): Promise<Response> {
    const bodyLimit = { maxRequestBodySize: this.settings.maxBodyBytes };
    if (!(await isLegacyRequest(request, undefined, bodyLimit))) return this.modernHandler(scope).fetch(request);
    if (this.settings.stateless) return this.statelessHandler(scope)(request);
    return this.sessionful(request, scope, principal);
  }

  private modernHandler(scope: string | undefined): McpHttpHandler {
    const key = scope ?? '';
    let handler = this.modern.get(key);
    if (!handler) {
      handler = createMcpHandler(() => this.scopes.createServer(scope), { legacy: 'reject', maxRequestBodySize: this.settings.maxBodyBytes, onerror: this.onerror });
      this.modern.set(key, handler);
    }
    return handler;
  }

  private statelessHandler(scope: string | undefined): LegacyHttpHandler {
    const key = scope ?? '';
    let handler = this.stateless.get(key);
    if (!handler) {
      handler = legacyStatelessFallback(() => this.scopes.createServer(scope), this.onerror, { maxRequestBodySize: this.settings.maxBodyBytes });
      this.stateless.set(key, handler);
    }
    return handler;
  }

  private async sessionful(request: Request, scope: string | undefined, principal: Principal): Promise<Response> {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const session = this.sessions.find(sessionId, principal.name);
      if (!session || session.scope !== scope) {
        const body = rejectionBody({
          status: 404,
          reason: 'session_not_found',
          message: 'Session not found: it expired, was closed, or belongs to another path or token.',
          hint: 'Start a new session (send initialize again without an Mcp-Session-Id header).',
        });
        return new Response(body, { status: 404, headers: { 'content-type': 'application/json' } });
      }
      return session.transport.handleRequest(request);
    }
    const server = this.scopes.createServer(scope);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      maxRequestBodySize: this.settings.maxBodyBytes,
      onsessioninitialized: (id) => {
        this.sessions.add({ id, principal: principal.name, scope, transport, close: () => server.close() });
      },
      onsessionclosed: (id) => this.sessions.remove(id, 'DELETE'),
    });
    await server.connect(transport);
    const response = await transport.handleRequest(request);
    // Not an initialize: the transport refused it (400) and no session exists to keep.
    if (!transport.sessionId) await server.close();
    return response;
  }

  private readonly onerror = (error: Error) => this.logger.debug({ err: { name: error.name, message: error.message } }, 'streamable HTTP request failed');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
