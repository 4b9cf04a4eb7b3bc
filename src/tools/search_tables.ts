import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import type { ToolScope } from '../subagents/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { datasourceFor } from './scope.js';

const inputSchema = z.object({
  query: z.string().min(1).describe('The question or the words to look for, e.g. "revenue by customer state last quarter".'),
  top_k: z.number().int().min(1).max(50).optional().describe('Tables to return (default 8).'),
  datasource: z.string().optional().describe('Datasource name; the first one by default.'),
});

const outputSchema = z.object({
  datasource: z.string(),
  tables: z.array(
    z.object({
      name: z.string(),
      score: z.number(),
      description: z.string().optional(),
      columns: z.array(z.object({ name: z.string(), type: z.string(), description: z.string().optional(), matched: z.boolean() })),
      reasons: z.array(z.string()),
    }),
  ),
  join_paths: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      steps: z.array(z.object({ left: z.string(), right: z.string(), on: z.string(), source: z.enum(['foreign_key', 'semantic', 'inferred']) })),
    }),
  ),
});

export function registerSearchTables(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'search_tables',
    {
      title: 'Find the tables a question needs',
      description:
        'Ranks the tables (and their columns) a question needs, from names, comments, semantic-model synonyms, column values and known questions, ' +
        'and gives the join paths between them. Use it before writing SQL; then describe_table for full detail. Matched columns come first.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'Find the tables a question needs' },
    },
    async ({ query, top_k, datasource }, ctx) =>
      guarded('search_tables', context.logger, async () => {
        const name = context.datasourceName(datasourceFor(scope, datasource));
        const progressToken = ctx.mcpReq._meta?.progressToken;
        const onProgress =
          progressToken === undefined
            ? undefined
            : (done: number, total: number, message: string) =>
                void ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress: done, total, message } }).catch(() => undefined);
        const result = await context.search(name).search(query, { ...(top_k ? { topK: top_k } : {}), ...(onProgress ? { onProgress } : {}), ...(scope ? { filter: scope.allowsTable } : {}) });
        // Under a scope a join path may not pass through a table outside it.
        const joinPaths = scope ? result.joinPaths.filter((path) => path.steps.every((step) => scope.allowsTable(step.left) && scope.allowsTable(step.right))) : result.joinPaths;
        const structured = { datasource: name, tables: result.tables, join_paths: joinPaths };
        const lines = result.tables.map((table, rank) => {
          const matched = table.columns.filter((column) => column.matched).map((column) => column.name);
          const why = table.reasons.slice(0, 3).join('; ');
          return `${rank + 1}. ${table.name} (${table.score})${table.description ? ` — ${table.description}` : ''}${matched.length ? `\n   columns: ${matched.join(', ')}` : ''}${why ? `\n   why: ${why}` : ''}`;
        });
        const joins = joinPaths.map((path) => `- ${path.steps.map((step) => step.on).join(' -> ')}`);
        const text = result.tables.length
          ? [`Tables for "${query}" in ${name}:`, ...lines, ...(joins.length ? ['Joins:', ...joins] : [])].join('\n')
          : `No table matches "${query}" in ${name}. Try other words, or list_tables to browse.`;
        return success(structured, text);
      }),
  );
}
