import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as V2Client, StreamableHTTPClientTransport, type Client } from '@modelcontextprotocol/client';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { CLI, startV1Client, startV2Client, type StartedClient } from '../helpers/clients.js';
import { tempDir } from '../helpers/fixture.js';
import { startOpenAIServer, type OpenAITestServer } from '../helpers/openai-server.js';
import { connectV2Http, spawnHttpServer } from '../helpers/http.js';

type ToolResult = { content: unknown; structuredContent?: Record<string, unknown>; isError?: boolean };
const text = (result: ToolResult) => (result.content as { text: string }[]).map((part) => part.text).join('\n');

interface SamplingCall {
  systemPrompt?: string;
  messages: { role: string; content: { type: string; text?: string } | { type: string; text?: string }[] }[];
  maxTokens: number;
  includeContext?: string;
}
const messageText = (message: SamplingCall['messages'][number]) => (Array.isArray(message.content) ? message.content : [message.content]).map((block) => block.text ?? '').join('');

const QUESTION = 'total order count by order status';
const BAD = 'SELECT order_status, count(*) FROM main.orders GROUP BY 1';
const GOOD = 'SELECT status, count(*) AS orders FROM main.orders GROUP BY 1 ORDER BY 1';

let dir: string;
let plainConfig: string;
let llmConfig: string;
let llm: OpenAITestServer;

/** A scripted client-side model: answers in order and records every sampling request. */
function scriptedModel(answers: string[]) {
  const calls: SamplingCall[] = [];
  const answer = async (params: SamplingCall) => {
    calls.push(params);
    return { model: 'client-model', role: 'assistant' as const, content: { type: 'text' as const, text: `\`\`\`sql\n${answers[Math.min(calls.length - 1, answers.length - 1)]}\n\`\`\`` } };
  };
  return { calls, answer };
}

beforeAll(async () => {
  dir = join(tempDir(), 'workspace');
  const init = spawnSync(process.execPath, [CLI, 'init', dir, '--scale', '0.01'], { encoding: 'utf8' });
  expect(init.status).toBe(0);
  plainConfig = join(dir, 'stratum.yaml');
  llm = await startOpenAIServer();
  llmConfig = join(dir, 'stratum-llm.yaml');
  writeFileSync(llmConfig, `${readFileSync(plainConfig, 'utf8')}llm: { base_url: "${llm.url}", model: test-model, api_key: "\${TEST_LLM_KEY}", timeout_ms: 1500, max_attempts: 3 }\n`);
});

afterAll(() => llm?.close());

async function withClient<C extends { close(): Promise<void> }>(start: Promise<StartedClient<C>>, body: (client: C) => Promise<void>): Promise<void> {
  const started = await start;
  try {
    await body(started.client);
  } finally {
    await started.close();
  }
}

