import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, startV1Client, startV2Client } from '../helpers/clients.js';
import { tempDir } from '../helpers/fixture.js';
import { connectV1Sse, connectV2Http, rawRequest, spawnHttpServer, type SpawnedHttpServer } from '../helpers/http.js';
import { SALES_SUBAGENT, createSubagentWorkspace } from '../helpers/subagents.js';

type ToolResult = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

const SUPPORT_SUBAGENT = `name: support
description: Customer lookups for the support desk
tools: [list_tables, run_sql]
scope:
  tables: [main.customers]
`;
const BROKEN_SUBAGENT = `name: broken
description: Lists a tool that does not exist
tools: [run_sql, drop_tables]
scope:
  tables: [main.orders]
`;

const SALES_BRIEFING = `You are the "sales" data assistant: Order volumes and amounts for the sales team

## Instructions
You answer questions about orders and their amounts.

## Rules
1. Cancelled orders never count as sales.

## Scope
- Datasource: shop
- Tables: main.orders, main.completed_* (main.completed_orders, main.orders)
- Semantic models: none
- Tools: list_tables, describe_table, run_sql, search_tables, record_feedback
- The server refuses any call outside this scope (a SCOPE_VIOLATION error names what was out of scope).

## Examples
### How many completed orders are there?
\`\`\`sql
SELECT count(*) AS orders FROM main.completed_orders
\`\`\``;

const SALES_PROMPT = { name: 'sales', title: 'sales assistant', description: 'Order volumes and amounts for the sales team', arguments: [{ name: 'question', description: 'The question to answer; added after the briefing when given.', required: false }] };
const SUPPORT_PROMPT = { name: 'support', title: 'support assistant', description: 'Customer lookups for the support desk', arguments: [{ name: 'question', description: 'The question to answer; added after the briefing when given.', required: false }] };

let dir: string;
let configPath: string;

beforeAll(async () => {
  dir = tempDir();
  ({ configPath } = await createSubagentWorkspace(dir, { support: SUPPORT_SUBAGENT, broken: BROKEN_SUBAGENT }));
});

