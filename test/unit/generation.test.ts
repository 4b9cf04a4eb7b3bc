import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config/index.js';
import { AppContext } from '../../src/context.js';
import { StratumError } from '../../src/errors.js';
import { OpenAIChatModel, extractSql, generateSql, generateSqlStep, type GenerationServices } from '../../src/generation/index.js';
import { createLogger } from '../../src/logger.js';
import type { Connector } from '../../src/connectors/index.js';
import type { SubagentBundle, ToolScope } from '../../src/subagents/types.js';
import { generationRequest, generationServices, type GenerateSqlInput } from '../../src/tools/generate_sql.js';
import { askClientModel, samplingRound } from '../../src/tools/sampling.js';
import { createShopDatabase, sha256, tempDir } from '../helpers/fixture.js';
import { startOpenAIServer, type OpenAITestServer } from '../helpers/openai-server.js';

const GOOD = 'SELECT c.state, sum(o.amount) AS revenue FROM main.orders o JOIN main.customers c ON c.customer_id = o.customer_id GROUP BY 1 ORDER BY 2 DESC';
const fence = (sql: string) => `Here you go:\n\`\`\`sql\n${sql}\n\`\`\``;

let dir: string;
let databasePath: string;
let llm: OpenAITestServer;
let context: AppContext;
let executed: string[];
let explained: string[];

