import type { IncomingHttpHeaders } from 'node:http';
import { validateHostHeader } from '@modelcontextprotocol/server';
import type { Rejection } from './rejection.js';
import type { HttpSettings } from './settings.js';

const LOCALHOST_ORIGIN_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** DNS-rebinding defence: the Host header must name this server. */
export function checkHost(headers: IncomingHttpHeaders, settings: HttpSettings): Rejection | undefined {
  if (!settings.allowedHosts) return undefined;
  const result = validateHostHeader(headers.host, settings.allowedHosts);
  if (result.ok) return undefined;
  return {
    status: 403,
    reason: 'host_not_allowed',
    message: `Host header ${JSON.stringify(headers.host ?? '')} is not allowed.`,
    hint: `Connect through one of: ${settings.allowedHosts.join(', ')} (server.http.allowed_hosts adds names).`,
  };
}

/**
 * Browsers send Origin; other clients do not. A present Origin must be localhost (on a loopback
 * bind) or listed in `server.http.allowed_origins` (a full origin or a bare hostname).
 */
export function checkOrigin(headers: IncomingHttpHeaders, settings: HttpSettings): Rejection | undefined {
  const origin = headers.origin;
  if (origin === undefined || origin === '') return undefined;
  if (originAllowed(origin, settings)) return undefined;
  return {
    status: 403,
    reason: 'origin_not_allowed',
    message: `Origin ${JSON.stringify(origin)} is not allowed.`,
    hint: 'Add it to server.http.allowed_origins (e.g. "https://app.example.com") if this web app should reach Stratum.',
  };
}

function originAllowed(origin: string, settings: HttpSettings): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin === 'null') return false;
  const hostname = url.host.startsWith('[') ? url.hostname : url.hostname.toLowerCase();
  if (settings.allowLocalhostOrigins && LOCALHOST_ORIGIN_HOSTS.has(hostname)) return true;
  return settings.allowedOrigins.some((allowed) => allowed.replace(/\/+$/, '') === url.origin || allowed.toLowerCase() === hostname);
}
