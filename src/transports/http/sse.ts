import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { Logger } from '../../logger.js';
import type { Principal } from './auth.js';
import { bodyTooLarge, sendRejection } from './rejection.js';
import { readWebRequest } from './respond.js';
import type { ScopeResolver } from './scope.js';
import { SessionTable } from './sessions.js';
import type { HttpSettings } from './settings.js';

export const SSE_MESSAGES_PATH = '/messages';

/**
 * The deprecated HTTP+SSE transport (protocol 2024-11-05) for older clients: `GET /sse[/{subagent}]`
 * opens the event stream and names `/messages?sessionId=…`, where the client POSTs its messages.
 */
export class SseEndpoint {
  readonly sessions: SessionTable<SSEServerTransport>;

  constructor(
    private readonly scopes: ScopeResolver,
    private readonly settings: HttpSettings,
    logger: Logger,
  ) {
    this.sessions = new SessionTable('sse', settings.sessionIdleMs, logger);
  }

  async open(res: ServerResponse, scope: string | undefined, principal: Principal): Promise<void> {
    const transport = new SSEServerTransport(SSE_MESSAGES_PATH, res);
    const server = this.scopes.createServer(scope);
    const id = transport.sessionId;
    this.sessions.add({ id, principal: principal.name, scope, transport, close: () => server.close() });
    res.once('close', () => {
      this.sessions.remove(id, 'stream closed');
      void server.close();
    });
    await server.connect(transport);
  }

  async post(req: IncomingMessage, res: ServerResponse, url: URL, principal: Principal): Promise<void> {
    const session = this.sessions.find(url.searchParams.get('sessionId'), principal.name);
    if (!session) {
      sendRejection(res, {
        status: 404,
        reason: 'session_not_found',
        message: 'SSE session not found: it expired, was closed, or belongs to another token.',
        hint: 'Open a new stream with GET /sse and post to the endpoint it announces.',
      });
      return;
    }
    const request = await readWebRequest(req, res, this.settings.maxBodyBytes);
    if (!request) return sendRejection(res, bodyTooLarge(this.settings.maxBodyBytes));
    this.sessions.track(session, res);
    await session.transport.handlePostMessage(req, res, await request.text());
  }

  async close(): Promise<void> {
    await this.sessions.closeAll();
  }
}
