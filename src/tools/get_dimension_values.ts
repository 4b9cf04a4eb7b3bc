import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { dimensionValues } from '../generation/index.js';
import { scopedConnector, type ToolScope } from '../subagents/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { chooseVisibleModel } from './scope.js';

const inputSchema = z.object({
  semantic_model: z.string().optional().describe('Model name; the first configured model by default.'),
  dimension: z.string().describe('entity__dimension (or metric_time__month), as in generate_sql group_by.'),
  search: z.string().optional().describe('Case-insensitive substring the values must contain.'),
  limit: z.number().int().positive().max(1000).optional().describe('Values to return at most (default 50).'),
});

const outputSchema = z.object({
  semantic_model: z.string(),
  dimension: z.string(),
  values: z.array(z.unknown()),
  truncated: z.boolean(),
});

export function registerGetDimensionValues(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'get_dimension_values',
    {
      title: 'Dimension values',
      description: 'Lists the distinct values of a semantic-model dimension (optionally containing `search`), so a filter uses the exact spelling.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'Dimension values' },
    },
    async ({ semantic_model, dimension, search, limit }, ctx) =>
      guarded('get_dimension_values', context.logger, async () => {
        const limits = context.limits;
        // Under a scope the model must be in it, and the SQL built for the values is checked like run_sql.
        const model = scope ? (await chooseVisibleModel(context, scope, semantic_model))?.name : semantic_model;
        const connector = async () => (scope ? scopedConnector(await context.connector(scope.datasource()), scope) : context.connector());
        const result = await dimensionValues(
          { semantic: context.semantic, connector },
          { dimension, ...(model ? { semanticModel: model } : {}), ...(search ? { search } : {}), ...(limit ? { limit } : {}) },
          { maxRows: limits.max_rows, maxChars: limits.max_chars, timeoutMs: limits.timeout_ms, signal: ctx.mcpReq.signal },
        );
        const text = `${result.dimension} (${result.semantic_model}): ${result.values.map((value) => JSON.stringify(value)).join(', ')}${result.truncated ? ', ... (more values; narrow with search)' : ''}`;
        return success(result, text);
      }),
  );
}
