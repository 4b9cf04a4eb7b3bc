#!/usr/bin/env node
// `npm run demo`: builds a demo workspace (once) and walks a real MCP client over stdio through
// every tool the server has (and a subagent's scoped server), printing what each returns. Run with --fresh to regenerate the data,
// --scale N to change its size.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const args = process.argv.slice(2);
const workspace = join(root, 'demo-workspace');
const configPath = join(workspace, 'stratum.yaml');
const scale = args.includes('--scale') ? args[args.indexOf('--scale') + 1] : '1';

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (title) => console.log(`\n${bold(`== ${title}`)}`);

if (args.includes('--fresh') || !existsSync(configPath)) {
  step(`stratum init demo-workspace --scale ${scale}`);
  const init = spawnSync(process.execPath, [cli, 'init', workspace, '--scale', scale, '--force'], { stdio: 'inherit' });
  if (init.status !== 0) process.exit(init.status ?? 1);
}

step('Client set-up (paste into Claude Desktop)');
spawnSync(process.execPath, [cli, 'mcp-config', '--client', 'claude', '--config', configPath], { stdio: ['ignore', 'inherit', 'ignore'] });

const client = new Client({ name: 'stratum-demo', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'serve', '--config', configPath], stderr: 'ignore' }));
console.log(`connected: ${client.getServerVersion()?.name} ${client.getServerVersion()?.version}, protocol ${client.getNegotiatedProtocolVersion()}`);

step('Server instructions');
console.log(client.getInstructions());

step('tools/list');
for (const tool of (await client.listTools()).tools) console.log(`- ${tool.name}: ${tool.description?.split('. ')[0]?.replace(/\.$/, '')}.`);

async function call(name, toolArgs, { maxLines = 60, on = client } = {}) {
  const shown = JSON.stringify(toolArgs);
  step(`${name} ${shown.length > 240 ? `${shown.slice(0, 240)}...` : shown}`);
  const result = await on.callTool({ name, arguments: toolArgs });
  const lines = result.content.map((part) => part.text).join('\n').split('\n');
  const text = lines.length > maxLines ? `${lines.slice(0, maxLines).join('\n')}\n... (${lines.length - maxLines} more lines)` : lines.join('\n');
  console.log(result.isError ? `(isError) ${text}` : text);
  return result;
}

await call('list_semantic_models', {});
await call('load_semantic_model', { name: 'retail', max_length: 3000 });
await call('list_tables', {});
await call('describe_table', { table: 'main.orders' });
await call('run_sql', {
  sql: `SELECT year(o.order_date) AS year, count(DISTINCT o.order_id) AS orders, sum(oi.line_total) AS revenue
FROM main.orders o JOIN main.order_items oi USING (order_id)
WHERE o.status <> 'cancelled' GROUP BY 1 ORDER BY 1`,
});
await call('run_sql', { sql: 'SELECT * FROM main.order_items', max_rows: 5 });
await call('run_sql', { sql: 'DROP TABLE main.orders' });
await call('run_sql', { sql: "SELECT * FROM read_csv('/etc/passwd')" });
await call('run_sql', { sql: 'SELECT 1; DELETE FROM main.orders' });

// Schema linking: the tables a question needs, with the reasons and the join paths.
await call('search_tables', { query: 'refunds by product category', top_k: 4 }, { maxLines: 30 });

// A metric query compiled into correct SQL (no fan-out), then run.
const compiled = await call('generate_sql', { metrics: ['revenue', 'refund_rate'], group_by: ['metric_time__year', 'order__channel'], order_by: ['metric_time__year', 'order__channel'] }, { maxLines: 25 });
await call('run_sql', { sql: compiled.structuredContent.sql });

// A question with no model at hand: the assembled context comes back for the calling agent.
await call('generate_sql', { question: 'Which product categories had the most refunds last year?' }, { maxLines: 30 });

// The learning loop: an upvoted answer becomes a verified query that a paraphrase gets back.
const verifiedSql = 'SELECT c.category_name, sum(r.refund_amount) AS refunds FROM main.returns r JOIN main.order_items oi ON r.order_item_id = oi.order_item_id JOIN main.products p ON oi.product_id = p.product_id JOIN main.categories c ON p.category_id = c.category_id GROUP BY 1 ORDER BY 2 DESC';
await call('record_feedback', { question: 'Total refunds by product category', sql: verifiedSql, rating: 'up', idempotency_key: 'demo-refunds-by-category-1' });
await call('generate_sql', { question: 'refund totals per category' }, { maxLines: 12 });

// Subagents: a prompt per domain, and a scoped server that enforces its tables.
step('prompts/list');
for (const prompt of (await client.listPrompts()).prompts) console.log(`- ${prompt.name}: ${prompt.description ?? ''}`);
await client.close();
const finance = new Client({ name: 'stratum-demo-finance', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
await finance.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'serve', '--config', configPath, '--subagent', 'finance'], stderr: 'ignore' }));
step('stratum serve --subagent finance: tools/list');
console.log((await finance.listTools()).tools.map((tool) => tool.name).join(', '));
await call('run_sql', { sql: 'SELECT count(*) FROM main.orders' }, { on: finance });
await call('run_sql', { sql: 'WITH orders AS (SELECT * FROM main.customers) SELECT count(*) FROM orders' }, { on: finance });
await finance.close();
console.log(`\nDone. Serve it from any MCP client with:\n  node ${cli} serve --config ${configPath}`);