/** The real connector, recording what reached execute and explain (execute must never see model SQL). */
function recording(connector: Connector): Connector {
  return new Proxy(connector, {
    get(target, property, receiver) {
      if (property === 'execute') return (sql: string, options: never) => (executed.push(sql), target.execute(sql, options));
      if (property === 'explain') return (sql: string, options?: never) => (explained.push(sql), target.explain(sql, options));
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function services(input: GenerateSqlInput, options: { endpoint?: boolean; scope?: ToolScope; maxAttempts?: number } = {}): GenerationServices {
  const base = generationServices(context, input, options.scope, new AbortController().signal);
  const { endpoint, ...rest } = base;
  return {
    ...rest,
    connector: async () => recording(await base.connector()),
    settings: { ...base.settings!, maxAttempts: options.maxAttempts ?? 3 },
    ...(options.endpoint !== false && endpoint ? { endpoint } : {}),
  };
}

const ask = (input: GenerateSqlInput, options?: Parameters<typeof services>[1]) => generateSql(services(input, options), generationRequest(input));

beforeAll(async () => {
  dir = tempDir();
  ({ databasePath } = await createShopDatabase(dir));
  llm = await startOpenAIServer();
  const config = configFromObject(
    {
      datasources: { shop: { type: 'duckdb', path: databasePath } },
      semantic_models: { paths: [join(dir, 'no-models')] },
      knowledge: { path: join(dir, 'knowledge.db') },
      llm: { base_url: llm.url, model: 'test-model', api_key: 'sk-test', timeout_ms: 10_000 },
      generation: { prompt_max_length: 6_000 },
    },
    dir,
  );
  context = new AppContext(config, createLogger('silent'));
});

afterAll(async () => {
  await context?.close();
  await llm?.close();
});

function resetRecords() {
  executed = [];
  explained = [];
  llm.requests.length = 0;
}

describe('extracting SQL from a model answer', () => {
  it('takes the sql fence, then any fence, then tags, JSON, then the first statement line', () => {
    expect(extractSql('Sure.\n```sql\nSELECT 1;\n```\nDone.')).toBe('SELECT 1');
    expect(extractSql('```\nSELECT 2\n```')).toBe('SELECT 2');
    expect(extractSql('```python\nprint(1)\n```\n```sql\nSELECT 3\n```')).toBe('SELECT 3');
    expect(extractSql('<sql>SELECT 4</sql>')).toBe('SELECT 4');
    expect(extractSql('{"sql": "SELECT 5"}')).toBe('SELECT 5');
    expect(extractSql('The query is:\nWITH a AS (SELECT 6) SELECT * FROM a;')).toBe('WITH a AS (SELECT 6) SELECT * FROM a');
    expect(extractSql('DELETE FROM orders')).toBe('DELETE FROM orders');
    expect(extractSql('I cannot answer that.')).toBeUndefined();
    expect(extractSql('```sql\n```')).toBeUndefined();
  });
});

describe('the OpenAI-compatible endpoint client', () => {
  const model = (timeout = 10_000) => new OpenAIChatModel({ base_url: llm.url, model: 'test-model', api_key: 'sk-test', timeout_ms: timeout, temperature: 0 });
  const request = { system: 'sys', messages: [{ role: 'user' as const, text: 'hi' }], maxTokens: 50 };
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(StratumError);
    return error as StratumError;
  };

  it('posts the chat and returns the answer text, with the key as a bearer token', async () => {
    resetRecords();
    llm.script([{ content: 'SELECT 1' }]);
    expect(await model().complete(request)).toBe('SELECT 1');
    expect(llm.requests[0]!.authorization).toBe('Bearer sk-test');
    expect(llm.requests[0]!.body).toEqual({ model: 'test-model', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }], max_tokens: 50, temperature: 0 });
  });

  it('turns HTTP errors, timeouts, malformed answers and a dead endpoint into errors that name the setting', async () => {
    llm.script([{ status: 401, body: '{"error":{"message":"Incorrect API key provided"}}' }]);
    const unauthorised = await failure(model().complete(request));
    expect([unauthorised.code, unauthorised.message]).toEqual(['LLM_ERROR', `The model endpoint (test-model at ${new URL(llm.url).origin}) answered HTTP 401: Incorrect API key provided.`]);
    expect(unauthorised.hint).toMatch(/llm\.api_key/);
    llm.script([{ status: 503, body: 'upstream down' }]);
    expect((await failure(model().complete(request))).message).toMatch(/answered HTTP 503: upstream down\.$/);
    llm.script([{ content: 'late', delayMs: 2_000 }]);
    const late = await failure(model(300).complete(request));
    expect([late.code, late.message]).toEqual(['LLM_TIMEOUT', `The model endpoint (test-model at ${new URL(llm.url).origin}) did not answer within 300 ms (llm.timeout_ms).`]);
    llm.script([{ status: 200, body: '<html>proxy login</html>' }]);
    expect((await failure(model().complete(request))).message).toMatch(/sent a malformed answer: not JSON \("<html>proxy login<\/html>"\)\.$/);
    llm.script([{ status: 200, body: '{"choices":[]}' }]);
    expect((await failure(model().complete(request))).message).toMatch(/malformed answer: no choices\.$/);
    const dead = new OpenAIChatModel({ base_url: 'http://127.0.0.1:9/v1', model: 'm', timeout_ms: 2_000 });
    const unreachable = await failure(dead.complete(request));
    expect(unreachable.message).toMatch(/^Cannot reach the model endpoint http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions: /);
    expect(unreachable.hint).toMatch(/llm\.base_url/);
  });
});

describe('generate_sql from a question', () => {
  it('writes SQL through the endpoint from a prompt with every section, and plans it without running it', async () => {
    resetRecords();
    llm.script([{ content: fence(GOOD) }]);
    const result = await ask({ question: 'total order amount by customer state' });
    expect(result).toMatchObject({ sql: GOOD, source: 'llm', validated: true, attempts: 1, llm_route: 'endpoint', strategy: 'auto' });
    expect(result.explanation).toMatch(/^Written by test-model at .* in 1 attempt; it passed the read-only guard and the datasource planned it \(EXPLAIN\)/);
    expect(result.explanation).toContain('Strategy auto fell back to schema linking: No semantic models are configured.');
    const [system, user] = llm.requests[0]!.body.messages;
    expect(system!.content).toMatch(/^You write SQL for a DuckDB database\. Answer with exactly one read-only query/);
    const prompt = user!.content;
    const headings = [...prompt.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['Dialect: DuckDB (datasource shop)', 'Tables (live metadata: columns, keys, comments, sample values)', 'Join paths between the linked tables', 'Question']);
    expect(prompt).toContain("date_trunc('month', d)");
    expect(prompt).toContain('### main.orders (table, ~5,000 rows) — One row per order');
    expect(prompt).toContain('- customer_id INTEGER, -> main.customers.customer_id');
    expect(prompt).toContain('- amount DECIMAL(12,2) — Order total in USD');
    expect(prompt).toContain("- state VARCHAR — US state of the billing address, e.g. 'Texas', 'California'");
    expect(prompt).toContain('main.orders -> main.customers: main.orders.customer_id = main.customers.customer_id');
    expect(prompt).toMatch(/## Question\ntotal order amount by customer state\n\nWrite the SQL that answers the question\.$/);
    expect(result.linked_tables).toContain('main.orders');
    expect(result.budget!.used).toBeLessThanOrEqual(6_000);
    expect(result.budget!.sections.map((s) => s.name)).toEqual(['dialect', 'linked_tables', 'join_paths', 'question']);
    expect(explained).toEqual([GOOD]);
    expect(executed).toEqual([]);
  });

  it('sends a failing answer back with its EXPLAIN error and returns the repaired SQL', async () => {
    resetRecords();
    llm.script([{ content: fence('SELECT stat, sum(amount) FROM main.orders GROUP BY 1') }, { content: fence(GOOD) }]);
    const result = await ask({ question: 'order amount by state' });
    expect(result).toMatchObject({ sql: GOOD, source: 'llm', validated: true, attempts: 2 });
    expect(result.failed_attempts).toHaveLength(1);
    expect(result.failed_attempts![0]).toMatchObject({ attempt: 1, sql: 'SELECT stat, sum(amount) FROM main.orders GROUP BY 1' });
    expect(result.failed_attempts![0]!.error).toMatch(/^SQL_ERROR: Binder Error: Referenced column "stat" not found/);
    expect(llm.requests).toHaveLength(2);
    const second = llm.requests[1]!.body.messages;
    expect(second.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second[1]!.content).toBe(llm.requests[0]!.body.messages[1]!.content);
    expect(second[2]!.content).toBe('```sql\nSELECT stat, sum(amount) FROM main.orders GROUP BY 1\n```');
    expect(second[3]!.content).toMatch(/^That failed: SQL_ERROR: Binder Error: Referenced column "stat" not found[\s\S]*Fix it and answer again with the whole corrected query in one ```sql block\.$/);
    expect(executed).toEqual([]);
  });

  it('never executes a non-read statement from the model, and gives the context back when the attempts run out', async () => {
    resetRecords();
    const before = sha256(databasePath);
    llm.script([{ content: fence('DELETE FROM main.orders') }, { content: 'DROP TABLE main.customers;' }]);
    const result = await ask({ question: 'remove all orders' }, { maxAttempts: 2 });
    expect(result).toMatchObject({ sql: null, source: 'context_only', validated: false, attempts: 2, llm_route: 'endpoint' });
    expect(result.failed_attempts!.map((a) => [a.sql, a.error.split('\n')[0]])).toEqual([
      ['DELETE FROM main.orders', 'SQL_NOT_READ_ONLY: Only read-only queries are allowed; this statement is a DELETE.'],
      ['DROP TABLE main.customers', 'SQL_NOT_READ_ONLY: Only read-only queries are allowed; this statement is a DROP.'],
    ]);
    expect(result.explanation).toMatch(/^test-model at .* did not produce SQL that passes the checks in 2 attempts \(llm\.max_attempts; last error: SQL_NOT_READ_ONLY/);
    expect(result.context).toMatch(/^## Dialect: DuckDB/);
    expect(executed).toEqual([]);
    expect(sha256(databasePath)).toBe(before);
  });

  it('asks again when an answer holds no SQL', async () => {
    resetRecords();
    llm.script([{ content: 'I would need more information.' }, { content: fence('SELECT count(*) FROM main.orders') }]);
    const result = await ask({ question: 'how many orders' });
    expect(result).toMatchObject({ source: 'llm', attempts: 2, failed_attempts: [{ attempt: 1, sql: null, error: 'The answer held no SQL. Answer with the query in one ```sql fenced block.' }] });
    expect(llm.requests[1]!.body.messages[2]!.content).toBe('(no SQL in the answer)');
  });

  it('makes endpoint errors tool errors', async () => {
    llm.script([{ status: 429, body: '{"error":{"message":"Rate limit reached"}}' }]);
    await expect(ask({ question: 'how many orders' })).rejects.toMatchObject({ code: 'LLM_ERROR', message: expect.stringMatching(/answered HTTP 429: Rate limit reached\.$/) });
  });

  it('returns the context when no model is available', async () => {
    resetRecords();
    const result = await ask({ question: 'how many cancelled orders per customer segment' }, { endpoint: false });
    expect(result).toMatchObject({ sql: null, source: 'context_only', validated: false, strategy: 'auto' });
    expect(result.attempts).toBeUndefined();
    expect(result.explanation).toMatch(/^No model is available to write SQL: the client does not offer MCP sampling and no `llm` endpoint is configured\. Write one read-only SELECT from `context`/);
    expect(result.context).toContain('### main.customers');
    expect(result.context).toContain("- segment VARCHAR, e.g. 'consumer', 'corporate'");
    expect(result.context).toMatch(/## Question\nhow many cancelled orders per customer segment$/);
    expect(llm.requests).toEqual([]);
  });

  it('fails early for strategy semantic_model when no model can be read; schema_linking needs none', async () => {
    await expect(ask({ question: 'how many orders', strategy: 'semantic_model' }, { endpoint: false })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'No semantic models are configured.',
      hint: 'Add MetricFlow or Cortex YAML under semantic_models.paths, or use strategy "schema_linking".',
    });
    const linked = await ask({ question: 'how many orders', strategy: 'schema_linking' }, { endpoint: false });
    expect(linked.strategy).toBe('schema_linking');
    expect(linked.explanation).not.toContain('fell back');
  });

  it('spends the budget by priority and reports what it left out', async () => {
    const small = new AppContext(configFromObject({ datasources: { shop: { type: 'duckdb', path: databasePath } }, semantic_models: { paths: [join(dir, 'no-models')] }, knowledge: { path: join(dir, 'k2.db') }, generation: { prompt_max_length: 2_000 } }, dir), createLogger('silent'));
    try {
      const result = await generateSql(generationServices(small, { question: 'wide text payload and order amounts' }, undefined, new AbortController().signal), { question: 'wide text payload and order amounts' });
      expect(result.context!.length).toBeLessThanOrEqual(2_000);
      expect(result.budget!.used).toBe(result.context!.length);
      const tables = result.budget!.sections.find((s) => s.name === 'linked_tables')!;
      expect(tables.dropped.length).toBeGreaterThan(0);
      expect(result.explanation).toContain('left out to fit: linked_tables: ');
      expect(result.context).toMatch(/## Question\nwide text payload and order amounts$/);
    } finally {
      await small.close();
    }
  });
});

describe('verified queries answer first', () => {
  it('reuses a recorded pair whose question closely matches, with its score and provenance', async () => {
    resetRecords();
    const knowledge = await context.knowledge();
    const recorded = await knowledge.recordFeedback({ question: 'How many orders were cancelled?', sql: "SELECT count(*) FROM main.orders WHERE status = 'cancelled'", rating: 'up' });
    const result = await ask({ question: 'how many orders were cancelled' });
    expect(result).toMatchObject({ sql: "SELECT count(*) FROM main.orders WHERE status = 'cancelled'", source: 'verified_query', validated: true });
    expect(result.verified_query).toMatchObject({ id: recorded.verifiedQueryId, question: 'How many orders were cancelled?', status: 'candidate', provenance: { origin: 'feedback', feedbackId: recorded.id } });
    expect(result.verified_query!.score).toBeGreaterThanOrEqual(0.6);
    expect(result.explanation).toMatch(/^Reused the candidate query for "How many orders were cancelled\?" \(match 1\.00, from feedback /);
    expect(llm.requests).toEqual([]);
    expect(executed).toEqual([]);
  });

  it('shows similar verified SQL in the prompt when none matches closely', async () => {
    resetRecords();
    llm.script([{ content: fence('SELECT count(*) FROM main.orders') }]);
    await ask({ question: 'how many orders were completed per state' });
    const prompt = llm.requests[0]!.body.messages[1]!.content;
    expect(prompt).toContain("## Similar questions with known-correct SQL (reuse their tables, joins and filters)\nQ: How many orders were cancelled? (verified query, match ");
    expect(prompt).toContain("```sql\nSELECT count(*) FROM main.orders WHERE status = 'cancelled'\n```");
  });
});

describe('a subagent scope', () => {
  const bundle: SubagentBundle = {
    name: 'orders_only',
    description: 'Order questions',
    instructions: 'Answer questions about orders only.',
    rules: ['Amounts are in USD.', 'Never show customer names.'],
    tools: ['generate_sql'],
    scope: { tables: ['main.orders'] },
    examples: [{ question: 'Orders per status', sql: 'SELECT status, count(*) FROM main.orders GROUP BY 1' }],
    defaultStrategy: 'schema_linking',
    file: '/dev/null',
  };
  const scope: ToolScope = {
    subagent: bundle,
    datasource: (requested) => requested,
    allowsTable: (name) => name.toLowerCase() === 'main.orders',
    allowsModel: () => false,
    allowsMetric: () => false,
    async checkSql(sql, connector) {
      const outside = (await connector.referencedTables(sql)).find((table) => table.toLowerCase() !== 'main.orders');
      if (outside) throw new StratumError('SCOPE_VIOLATION', `Table ${outside} is outside the scope of subagent orders_only.`, 'Use main.orders only.');
    },
  };

  it('puts its rules in the prompt, links only tables in scope, and repairs SQL that reads outside it', async () => {
    resetRecords();
    llm.script([{ content: fence(GOOD) }, { content: fence('SELECT status, sum(amount) FROM main.orders GROUP BY 1') }]);
    const result = await ask({ question: 'order amount by customer state' }, { scope });
    expect(result).toMatchObject({ sql: 'SELECT status, sum(amount) FROM main.orders GROUP BY 1', source: 'llm', attempts: 2, strategy: 'schema_linking', linked_tables: ['main.orders'] });
    expect(result.failed_attempts![0]!.error).toBe('SCOPE_VIOLATION: Table main.customers is outside the scope of subagent orders_only.\nHint: Use main.orders only.');
    const prompt = llm.requests[0]!.body.messages[1]!.content;
    expect(prompt).toContain('## Subagent orders_only: instructions and rules (follow them)\nOrder questions\nAnswer questions about orders only.\n- Rule: Amounts are in USD.\n- Rule: Never show customer names.');
    expect(prompt).toContain('Q: Orders per status (subagent example)\n```sql\nSELECT status, count(*) FROM main.orders GROUP BY 1\n```');
    expect(prompt).not.toContain('### main.customers');
    expect(llm.requests[1]!.body.messages[3]!.content).toMatch(/^That failed: SCOPE_VIOLATION: Table main\.customers is outside/);
  });

  it('does not reuse a verified query that reads outside the scope', async () => {
    resetRecords();
    const knowledge = await context.knowledge();
    await knowledge.recordFeedback({ question: 'Which states do customers live in?', sql: 'SELECT DISTINCT state FROM main.customers', rating: 'up' });
    llm.script([{ content: fence('SELECT count(*) FROM main.orders') }]);
    const result = await ask({ question: 'which states do customers live in' }, { scope });
    expect(result.source).toBe('llm');
    expect(result.explanation).toContain('The closest verified query ("Which states do customers live in?", match 1.00) was not reused: SCOPE_VIOLATION: Table main.customers is outside the scope of subagent orders_only.');
  });
});

describe('the sampled pipeline, step by step', () => {
  it('asks, then resumes with the answer and the failures so far, bound to its own call', async () => {
    const input = { question: 'order count by status' };
    const first = await generateSqlStep(services(input, { endpoint: false }), generationRequest(input));
    if (!('ask' in first)) throw new Error('expected a question for the model');
    expect(first.state.failures).toEqual([]);
    const second = await generateSqlStep(services(input, { endpoint: false }), generationRequest(input), { state: first.state, answer: 'SELECT nope FROM main.orders' });
    if (!('ask' in second)) throw new Error('expected a second question');
    expect(second.state.failures[0]!.error).toMatch(/^SQL_ERROR: Binder Error: Referenced column "nope" not found/);
    expect(second.ask.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    const done = await generateSqlStep(services(input, { endpoint: false }), generationRequest(input), { state: second.state, answer: fence('SELECT status, count(*) FROM main.orders GROUP BY 1') });
    expect('done' in done && done.done).toMatchObject({ source: 'llm', llm_route: 'sampling', attempts: 2, validated: true });
    const other = { question: 'something else' };
    await expect(generateSqlStep(services(other, { endpoint: false }), generationRequest(other), { state: first.state, answer: 'SELECT 1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'The sampling state belongs to another generate_sql call.' });
  });
});


describe('the sampling state a client carries between rounds', () => {
  const ctx = (state: string | undefined, responses?: Record<string, unknown>) => ({ mcpReq: { method: 'tools/call', requestState: () => state, inputResponses: responses } }) as never;
  const answer = { sql: { role: 'assistant', model: 'm', content: { type: 'text', text: 'SELECT 1' } } };
  const request = { system: 's', messages: [{ role: 'user' as const, text: 'q' }], maxTokens: 10 };

  it('round-trips sealed, and refuses a state that was altered or minted by another process', async () => {
    expect(await samplingRound(context, ctx(undefined))).toBeUndefined();
    const asked = await askClientModel(context, ctx(undefined), request, { request: 'abc', failures: [] });
    expect(asked.inputRequests!.sql).toMatchObject({ method: 'sampling/createMessage', params: { systemPrompt: 's', maxTokens: 10, includeContext: 'none', messages: [{ role: 'user', content: { type: 'text', text: 'q' } }] } });
    expect(await samplingRound(context, ctx(asked.requestState, answer))).toEqual({ state: { request: 'abc', failures: [] }, answer: 'SELECT 1' });
    const [version, payload, mac] = asked.requestState!.split('.');
    const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { p: { failures: unknown[] } };
    decoded.p.failures = Array.from({ length: 9 }, () => ({ sql: null, error: 'forged' }));
    const forged = [version, Buffer.from(JSON.stringify(decoded)).toString('base64url'), mac].join('.');
    const refused = { code: 'INVALID_ARGUMENT', message: 'The sampling round carried a missing, altered or expired state.' };
    await expect(samplingRound(context, ctx(forged, answer))).rejects.toMatchObject(refused);
    const other = new AppContext(context.config, createLogger('silent'));
    await expect(samplingRound(other, ctx(asked.requestState, answer))).rejects.toMatchObject(refused);
    await expect(samplingRound(context, ctx(asked.requestState, {}))).rejects.toMatchObject({ message: 'The client answered the sampling request with no model message.' });
  });
});
