#!/usr/bin/env node
// `npm run demo`: builds a demo workspace (once) and walks a real MCP client over stdio through
// every tool the server has, printing what each returns. Run with --fresh to regenerate the data,
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

async function call(name, toolArgs) {
  step(`${name} ${JSON.stringify(toolArgs)}`);
  const result = await client.callTool({ name, arguments: toolArgs });
  const text = result.content.map((part) => part.text).join('\n');
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

await client.close();
console.log(`\nDone. Serve it from any MCP client with:\n  node ${cli} serve --config ${configPath}`);
