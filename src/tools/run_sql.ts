import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import type { ToolScope } from '../subagents/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { datasourceFor } from './scope.js';
import { renderTable } from './render.js';

const inputSchema = z.object({
  sql: z.string().describe('One read-only SQL statement (SELECT, WITH ... SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) in the datasource dialect.'),
  max_rows: z.number().int().positive().optional().describe('Rows to return at most; capped by the server limit (limits.max_rows).'),
  datasource: z.string().optional().describe('Datasource name from stratum.yaml; the first one by default.'),
});

const outputSchema = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())),
  rowCount: z.number().int(),
  truncated: z.boolean(),
  elapsedMs: z.number(),
  warning: z.string().optional(),
});

export function registerRunSql(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'run_sql',
    {
      title: 'Run read-only SQL',
      description:
        'Runs ONE read-only SQL statement and returns columns and rows. Writes, DDL, file and network access are refused by the engine. ' +
        'Results are capped in rows, characters and time; when `truncated` is true the warning says how to narrow the query. ' +
        'Big integers and decimals come back as strings so no digit is lost; dates as ISO strings.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'Run read-only SQL' },
    },
    async ({ sql, max_rows, datasource }, ctx) =>
      guarded('run_sql', context.logger, async () => {
        const connector = await context.connector(datasourceFor(scope, datasource));
        await scope?.checkSql(sql, connector);
        const limits = context.limits;
        const result = await connector.execute(sql, {
          maxRows: Math.min(max_rows ?? limits.max_rows, limits.max_rows),
          maxChars: limits.max_chars,
          timeoutMs: limits.timeout_ms,
          signal: ctx.mcpReq.signal,
        });
        const summary = `${result.rowCount} row${result.rowCount === 1 ? '' : 's'}${result.truncated ? ' (truncated)' : ''} in ${result.elapsedMs} ms`;
        const text = [
          renderTable(result.columns.map((column) => column.name), result.rows),
          summary,
          ...(result.warning ? [`Warning: ${result.warning}`] : []),
        ].join('\n');
        return success(result, text);
      }),
  );
}
