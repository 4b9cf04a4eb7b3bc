import { randomBytes } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, type ClientCapabilities, createRequestStateCodec, inputRequired, inputResponse, type InputRequiredResult, type McpServer, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { StratumError } from '../errors.js';
import type { ModelRequest, RepairState } from '../generation/index.js';

/**
 * MCP sampling for tools, one code path for both protocol eras: the tool returns `inputRequired`
 * with an embedded `sampling/createMessage`; a 2026-07-28 client fulfils it and retries the call,
 * and on a 2025 connection the SDK's shim sends a real `sampling/createMessage` and re-enters the
 * handler. What failed so far travels in `requestState`, sealed with HMAC so a client cannot forge it.
 */

const SAMPLING_KEY = 'sql';
const STATE_TTL_SECONDS = 900;
const codecs = new WeakMap<AppContext, RequestStateCodec<RepairState>>();

/** Whether the client declared `sampling`: in the request's envelope (2026-07-28) or at initialize (2025). */
export function clientCanSample(server: McpServer, ctx: ServerContext): boolean {
  const fromEnvelope = (ctx.mcpReq.envelope as Record<string, ClientCapabilities | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  const declared = fromEnvelope ?? server.server.getClientCapabilities();
  return Boolean(declared?.sampling);
}

/** The round's state and the model's answer when this call is a retry that carries them. */
export async function samplingRound(context: AppContext, ctx: ServerContext): Promise<{ state: RepairState; answer: string } | undefined> {
  const raw = ctx.mcpReq.requestState();
  const response = inputResponse(ctx.mcpReq.inputResponses, SAMPLING_KEY);
  if (raw === undefined && response.kind === 'missing') return undefined;
  let state: RepairState;
  try {
    state = await codec(context).verify(String(raw), ctx);
  } catch {
    throw new StratumError('INVALID_ARGUMENT', 'The sampling round carried a missing, altered or expired state.', 'Call generate_sql again from the start.');
  }
  if (response.kind !== 'sampling') {
    throw new StratumError('INVALID_ARGUMENT', 'The client answered the sampling request with no model message.', 'The client must answer sampling/createMessage with a text message; call generate_sql again.');
  }
  return { state, answer: samplingText(response.result.content) };
}

/** Asks the client's model: an input-required result with the conversation and the sealed state. */
export async function askClientModel(context: AppContext, ctx: ServerContext, request: ModelRequest, state: RepairState): Promise<InputRequiredResult> {
  return inputRequired({
    inputRequests: {
      [SAMPLING_KEY]: inputRequired.createMessage({
        systemPrompt: request.system,
        messages: request.messages.map((message) => ({ role: message.role, content: { type: 'text', text: message.text } })),
        maxTokens: request.maxTokens,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        includeContext: 'none',
        modelPreferences: { intelligencePriority: 0.8, speedPriority: 0.3 },
      }),
    },
    requestState: await codec(context).mint(state, ctx),
  });
}

function samplingText(content: unknown): string {
  const blocks = Array.isArray(content) ? content : [content];
  return blocks.map((block: { type?: unknown; text?: unknown }) => (block?.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('\n');
}

/** One codec per process (or per shared secret, for stateless replicas), bound to the tools/call method. */
function codec(context: AppContext): RequestStateCodec<RepairState> {
  let existing = codecs.get(context);
  if (!existing) {
    existing = createRequestStateCodec<RepairState>({
      key: context.config.generation.request_state_secret ?? randomBytes(32),
      ttlSeconds: STATE_TTL_SECONDS,
      bind: (ctx) => ctx.mcpReq.method,
    });
    codecs.set(context, existing);
  }
  return existing;
}
