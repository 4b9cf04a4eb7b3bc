import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply: a chat answer (`content`), or a raw HTTP status and body, optionally late. */
export interface ScriptedReply {
  content?: string;
  status?: number;
  body?: string;
  delayMs?: number;
}

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[]; temperature?: number; max_tokens?: number };
}

export interface OpenAITestServer {
  /** base_url for stratum.yaml (ends in /v1). */
  url: string;
  requests: RecordedRequest[];
  /** Replaces the script; replies are used in order, and the last one repeats. */
  script(replies: ScriptedReply[]): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API: it answers from a
 * script and records every prompt it received, so tests can assert what the model was shown.
 */
export async function startOpenAIServer(replies: ScriptedReply[] = []): Promise<OpenAITestServer> {
  let script = replies;
  let served = 0;
  const requests: RecordedRequest[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${request.method} ${request.url}` } }));
        return;
      }
      requests.push({ path: request.url, authorization: request.headers.authorization, body: JSON.parse(raw) as RecordedRequest['body'] });
      const reply = script[Math.min(served++, script.length - 1)] ?? { status: 500, body: '{"error":{"message":"no scripted reply"}}' };
      const send = () => {
        if (response.destroyed) return;
        if (reply.status !== undefined) {
          response.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body ?? '');
          return;
        }
        const completion = { id: `chatcmpl-${served}`, object: 'chat.completion', model: 'test-model', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: reply.content ?? '' } }] };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(next) {
      script = next;
      served = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