describe('subagent prompts over stdio', () => {
  it('lists one prompt per servable subagent and renders the bundle (v2 client, full server)', async () => {
    const { client, close } = await startV2Client(configPath);
    try {
      expect(client.getServerCapabilities()?.prompts).toEqual({ listChanged: true });
      expect((await client.listPrompts()).prompts).toEqual([SALES_PROMPT, SUPPORT_PROMPT]);
      const prompt = await client.getPrompt({ name: 'sales', arguments: { question: 'How many orders were cancelled?' } });
      expect(prompt.description).toBe('Order volumes and amounts for the sales team');
      expect(prompt.messages).toEqual([
        { role: 'user', content: { type: 'text', text: SALES_BRIEFING } },
        { role: 'user', content: { type: 'text', text: 'How many orders were cancelled?' } },
      ]);
    } finally {
      await close();
    }
  });

  it('serves the same prompt to the v1 client, without a question', async () => {
    const { client, close } = await startV1Client(configPath);
    try {
      expect((await client.listPrompts()).prompts).toEqual([SALES_PROMPT, SUPPORT_PROMPT]);
      const prompt = await client.getPrompt({ name: 'sales' });
      expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: SALES_BRIEFING } }]);
    } finally {
      await close();
    }
  });

  it('serves only its own prompt and resource on a scoped server (v1 client)', async () => {
    const { client, close } = await startV1Client(configPath, undefined, { args: ['--subagent', 'sales'] });
    try {
      expect(client.getServerVersion()?.name).toBe('stratum-sales');
      expect(client.getInstructions()).toContain('Stratum serves the "sales" subagent: Order volumes and amounts for the sales team.');
      expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(['sales']);
      expect((await client.listResources()).resources.map((resource) => resource.uri)).toEqual(['stratum://subagents/sales']);
      const resource = await client.readResource({ uri: 'stratum://subagents/sales' });
      expect(resource.contents[0]).toEqual({ uri: 'stratum://subagents/sales', mimeType: 'application/yaml', text: SALES_SUBAGENT });
      expect(JSON.parse((resource.contents[1] as { text: string }).text)).toEqual({
        name: 'sales',
        description: 'Order volumes and amounts for the sales team',
        instructions: 'You answer questions about orders and their amounts.',
        rules: ['Cancelled orders never count as sales.'],
        tools: ['list_tables', 'describe_table', 'run_sql', 'search_tables', 'record_feedback'],
        scope: { datasource: 'shop', tables: ['main.orders', 'main.completed_*'] },
        examples: [{ question: 'How many completed orders are there?', sql: 'SELECT count(*) AS orders FROM main.completed_orders' }],
      });
      const refused = (await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT * FROM customers' } })) as ToolResult;
      expect(refused.content[0]!.text.split('\n')[0]).toBe('Error [SCOPE_VIOLATION]: The query reads table main.customers, which is outside the "sales" subagent\'s scope.');
    } finally {
      await close();
    }
  });

  it('lists every subagent as a resource on the full server', async () => {
    const { client, close } = await startV2Client(configPath, 'legacy');
    try {
      const uris = (await client.listResources()).resources.map((resource) => resource.uri);
      expect(uris).toEqual(['stratum://subagents/sales', 'stratum://subagents/support']);
    } finally {
      await close();
    }
  });

  it('refuses to serve an unknown or invalid subagent, with exit code 2', () => {
    const unknown = spawnSync(process.execPath, [CLI, 'serve', '--config', configPath, '--subagent', 'sale'], { encoding: 'utf8', input: '' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('stratum: Unknown subagent "sale". Did you mean "sales"?\nHint: Subagents: broken, sales, support (stratum subagent list).\n');
    const broken = spawnSync(process.execPath, [CLI, 'serve', '--config', configPath, '--subagent', 'broken'], { encoding: 'utf8', input: '' });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toBe(
      `stratum: Subagent "broken" has 1 error(s):\n  ${join(dir, 'subagents', 'broken.yaml')}:3:18: error: Unknown tool "drop_tables". ` +
        '(Known tools: list_tables, describe_table, run_sql, list_semantic_models, load_semantic_model, generate_sql, get_dimension_values, record_feedback, search_tables.)\n' +
        'Hint: Fix them (stratum subagent validate lists every problem).\n',
    );
  });
});

describe('subagents over HTTP', () => {
  let server: SpawnedHttpServer;

  beforeAll(async () => {
    server = await spawnHttpServer(configPath);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the scoped server at /mcp/{name} to the v2 client', async () => {
    const client = await connectV2Http(`${server.url}/mcp/sales`);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['describe_table', 'list_tables', 'record_feedback', 'run_sql', 'search_tables']);
      expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(['sales']);
      const allowed = (await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) AS n FROM orders' } })) as ToolResult;
      expect(allowed.structuredContent?.rows).toEqual([[5000]]);
      const refused = (await client.callTool({ name: 'run_sql', arguments: { sql: 'WITH orders AS (SELECT * FROM customers) SELECT * FROM orders' } })) as ToolResult;
      expect(refused.content[0]!.text.split('\n')[0]).toBe('Error [SCOPE_VIOLATION]: The query reads table main.customers, which is outside the "sales" subagent\'s scope.');
    } finally {
      await client.close();
    }
  });

  it('serves the scoped server at /sse/{name} to the v1 client', async () => {
    const client = await connectV1Sse(`${server.url}/sse/support`);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['list_tables', 'run_sql']);
      const refused = (await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) FROM orders' } })) as ToolResult;
      expect(refused.content[0]!.text.split('\n')[0]).toBe('Error [SCOPE_VIOLATION]: The query reads table main.orders, which is outside the "support" subagent\'s scope.');
      const allowed = (await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) AS n FROM customers' } })) as ToolResult;
      expect(allowed.structuredContent?.rows).toEqual([[100]]);
    } finally {
      await client.close();
    }
  });

  it('keeps the unscoped server at /mcp and answers an invalid subagent with 404', async () => {
    const client = await connectV2Http(`${server.url}/mcp`);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('generate_sql');
      expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(['sales', 'support']);
    } finally {
      await client.close();
    }
    const response = await rawRequest(`${server.url}/mcp/broken`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(404);
    expect(response.body).toContain('No subagent \\"broken\\" is served here.');
  });

  it('serves only the subagent at /mcp with serve --http --subagent', async () => {
    const scoped = await spawnHttpServer(configPath, ['--subagent', 'support']);
    try {
      const client = await connectV2Http(`${scoped.url}/mcp`);
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['list_tables', 'run_sql']);
      await client.close();
    } finally {
      await scoped.stop();
    }
  });
});

