import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import type { ToolScope } from '../subagents/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { datasourceFor, scopedTableName } from './scope.js';
import { formatCount } from './render.js';

const inputSchema = z.object({
  table: z.string().describe('Table or view as schema.table (a bare table name works when it is unique).'),
  datasource: z.string().optional().describe('Datasource name; the first one by default.'),
});

const outputSchema = z.object({
  datasource: z.string(),
  name: z.string(),
  kind: z.enum(['table', 'view']),
  comment: z.string().optional(),
  row_count: z.number().optional(),
  primary_key: z.array(z.string()),
  foreign_keys: z.array(z.object({ columns: z.array(z.string()), references_table: z.string(), references_columns: z.array(z.string()) })),
  referenced_by: z.array(z.object({ table: z.string(), columns: z.array(z.string()) })),
  columns: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      nullable: z.boolean(),
      comment: z.string().optional(),
      primary_key: z.boolean(),
      references: z.string().optional(),
      samples: z.array(z.unknown()),
    }),
  ),
  definition: z.string().optional(),
});

export function registerDescribeTable(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'describe_table',
    {
      title: 'Describe a table',
      description: 'Columns of one table or view with types, nullability, comments, primary and foreign keys, the tables that reference it, and a few frequent values of text columns.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'Describe a table' },
    },
    async ({ table, datasource }) =>
      guarded('describe_table', context.logger, async () => {
        const catalog = await context.catalog(datasourceFor(scope, datasource));
        const detail = await catalog.describeTable(scope ? await scopedTableName(catalog, scope, table) : table);
        if (scope) detail.referencedBy = detail.referencedBy.filter((reference) => scope.allowsTable(reference.table));
        const structured = {
          datasource: catalog.datasource,
          name: detail.name,
          kind: detail.kind,
          ...(detail.comment ? { comment: detail.comment } : {}),
          ...(detail.rowCount !== undefined ? { row_count: detail.rowCount } : {}),
          primary_key: detail.primaryKey,
          foreign_keys: detail.foreignKeys.map((fk) => ({ columns: fk.columns, references_table: fk.referencesTable, references_columns: fk.referencesColumns })),
          referenced_by: detail.referencedBy,
          columns: detail.columns.map((column) => ({
            name: column.name,
            type: column.type,
            nullable: column.nullable,
            ...(column.comment ? { comment: column.comment } : {}),
            primary_key: column.primaryKey,
            ...(column.references ? { references: column.references } : {}),
            samples: column.samples,
          })),
          ...(detail.definition ? { definition: detail.definition } : {}),
        };
        const lines = detail.columns.map((column) => {
          const notes = [
            column.primaryKey ? 'PK' : undefined,
            column.references ? `-> ${column.references}` : undefined,
            column.nullable ? undefined : 'NOT NULL',
          ].filter(Boolean);
          const samples = column.samples.length ? ` e.g. ${column.samples.map((value) => JSON.stringify(value)).join(', ')}` : '';
          return `- ${column.name} ${column.type}${notes.length ? ` [${notes.join(', ')}]` : ''}${column.comment ? ` — ${column.comment}` : ''}${samples}`;
        });
        const header = `${detail.name} (${detail.kind}, ~${formatCount(detail.rowCount)} rows)${detail.comment ? ` — ${detail.comment}` : ''}`;
        const referencedBy = detail.referencedBy.length ? [`Referenced by: ${detail.referencedBy.map((r) => `${r.table}(${r.columns.join(', ')})`).join('; ')}`] : [];
        return success(structured, [header, ...lines, ...referencedBy].join('\n'));
      }),
  );
}
