import type { ServerResponse } from 'node:http';
import type { Logger } from '../../logger.js';

/** One stateful MCP session: which token opened it, on which scope, and how to end it. */
export interface Session<T> {
  id: string;
  principal: string;
  scope: string | undefined;
  transport: T;
  close: () => Promise<void>;
  lastSeen: number;
  /** Requests of this session still being answered; a session is never expired mid-request. */
  active: number;
}

/**
 * The live sessions of one transport kind. A session is idle when no request has been made on it
 * for `idleMs` (an open server-to-client stream does not count); idle sessions are closed, and a
 * later request with their id is answered 404 so the client starts a new one.
 */
export class SessionTable<T> {
  private readonly sessions = new Map<string, Session<T>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly kind: string,
    private readonly idleMs: number,
    private readonly logger: Logger,
  ) {
    this.sweeper = setInterval(() => this.expireIdle(), Math.max(25, Math.min(idleMs / 4, 60_000)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  add(session: Omit<Session<T>, 'lastSeen' | 'active'>): Session<T> {
    const entry = { ...session, lastSeen: Date.now(), active: 0 };
    this.sessions.set(session.id, entry);
    this.logger.debug({ kind: this.kind, session: session.id, principal: session.principal, scope: session.scope }, 'session opened');
    return entry;
  }

  /** The session with this id, only if the same token opened it (another token sees no such session). */
  find(id: string | null | undefined, principal: string): Session<T> | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    return session?.principal === principal ? session : undefined;
  }

  /** Counts a request as activity until its response is finished. */
  track(session: Session<T>, res: ServerResponse): void {
    session.active++;
    session.lastSeen = Date.now();
    res.once('close', () => {
      session.active--;
      session.lastSeen = Date.now();
    });
  }

  /** Forgets a session that ended on its own (DELETE, client disconnect). */
  remove(id: string, reason: string): void {
    if (this.sessions.delete(id)) this.logger.debug({ kind: this.kind, session: id, reason }, 'session closed');
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map((session) => session.close()));
  }

  private expireIdle(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.active > 0 || now - session.lastSeen < this.idleMs) continue;
      this.sessions.delete(session.id);
      // Session ids act as credentials for anonymous clients: only debug logs carry them.
      this.logger.info({ kind: this.kind, principal: session.principal, idleMs: now - session.lastSeen }, 'idle session expired');
      this.logger.debug({ kind: this.kind, session: session.id }, 'expired session id');
      session.close().catch((error: unknown) => this.logger.warn({ err: error, session: session.id }, 'closing an idle session failed'));
    }
  }
}
