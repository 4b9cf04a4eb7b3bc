import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import type { ToolScope } from '../subagents/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { datasourceFor } from './scope.js';
import { formatCount } from './render.js';

const inputSchema = z.object({
  datasource: z.string().optional().describe('Datasource name; the first one by default.'),
  schema: z.string().optional().describe('Only tables of this schema.'),
  search: z.string().optional().describe('Case-insensitive filter on table names, comments and column names.'),
  refresh: z.boolean().optional().describe('Re-read the catalog from the database (after schema changes).'),
});

const outputSchema = z.object({
  datasource: z.string(),
  tables: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['table', 'view']),
      comment: z.string().optional(),
      row_count: z.number().optional(),
      column_count: z.number().int(),
    }),
  ),
});

export function registerListTables(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'list_tables',
    {
      title: 'List tables',
      description: 'Lists the tables and views of a datasource as schema.table, with their comment, approximate row count and column count. Use describe_table next for columns.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'List tables' },
    },
    async ({ datasource, schema, search, refresh }) =>
      guarded('list_tables', context.logger, async () => {
        const catalog = await context.catalog(datasourceFor(scope, datasource));
        const tables = (await catalog.listTables({ schema, search, refresh })).filter((table) => !scope || scope.allowsTable(table.name));
        const structured = {
          datasource: catalog.datasource,
          tables: tables.map((table) => ({
            name: table.name,
            kind: table.kind,
            ...(table.comment ? { comment: table.comment } : {}),
            ...(table.rowCount !== undefined ? { row_count: table.rowCount } : {}),
            column_count: table.columnCount,
          })),
        };
        const lines = tables.map(
          (table) => `- ${table.name}${table.kind === 'view' ? ' (view)' : ''}: ~${formatCount(table.rowCount)} rows, ${table.columnCount} columns${table.comment ? ` — ${table.comment}` : ''}`,
        );
        const text = tables.length
          ? `${tables.length} table${tables.length === 1 ? '' : 's'} in ${catalog.datasource}:\n${lines.join('\n')}`
          : `No tables match in ${catalog.datasource}.`;
        return success(structured, text);
      }),
  );
}
