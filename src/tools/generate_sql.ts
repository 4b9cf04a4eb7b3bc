import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { generateSql } from '../generation/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';

const groupByItem = z.union([
  z.string(),
  z.object({ name: z.string(), grain: z.string().optional(), date_part: z.string().optional() }),
]);

const inputSchema = z.object({
  question: z.string().optional().describe('The question in words (answered from metrics in this version: give `metrics` too).'),
  metrics: z.array(z.string()).optional().describe('Metric names from load_semantic_model, e.g. ["revenue"]. Empty with group_by lists dimension values.'),
  group_by: z.array(groupByItem).optional().describe('entity__dimension, metric_time__month, dim__extract_dow, multi-hop a__b__dim.'),
  where: z.array(z.string()).optional().describe("Filters: {{ Dimension('customer__region') }} = 'EU', {{ TimeDimension('metric_time', 'month') }}, or plain SQL over the same names."),
  order_by: z.array(z.string()).optional().describe('Output names; prefix - for descending, e.g. ["-revenue"].'),
  limit: z.number().int().min(0).optional(),
  start_time: z.string().optional().describe('Inclusive lower bound on metric_time, e.g. 2024-01-01.'),
  end_time: z.string().optional().describe('Inclusive upper bound on metric_time.'),
  saved_query: z.string().optional().describe('Run a saved query of the model (the other fields override it).'),
  semantic_model: z.string().optional().describe('Model name; the first configured model by default.'),
  strategy: z.enum(['auto', 'schema_linking', 'semantic_model']).optional(),
  datasource: z.string().optional(),
});

const outputSchema = z.object({
  sql: z.string().nullable(),
  source: z.enum(['semantic_compiler', 'verified_query', 'llm', 'context_only']),
  semantic_model: z.string().optional(),
  validated: z.boolean(),
  explanation: z.string(),
  columns: z.array(z.string()).optional(),
  context: z.string().optional(),
});

export function registerGenerateSql(server: McpServer, context: AppContext): void {
  server.registerTool(
    'generate_sql',
    {
      title: 'Generate SQL',
      description:
        'Compiles a metric query over a semantic model into correct SQL (fan-out safe joins, time grains, ratio/derived/cumulative metrics) without running it. ' +
        '`validated` is true when the datasource planned the SQL. Run the SQL with run_sql.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'Generate SQL' },
    },
    async (input) =>
      guarded('generate_sql', context.logger, async () => {
        const result = await generateSql(
          { semantic: context.semantic, connector: () => context.connector(input.datasource) },
          {
            ...(input.question ? { question: input.question } : {}),
            ...(input.metrics ? { metrics: input.metrics } : {}),
            ...(input.group_by ? { groupBy: input.group_by.map((item) => (typeof item === 'string' ? item : { name: item.name, ...(item.grain ? { grain: item.grain } : {}), ...(item.date_part ? { datePart: item.date_part } : {}) })) } : {}),
            ...(input.where ? { where: input.where } : {}),
            ...(input.order_by ? { orderBy: input.order_by } : {}),
            ...(input.limit !== undefined ? { limit: input.limit } : {}),
            ...(input.start_time ? { startTime: input.start_time } : {}),
            ...(input.end_time ? { endTime: input.end_time } : {}),
            ...(input.saved_query ? { savedQuery: input.saved_query } : {}),
            ...(input.semantic_model ? { semanticModel: input.semantic_model } : {}),
          },
        );
        const text = `${result.sql ?? ''}\n\n-- source: ${result.source}; model: ${result.semantic_model}; validated: ${result.validated}\n${result.explanation.split('\n').map((line) => `-- ${line}`).join('\n')}`;
        return success(result, text);
      }),
  );
}
