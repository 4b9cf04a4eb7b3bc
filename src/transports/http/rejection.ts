import type { ServerResponse } from 'node:http';

/**
 * A request refused before it reaches MCP. Answered as a JSON-RPC error body (what MCP clients
 * parse) whose `data` carries a stable reason and a hint saying how to fix the call.
 */
export interface Rejection {
  status: number;
  reason: string;
  message: string;
  hint?: string;
  headers?: Record<string, string>;
}

export function bodyTooLarge(limit: number): Rejection {
  return {
    status: 413,
    reason: 'body_too_large',
    message: `Request body exceeds ${limit} bytes.`,
    hint: 'Send a smaller request, or raise server.http.max_body_bytes.',
  };
}

export function rejectionBody(rejection: Rejection): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32000, message: rejection.message, data: { reason: rejection.reason, ...(rejection.hint ? { hint: rejection.hint } : {}) } },
  });
}

export function sendRejection(res: ServerResponse, rejection: Rejection): void {
  sendJson(res, rejection.status, rejectionBody(rejection), rejection.headers);
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}
