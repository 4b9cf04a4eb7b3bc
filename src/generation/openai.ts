import { StratumError } from '../errors.js';
import type { ChatModel, ModelRequest } from './types.js';

export interface EndpointSettings {
  base_url: string;
  model: string;
  api_key?: string | undefined;
  timeout_ms: number;
  temperature?: number | undefined;
}

const DETAIL_CHARS = 300;

/**
 * An OpenAI-compatible chat-completions endpoint (OpenAI, Azure's /v1, vLLM, Ollama, LM Studio,
 * llama.cpp server...). Every failure becomes a StratumError that names the setting to check.
 */
export class OpenAIChatModel implements ChatModel {
  readonly description: string;
  private readonly url: string;

  constructor(
    private readonly settings: EndpointSettings,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.url = `${settings.base_url.replace(/\/+$/, '')}/chat/completions`;
    this.description = `${settings.model} at ${new URL(this.url).origin}`;
  }

  async complete(request: ModelRequest, signal?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(this.settings.timeout_ms);
    const body = {
      model: this.settings.model,
      messages: [{ role: 'system', content: request.system }, ...request.messages.map((message) => ({ role: message.role, content: message.text }))],
      max_tokens: request.maxTokens,
      ...(request.temperature ?? this.settings.temperature) !== undefined ? { temperature: request.temperature ?? this.settings.temperature } : {},
    };
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.settings.api_key ? { authorization: `Bearer ${this.settings.api_key}` } : {}) },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      if (timeout.aborted) {
        throw new StratumError('LLM_TIMEOUT', `The model endpoint (${this.description}) did not answer within ${this.settings.timeout_ms} ms (llm.timeout_ms).`, 'Raise llm.timeout_ms for a slow model, check that the endpoint is up, or call generate_sql again.');
      }
      if (signal?.aborted) throw new StratumError('QUERY_CANCELLED', 'generate_sql was cancelled by the client while the model was writing.');
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new StratumError('LLM_ERROR', `Cannot reach the model endpoint ${this.url}: ${cause}.`, 'Check llm.base_url in stratum.yaml (it ends before /chat/completions, e.g. https://api.openai.com/v1) and that the server is running.');
    }
    if (!response.ok) throw httpError(response.status, text, this.description);
    return answerText(text, this.description);
  }
}

function httpError(status: number, body: string, description: string): StratumError {
  const detail = errorDetail(body);
  const hint =
    status === 401 || status === 403
      ? 'Check llm.api_key (e.g. api_key: "${OPENAI_API_KEY}" with the variable set in the server\'s environment).'
      : status === 404
        ? 'Check llm.base_url (it ends before /chat/completions) and llm.model (a model the endpoint serves).'
        : status === 429
          ? 'The endpoint is rate limiting or out of quota; wait and call generate_sql again.'
          : status >= 500
            ? 'The model server failed; call generate_sql again, or check the endpoint\'s logs.'
            : 'Check llm.model and the endpoint\'s documentation for what it accepts.';
  return new StratumError('LLM_ERROR', `The model endpoint (${description}) answered HTTP ${status}${detail ? `: ${detail}` : ''}.`, hint);
}

/** The endpoint's own error message when the body has one (OpenAI: `{"error": {"message": ...}}`). */
function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message.slice(0, DETAIL_CHARS);
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, DETAIL_CHARS);
}

function answerText(body: string, description: string): string {
  const malformed = (what: string) =>
    new StratumError('LLM_ERROR', `The model endpoint (${description}) sent a malformed answer: ${what}.`, 'llm.base_url must point at an OpenAI-compatible chat-completions API (POST {base_url}/chat/completions).');
  let parsed: { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw malformed(`not JSON (${JSON.stringify(body.slice(0, 80))})`);
  }
  const choice = parsed.choices?.[0];
  if (!choice) throw malformed('no choices');
  const content = choice.message?.content;
  if (typeof content === 'string') return content;
  // Some servers send content parts: [{type: 'text', text}].
  if (Array.isArray(content)) return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
  throw malformed(`choices[0].message.content is ${content === null ? 'null' : typeof content}${choice.finish_reason ? ` (finish_reason ${String(choice.finish_reason)})` : ''}`);
}
