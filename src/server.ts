import { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from './context.js';
import { registerTools } from './tools/index.js';
import { registerResources } from './resources/index.js';
import { registerSubagentPrompts } from './prompts/subagents.js';
import { subagentInstructions } from './subagents/index.js';
import { VERSION } from './version.js';

export const SERVER_INSTRUCTIONS = `Stratum gives you governed, read-only access to the user's data.
Work in this order:
0. For business questions (revenue, orders, refunds...), list_semantic_models then load_semantic_model: its prompt defines the metrics, dimensions, joins and verified SQL; prefer them over guessing. When the question is about defined metrics, call generate_sql with metrics/group_by/where (get_dimension_values gives exact filter values) and run the SQL it returns: it is correct by construction. For any other question, call generate_sql with "question": it reuses verified SQL or writes checked SQL, or returns "context" (semantic model, tables, similar SQL) for you to write from.
1. list_tables to see what exists (schema.table names, comments, approximate sizes).
2. describe_table on the tables that look relevant: columns, types, keys, the tables that reference it, and sample values of text columns (use them for exact filter literals).
3. run_sql with ONE read-only SELECT. Prefer aggregates and LIMIT over raw rows; join on the declared keys; if a result says truncated, narrow the query as its warning suggests instead of asking for more rows.
4. When the user says an answer was right or wrong, record_feedback with the question, the SQL and rating up/down (corrected_sql when known): later, similar questions reuse it.
Errors come back as tool results that say what was wrong and how to fix the call; fix and retry rather than guessing table or column names.`;

/**
 * Builds one MCP server over the shared AppContext. Called once per connection (and protocol era).
 * With a subagent it is that subagent's scoped server: only its tools, each enforcing its scope,
 * and only its own prompt and resource.
 */
export function createServer(context: AppContext, subagent?: string): McpServer {
  const scope = subagent === undefined ? undefined : context.toolScope(subagent);
  const bundles = scope ? [scope.subagent] : context.subagents.list();
  const name = context.config.server.name ?? 'stratum';
  const server = new McpServer(
    { name: scope ? `${name}-${scope.subagent.name}` : name, version: VERSION },
    {
      capabilities: { tools: {}, resources: {}, completions: {}, logging: {}, ...(bundles.length ? { prompts: {} } : {}) },
      instructions: scope ? subagentInstructions(scope.subagent, scope.datasource()) : SERVER_INSTRUCTIONS,
    },
  );
  registerTools(server, context, scope?.subagent.tools, scope);
  registerResources(server, context, bundles, scope !== undefined);
  registerSubagentPrompts(server, context, bundles);
  return server;
}