function expectRepaired(result: ToolResult, calls: SamplingCall[]) {
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent).toMatchObject({ sql: GOOD, source: 'llm', llm_route: 'sampling', validated: true, attempts: 2 });
  expect(calls).toHaveLength(2);
  expect(calls[0]!.systemPrompt).toMatch(/^You write SQL for a DuckDB database\./);
  expect(calls[0]!.includeContext).toBe('none');
  expect(calls[0]!.messages).toHaveLength(1);
  const prompt = messageText(calls[0]!.messages[0]!);
  expect([...prompt.matchAll(/^## (.*)$/gm)].map((m) => m[1]!.split(' (')[0])).toEqual(['Dialect: DuckDB', 'Semantic model retail_cortex', 'Tables', 'Join paths between the linked tables', 'Question']);
  expect(calls[1]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  expect(messageText(calls[1]!.messages[1]!)).toBe(`\`\`\`sql\n${BAD}\n\`\`\``);
  expect(messageText(calls[1]!.messages[2]!)).toMatch(/^That failed: SQL_ERROR: Binder Error: Referenced column "order_status" not found/);
  expect(text(result)).toMatch(new RegExp(`^${GOOD.replace(/[()*]/g, '\\$&')}\n\n-- source: llm; model: retail_cortex; strategy: auto; validated: true; attempts: 2\n`));
}

describe('generate_sql through MCP sampling', () => {
  it('asks a 2026-07-28 client through the input-required flow and repairs a failed answer', async () => {
    const model = scriptedModel([BAD, GOOD]);
    await withClient(
      startV2Client(plainConfig, 'modern', undefined, { capabilities: { sampling: {} }, before: (client: Client) => client.setRequestHandler('sampling/createMessage', (request) => model.answer(request.params as SamplingCall)) }),
      async (client) => expectRepaired((await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult, model.calls),
    );
  });

  it('asks a client on the 2025 handshake with sampling/createMessage', async () => {
    const model = scriptedModel([BAD, GOOD]);
    await withClient(
      startV2Client(plainConfig, 'legacy', undefined, { capabilities: { sampling: {} }, before: (client: Client) => client.setRequestHandler('sampling/createMessage', (request) => model.answer(request.params as SamplingCall)) }),
      async (client) => expectRepaired((await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult, model.calls),
    );
  });

  it('asks a v1 SDK client that offers sampling', async () => {
    const model = scriptedModel([BAD, GOOD]);
    await withClient(
      startV1Client(plainConfig, undefined, { capabilities: { sampling: {} }, before: (client) => client.setRequestHandler(CreateMessageRequestSchema, (request) => model.answer(request.params as SamplingCall)) }),
      async (client) => expectRepaired((await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult, model.calls),
    );
  });

  it('prefers the client\'s model over the endpoint, and the endpoint when the client cannot sample', async () => {
    llm.requests.length = 0;
    llm.script([{ content: `\`\`\`sql\n${GOOD}\n\`\`\`` }]);
    const model = scriptedModel([GOOD]);
    await withClient(
      startV2Client(llmConfig, 'modern', { TEST_LLM_KEY: 'sk-e2e' }, { capabilities: { sampling: {} }, before: (client: Client) => client.setRequestHandler('sampling/createMessage', (request) => model.answer(request.params as SamplingCall)) }),
      async (client) => {
        const result = (await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult;
        expect(result.structuredContent).toMatchObject({ source: 'llm', llm_route: 'sampling', attempts: 1 });
      },
    );
    expect(llm.requests).toHaveLength(0);
    await withClient(startV2Client(llmConfig, 'modern', { TEST_LLM_KEY: 'sk-e2e' }), async (client) => {
      const result = (await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult;
      expect(result.structuredContent).toMatchObject({ sql: GOOD, source: 'llm', llm_route: 'endpoint', attempts: 1, validated: true });
      expect(llm.requests).toHaveLength(1);
      expect(llm.requests[0]!.authorization).toBe('Bearer sk-e2e');
      expect(llm.requests[0]!.body.model).toBe('test-model');
    });
   }, 120_000);
});

describe('generate_sql through MCP sampling over stateless HTTP', () => {
  it('carries the sealed state across the per-request servers of the 2026-07-28 protocol, and gives up after max_attempts', async () => {
    const config = join(dir, 'stratum-http.yaml');
    writeFileSync(config, `${readFileSync(plainConfig, 'utf8')}server: { http: { stateless: true } }\nllm: { base_url: "http://127.0.0.1:9/v1", model: unused, max_attempts: 2 }\n`);
    const server = await spawnHttpServer(config);
    const model = scriptedModel([BAD, GOOD]);
    const client = new V2Client({ name: 'sampling-http', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', (request) => model.answer(request.params as SamplingCall));
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
      expectRepaired((await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult, model.calls);
      const failing = scriptedModel([BAD]);
      client.setRequestHandler('sampling/createMessage', (request) => failing.answer(request.params as SamplingCall));
      const gaveUp = (await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult;
      expect(gaveUp.structuredContent).toMatchObject({ sql: null, source: 'context_only', llm_route: 'sampling', attempts: 2 });
      expect((gaveUp.structuredContent as { failed_attempts: unknown[] }).failed_attempts).toHaveLength(2);
      expect(failing.calls).toHaveLength(2);
      // A stateless 2025 request has no session to sample through: the endpoint is tried (and is down here).
      const legacy = await connectV2Http(`${server.url}/mcp`, { era: 'legacy' });
      const unreachable = (await legacy.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult;
      expect(text(unreachable)).toMatch(/^Error \[LLM_ERROR\]: Cannot reach the model endpoint http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions: /);
      await legacy.close();
    } finally {
      await client.close();
      await server.stop();
    }
  }, 120_000);
});

describe('generate_sql errors from the endpoint', () => {
  it('reports HTTP errors and timeouts as tool errors that say what to check', async () => {
    await withClient(startV2Client(llmConfig, 'legacy', { TEST_LLM_KEY: 'sk-e2e' }), async (client) => {
      llm.script([{ status: 500, body: '{"error":{"message":"model crashed"}}' }]);
      const failed = (await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult;
      expect(failed.isError).toBe(true);
      expect(text(failed)).toMatch(/^Error \[LLM_ERROR\]: The model endpoint \(test-model at http:\/\/127\.0\.0\.1:\d+\) answered HTTP 500: model crashed\.\nHint: The model server failed; call generate_sql again, or check the endpoint's logs\.$/);
      llm.script([{ content: 'SELECT 1', delayMs: 3_000 }]);
      const late = (await client.callTool({ name: 'generate_sql', arguments: { question: QUESTION } })) as ToolResult;
      expect(late.isError).toBe(true);
      expect(text(late)).toMatch(/^Error \[LLM_TIMEOUT\]: The model endpoint \(test-model at http:\/\/127\.0\.0\.1:\d+\) did not answer within 1500 ms \(llm\.timeout_ms\)\.\nHint: Raise llm\.timeout_ms/);
    });
  });
});

describe('generate_sql without a model: the context and the strategies', () => {
  let started: StartedClient<Client>;
  beforeAll(async () => {
    started = await startV2Client(plainConfig, 'modern');
  });
  afterAll(() => started?.close());
  const call = async (args: Record<string, unknown>) => (await started.client.callTool({ name: 'generate_sql', arguments: args })) as ToolResult;
  const headings = (context: string) => [...context.matchAll(/^## (.*)$/gm)].map((m) => m[1]!.split(' (')[0]!.split(':')[0]!);

  it('auto: the semantic model it can read plus linked tables, as context for the calling agent', async () => {
    const result = await call({ question: 'revenue by product category in 2025' });
    const body = result.structuredContent as { sql: null; source: string; strategy: string; semantic_model: string; context: string; linked_tables: string[]; budget: { max_length: number; used: number } };
    // Of the two demo models, the Cortex one covers more of the linked tables (it describes categories too).
    expect([body.sql, body.source, body.strategy, body.semantic_model]).toEqual([null, 'context_only', 'auto', 'retail_cortex']);
    expect(headings(body.context)).toEqual(['Dialect', 'Semantic model retail_cortex', 'Tables', 'Join paths between the linked tables', 'Question']);
    expect(body.context).toContain('### Semantic Model Specification: retail_cortex (cortex)');
    expect(body.linked_tables).toEqual(expect.arrayContaining(['main.categories', 'main.order_items']));
    expect(body.budget).toMatchObject({ max_length: 24_000, used: body.context.length });
    expect(text(result)).toContain(body.context);
  });

  it('semantic_model: the model only, and a clear error when it cannot be read', async () => {
    const result = await call({ question: 'revenue by product category in 2025', strategy: 'semantic_model', semantic_model: 'retail_cortex' });
    const body = result.structuredContent as { strategy: string; semantic_model: string; context: string; linked_tables: string[] };
    expect([body.strategy, body.semantic_model]).toEqual(['semantic_model', 'retail_cortex']);
    expect(headings(body.context)).toEqual(['Dialect', 'Semantic model retail_cortex', 'Question']);
    expect(body.linked_tables).toContain('main.order_items');
    const unknown = await call({ question: 'revenue by category', strategy: 'semantic_model', semantic_model: 'retial' });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/^Error \[[A-Z_]+\]: Unknown semantic model "retial"\. Did you mean "retail"/);
  });

  it('schema_linking: searched tables and live metadata only', async () => {
    const result = await call({ question: 'revenue by product category in 2025', strategy: 'schema_linking' });
    const body = result.structuredContent as { strategy: string; semantic_model?: string; context: string };
    expect(body.strategy).toBe('schema_linking');
    expect(body.semantic_model).toBeUndefined();
    expect(headings(body.context)).toEqual(['Dialect', 'Tables', 'Join paths between the linked tables', 'Question']);
  });

  it('auto falls back to schema linking when the model cannot be read, and says why', async () => {
    const result = await call({ question: 'revenue by product category in 2025', semantic_model: 'retial' });
    const body = result.structuredContent as { strategy: string; semantic_model?: string; context: string; explanation: string };
    expect(body.strategy).toBe('auto');
    expect(body.semantic_model).toBeUndefined();
    expect(body.explanation).toMatch(/Strategy auto fell back to schema linking: Unknown semantic model "retial"\. Did you mean "retail"/);
    expect(headings(body.context)).toEqual(['Dialect', 'Tables', 'Join paths between the linked tables', 'Question']);
  });

  it('answers a Cortex verified question with its SQL, file and line', async () => {
    const result = await call({ question: 'What was our revenue by month in 2025?' });
    const body = result.structuredContent as { sql: string; source: string; validated: boolean; semantic_model: string; verified_query: { score: number; provenance: { origin: string; semanticModel: string; file: string; line: number; name: string } } };
    expect([body.source, body.validated, body.semantic_model]).toEqual(['verified_query', true, 'retail_cortex']);
    expect(body.verified_query.score).toBeGreaterThan(0.99);
    expect(body.verified_query.provenance).toMatchObject({ origin: 'semantic_model', semanticModel: 'retail_cortex', name: 'monthly_revenue_2025', line: 579 });
    expect(body.verified_query.provenance.file).toMatch(/semantic_models\/retail_cortex\.yaml$/);
    expect(body.sql).toMatch(/^SELECT/i);
  });
});