describe('the demo finance subagent', () => {
  let demo: string;
  beforeAll(() => {
    demo = join(tempDir(), 'demo');
    const run = spawnSync(process.execPath, [CLI, 'init', demo, '--scale', '0.01'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
  }, 60_000);

  it('hides verified queries that read tables outside the scope', async () => {
    writeFileSync(
      join(demo, 'subagents', 'merchandising.yaml'),
      'name: merchandising\ndescription: Products and revenue\ntools: [list_semantic_models, load_semantic_model]\nscope:\n  semantic_models: [retail_cortex]\n  tables: [main.orders, main.order_items, main.products, main.categories, main.returns]\n',
    );
    const { client, close } = await startV2Client(join(demo, 'stratum.yaml'), 'modern', undefined, { args: ['--subagent', 'merchandising'] });
    try {
      const listed = (await client.callTool({ name: 'list_semantic_models', arguments: {} })) as ToolResult;
      expect((listed.structuredContent?.models as { name: string; verified_queries: number }[]).map((model) => [model.name, model.verified_queries])).toEqual([['retail_cortex', 3]]);
      const model = (await client.callTool({ name: 'load_semantic_model', arguments: { name: 'retail_cortex' } })) as ToolResult;
      expect((model.structuredContent?.verified_queries as { name: string }[]).map((query) => query.name)).toEqual(['monthly_revenue_2025', 'top_products_by_revenue_2024', 'refund_rate_by_department']);
      expect((model.structuredContent?.tables as { name: string }[]).map((table) => table.name)).toEqual(['orders', 'order_items', 'products', 'categories', 'returns']);
      const other = (await client.callTool({ name: 'load_semantic_model', arguments: { name: 'retail' } })) as ToolResult;
      expect(other.content[0]!.text).toBe('Error [SCOPE_VIOLATION]: Semantic model "retail" is outside the "merchandising" subagent\'s scope.\nHint: Models in scope: retail_cortex.');
    } finally {
      await close();
      rmSync(join(demo, 'subagents', 'merchandising.yaml'));
    }
  });

  it('validates clean', () => {
    const run = spawnSync(process.execPath, [CLI, 'subagent', 'validate', '--config', join(demo, 'stratum.yaml')], { encoding: 'utf8', cwd: demo });
    expect(run.stdout).toBe('ok   finance subagents/finance.yaml\n1 subagent(s), 0 error(s), 0 warning(s)\n');
    expect(run.status).toBe(0);
  });

  it('runs every example inside its scope, narrows the retail model and refuses customer data', async () => {
    const { client, close } = await startV2Client(join(demo, 'stratum.yaml'), 'modern', undefined, { args: ['--subagent', 'finance'] });
    try {
      const bundle = readFileSync(join(demo, 'subagents', 'finance.yaml'), 'utf8');
      expect(bundle).toContain('name: finance');
      const prompt = await client.getPrompt({ name: 'finance' });
      const text = (prompt.messages[0]!.content as { text: string }).text;
      expect(text).toContain('- Semantic models: retail (metrics: revenue, refund_rate)');
      expect(text).toContain('## Semantic model "retail"');
      expect(text).not.toContain('### customers (physical table main.customers)');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['generate_sql', 'load_semantic_model', 'record_feedback', 'run_sql', 'search_tables']);
      const model = (await client.callTool({ name: 'load_semantic_model', arguments: {} })) as ToolResult;
      expect((model.structuredContent?.metrics as { name: string }[]).map((metric) => metric.name)).toEqual(['revenue', 'refund_rate']);
      expect((model.structuredContent?.tables as { name: string }[]).map((table) => table.name)).toEqual(['orders', 'order_items', 'products', 'categories', 'payments', 'returns']);
      const examples = [...text.matchAll(/```sql\n([\s\S]*?)\n```/g)].map((match) => match[1]!);
      expect(examples.length).toBe(3);
      for (const sql of examples) {
        const result = (await client.callTool({ name: 'run_sql', arguments: { sql } })) as ToolResult;
        expect(result.isError ?? false).toBe(false);
        expect(result.structuredContent?.rowCount).toBeGreaterThan(0);
      }
      const refused = (await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT count(*) FROM customers' } })) as ToolResult;
      expect(refused.content[0]!.text.split('\n')[0]).toBe('Error [SCOPE_VIOLATION]: The query reads table main.customers, which is outside the "finance" subagent\'s scope.');

      // generate_sql compiles only scoped metrics over the scoped tables, and the SQL runs in scope.
      const compiled = (await client.callTool({ name: 'generate_sql', arguments: { metrics: ['revenue'], group_by: ['metric_time__year'] } })) as ToolResult;
      expect(compiled.isError ?? false).toBe(false);
      expect(compiled.structuredContent).toMatchObject({ source: 'semantic_compiler', semantic_model: 'retail', validated: true, columns: ['metric_time__year', 'revenue'] });
      const ran = (await client.callTool({ name: 'run_sql', arguments: { sql: compiled.structuredContent!.sql } })) as ToolResult;
      expect(ran.structuredContent?.rowCount).toBeGreaterThan(0);
      const metric = (await client.callTool({ name: 'generate_sql', arguments: { metrics: ['order_count'] } })) as ToolResult;
      expect(metric.isError).toBe(true);
      expect(metric.content[0]!.text.split('\n')[0]).toBe('Error [SCOPE_VIOLATION]: Metric "order_count" is outside the scope of subagent "finance".');
      const joined = (await client.callTool({ name: 'generate_sql', arguments: { metrics: ['revenue'], group_by: ['customer__region'] } })) as ToolResult;
      expect(joined.isError).toBe(true);
      expect(joined.content[0]!.text.split('\n')[0]).toContain('customer__region');
    } finally {
      await close();
    }
  });
});

describe('stratum subagent add|list|show|validate', () => {
  const stratum = (args: string[], cwd: string) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });

  it('scaffolds a commented bundle that validates, and refuses to overwrite it', async () => {
    const workspace = tempDir();
    const { configPath: config } = await createSubagentWorkspace(workspace);
    const added = stratum(['subagent', 'add', 'marketing', '--config', config], workspace);
    expect(added.status).toBe(0);
    const file = join(workspace, 'subagents', 'marketing.yaml');
    expect(added.stdout).toBe(`${file}\nNext: narrow scope.tables, then stratum subagent validate --config ${config}\n`);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# Tools the scoped server lists; every other tool is absent and cannot be called.\ntools: [list_tables, describe_table, run_sql, list_semantic_models, load_semantic_model, generate_sql, get_dimension_values, record_feedback, search_tables]\n');
    expect(text).toContain('scope:\n  datasource: shop\n  # schema.table names or globs (* is any run of characters), case-insensitive. Narrow this list.\n  tables: ["main.*"]\n');
    const again = stratum(['subagent', 'add', 'marketing', '--config', config], workspace);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`stratum: Subagent "marketing" already exists in ${file}.\nHint: Edit that file, or pick another name.\n`);
    const validated = stratum(['subagent', 'validate', '--config', config], workspace);
    expect(validated.stdout).toBe('ok   marketing subagents/marketing.yaml\nok   sales subagents/sales.yaml\n2 subagent(s), 0 error(s), 0 warning(s)\n');
    expect(validated.status).toBe(0);
  });

  it('lists every bundle with its scope, marking those not served', () => {
    const listed = stratum(['subagent', 'list', '--config', configPath], dir);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toBe(
      [
        'broken [1 error(s): not served] — Lists a tool that does not exist',
        '  tools: run_sql, drop_tables',
        '  scope: datasource shop; tables main.orders; semantic models all',
        '  file: subagents/broken.yaml',
        'sales — Order volumes and amounts for the sales team',
        '  tools: list_tables, describe_table, run_sql, search_tables, record_feedback',
        '  scope: datasource shop; tables main.orders, main.completed_*; semantic models all',
        '  file: subagents/sales.yaml',
        'support — Customer lookups for the support desk',
        '  tools: list_tables, run_sql',
        '  scope: datasource shop; tables main.customers; semantic models all',
        '  file: subagents/support.yaml',
        '',
      ].join('\n'),
    );
  });

  it('prints the prompt with show, and fails validate with file:line errors', () => {
    const shown = stratum(['subagent', 'show', 'sales', '--config', configPath], dir);
    expect(shown.stdout).toBe(`${SALES_BRIEFING}\n`);
    const validated = stratum(['subagent', 'validate', '--config', configPath], dir);
    expect(validated.status).toBe(1);
    expect(validated.stdout.split('\n').slice(0, 2)).toEqual([
      'FAIL broken subagents/broken.yaml',
      '  subagents/broken.yaml:3:18: error: Unknown tool "drop_tables". (Known tools: list_tables, describe_table, run_sql, list_semantic_models, load_semantic_model, generate_sql, get_dimension_values, record_feedback, search_tables.)',
    ]);
    expect(validated.stdout.split('\n').slice(-2)).toEqual(['3 subagent(s), 1 error(s), 0 warning(s)', '']);
  });
});
