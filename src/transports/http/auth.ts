import { createHash, timingSafeEqual } from 'node:crypto';
import type { Rejection } from './rejection.js';
import type { HttpToken } from './settings.js';

/** Who is calling: a configured token (by name, never by value) or an anonymous loopback client. */
export interface Principal {
  name: string;
  /** Undefined: every scope. */
  subagents: readonly string[] | undefined;
  /** Rate-limit bucket: the token name, or the client address when no tokens are configured. */
  rateKey: string;
}

const CHALLENGE = 'Bearer realm="stratum"';
const digest = (value: string) => createHash('sha256').update(value).digest();

/** Bearer-token checks: constant-time comparison over every configured token, scopes per subagent. */
export class TokenAuthenticator {
  private readonly tokens: { token: HttpToken; digest: Buffer }[];

  constructor(tokens: readonly HttpToken[]) {
    this.tokens = tokens.map((token) => ({ token, digest: digest(token.token) }));
  }

  get enabled(): boolean {
    return this.tokens.length > 0;
  }

  authenticate(authorization: string | undefined, remoteAddress: string): Principal | Rejection {
    if (!this.enabled) return { name: 'anonymous', subagents: undefined, rateKey: `address:${remoteAddress}` };
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    if (!match) return unauthorized('token_missing', 'This Stratum server requires a bearer token.', 'Send `Authorization: Bearer <token>` with a token from server.http.tokens.');
    const presented = digest(match[1]!);
    // Compare against every token so the time taken does not reveal which one (or whether any) matched.
    let found: HttpToken | undefined;
    for (const entry of this.tokens) if (timingSafeEqual(presented, entry.digest) && !found) found = entry.token;
    if (!found) {
      const hint = 'Check the token against server.http.tokens (values usually come from an environment variable).';
      return unauthorized('token_invalid', 'The bearer token is not valid for this server.', hint, 'invalid_token');
    }
    return { name: found.name, subagents: found.subagents, rateKey: `token:${found.name}` };
  }
}

/** A token limited to some subagents may only reach their paths, never the full scope. */
export function checkScope(principal: Principal, subagent: string | undefined): Rejection | undefined {
  if (!principal.subagents || (subagent !== undefined && principal.subagents.includes(subagent))) return undefined;
  const allowed = principal.subagents.length > 0 ? principal.subagents.map((name) => `/mcp/${name}`).join(', ') : 'no path';
  return {
    status: 403,
    reason: 'scope_not_allowed',
    message: `This token may not reach ${subagent === undefined ? 'the full server' : `subagent "${subagent}"`}.`,
    hint: `It is limited to: ${allowed}.`,
    headers: { 'www-authenticate': `${CHALLENGE}, error="insufficient_scope"` },
  };
}

/** 401 with the Bearer challenge (RFC 6750), naming the error when a token was presented. */
function unauthorized(reason: string, message: string, hint: string, error?: string): Rejection {
  return { status: 401, reason, message, hint, headers: { 'www-authenticate': error ? `${CHALLENGE}, error="${error}"` : CHALLENGE } };
}

export function isRejection(value: Principal | Rejection): value is Rejection {
  return 'status' in value;
}
