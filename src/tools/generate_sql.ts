import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { generateSql, generateSqlStep, type GeneratedSql, type GenerationRequest, type GenerationServices } from '../generation/index.js';
import type { ToolScope } from '../subagents/types.js';
import { askClientModel, clientCanSample, samplingRound } from './sampling.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';

const groupByItem = z.union([
  z.string(),
  z.object({ name: z.string(), grain: z.string().optional(), date_part: z.string().optional() }),
]);

const inputSchema = z.object({
  question: z.string().max(4_000).optional().describe('The question in words. Answered from a verified query when one matches, else written by a model (MCP sampling or the configured endpoint) and checked; without a model the assembled context comes back for you to write from.'),
  metrics: z.array(z.string()).optional().describe('Metric names from load_semantic_model, e.g. ["revenue"]. Empty with group_by lists dimension values. A metric query is compiled, never guessed.'),
  group_by: z.array(groupByItem).optional().describe('entity__dimension, metric_time__month, dim__extract_dow, multi-hop a__b__dim.'),
  where: z.array(z.string()).optional().describe("Filters: {{ Dimension('customer__region') }} = 'EU', {{ TimeDimension('metric_time', 'month') }}, or plain SQL over the same names."),
  order_by: z.array(z.string()).optional().describe('Output names; prefix - for descending, e.g. ["-revenue"].'),
  limit: z.number().int().min(0).optional(),
  start_time: z.string().optional().describe('Inclusive lower bound on metric_time, e.g. 2024-01-01.'),
  end_time: z.string().optional().describe('Inclusive upper bound on metric_time.'),
  saved_query: z.string().optional().describe('Run a saved query of the model (the other fields override it).'),
  semantic_model: z.string().optional().describe('Model name; for a question, the one covering the linked tables by default.'),
  strategy: z.enum(['auto', 'schema_linking', 'semantic_model']).optional().describe('For a question: semantic_model (the model only; fails when it cannot be read), schema_linking (searched tables and live metadata only), auto (the model when it can be read, plus linked tables; default).'),
  datasource: z.string().optional(),
});

const provenanceSchema = z.object({ origin: z.string(), feedbackId: z.string().optional(), semanticModel: z.string().optional(), file: z.string().optional(), line: z.number().optional(), name: z.string().optional() });

const outputSchema = z.object({
  sql: z.string().nullable(),
  source: z.enum(['semantic_compiler', 'verified_query', 'llm', 'context_only']),
  semantic_model: z.string().optional(),
  validated: z.boolean(),
  explanation: z.string(),
  columns: z.array(z.string()).optional(),
  strategy: z.enum(['auto', 'schema_linking', 'semantic_model']).optional(),
  context: z.string().optional(),
  budget: z
    .object({
      max_length: z.number(),
      used: z.number(),
      sections: z.array(z.object({ name: z.string(), chars: z.number(), kept: z.number().optional(), dropped: z.array(z.string()) })),
    })
    .optional(),
  attempts: z.number().int().optional(),
  failed_attempts: z.array(z.object({ attempt: z.number().int(), sql: z.string().nullable(), error: z.string() })).optional(),
  llm_route: z.enum(['sampling', 'endpoint']).optional(),
  verified_query: z.object({ id: z.number(), question: z.string(), score: z.number(), status: z.string().optional(), provenance: provenanceSchema }).optional(),
  linked_tables: z.array(z.string()).optional(),
});

export type GenerateSqlInput = z.infer<typeof inputSchema>;

export function registerGenerateSql(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'generate_sql',
    {
      title: 'Generate SQL',
      description:
        'Turns a question or a metric query into SQL without running it. A metric query (metrics, group_by, where...) is compiled over the semantic model (fan-out safe joins, time grains). ' +
        'A question reuses a verified query when one matches, else a model writes the SQL from the semantic model, linked tables, similar verified SQL and rules, and it is checked (read-only guard, EXPLAIN) and repaired; ' +
        'with no model available the answer is `source: "context_only"` with `context` to write the SQL from. `validated` is true when the datasource planned the SQL. Run it with run_sql.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'Generate SQL' },
    },
    async (input, ctx) =>
      guarded('generate_sql', context.logger, async () => {
        const services = generationServices(context, input, scope, ctx.mcpReq.signal);
        const request = generationRequest(input);
        let result: GeneratedSql;
        if (input.question && clientCanSample(server, ctx)) {
          const step = await generateSqlStep(services, request, await samplingRound(context, ctx));
          if ('ask' in step) return askClientModel(context, ctx, step.ask, step.state);
          result = step.done;
        } else {
          result = await generateSql(services, request);
        }
        return success(result, render(result));
      }),
  );
}

export function generationServices(context: AppContext, input: GenerateSqlInput, scope: ToolScope | undefined, signal: AbortSignal): GenerationServices {
  const datasource = context.datasourceName(scope ? scope.datasource(input.datasource) : input.datasource);
  const { semantic_models: semantic, generation, llm, limits } = context.config;
  const endpoint = context.chatModel;
  return {
    semantic: context.semantic,
    connector: () => context.connector(datasource),
    datasource,
    catalog: () => context.catalog(datasource),
    search: (question, options) => context.search(datasource).search(question, options),
    knowledge: () => context.knowledge(),
    settings: {
      defaultStrategy: semantic.default_strategy,
      promptMaxLength: generation.prompt_max_length,
      specificationMaxLength: semantic.prompt_max_length,
      maxAttempts: llm?.max_attempts ?? 3,
      explainTimeoutMs: limits.timeout_ms,
      ...(llm?.temperature !== undefined ? { temperature: llm.temperature } : {}),
    },
    ...(endpoint ? { endpoint } : {}),
    ...(scope ? { scope } : {}),
    signal,
    logger: context.logger,
  };
}

export function generationRequest(input: GenerateSqlInput): GenerationRequest {
  return {
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
    ...(input.strategy ? { strategy: input.strategy } : {}),
  };
}

/** SQL first with the explanation as comments; a context-only answer carries the context, since many clients show the model only the text. */
function render(result: GeneratedSql): string {
  const comments = (text: string) => text.split('\n').map((line) => `-- ${line}`).join('\n');
  const facts = [`source: ${result.source}`, result.semantic_model ? `model: ${result.semantic_model}` : '', result.strategy ? `strategy: ${result.strategy}` : '', `validated: ${result.validated}`, result.attempts ? `attempts: ${result.attempts}` : ''].filter(Boolean).join('; ');
  if (result.sql === null) return `${comments(`${facts}\n${result.explanation}`)}\n\n${result.context ?? ''}`;
  return `${result.sql}\n\n${comments(`${facts}\n${result.explanation}`)}`;
}
