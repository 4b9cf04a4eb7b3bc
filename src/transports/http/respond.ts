import type { IncomingMessage, ServerResponse } from 'node:http';
import { toWebRequest } from '@modelcontextprotocol/node';

/**
 * Node request -> web Request, with the body limit and an abort signal that fires when the client
 * goes away (so a running tool call is cancelled). Resolves undefined when the body is too large.
 */
export async function readWebRequest(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<Request | undefined> {
  const aborted = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort();
  });
  try {
    return await toWebRequest(req, undefined, { maxRequestBodySize: maxBodyBytes, signal: aborted.signal });
  } catch (error) {
    if ((error as { status?: number }).status === 413) return undefined;
    throw error;
  }
}

/**
 * Web Response -> Node response. A JSON answer is written in one piece with its length: written
 * chunk by chunk it costs a delayed-ACK round trip (~40 ms) per call with some clients. Event
 * streams are piped as they come, honouring backpressure, and cancelled when the client leaves.
 */
export async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') headers[name] = response.headers.getSetCookie();
    else headers[name] = value;
  });
  const streaming = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (!response.body || !streaming) {
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { ...headers, 'content-length': String(body.length) });
    res.end(body);
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true as const, value: undefined }));
    if (done || res.destroyed) break;
    if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
  }
  res.end();
}
