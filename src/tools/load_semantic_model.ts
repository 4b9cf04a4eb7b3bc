import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { catalogSamples, modelDetail, renderSpecification, withColumnSamples } from '../semantic/index.js';
import { StratumError } from '../errors.js';
import type { ToolScope } from '../subagents/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { chooseVisibleModel } from './scope.js';

const inputSchema = z.object({
  name: z.string().optional().describe('Model name from list_semantic_models; the first model by default.'),
  path: z.string().optional().describe('A model file or folder inside the configured semantic model folders (when allowed by config).'),
  max_length: z.number().int().min(500).optional().describe('Longest prompt to return, in characters (default semantic_models.prompt_max_length).'),
});

const outputSchema = z.object({
  name: z.string(),
  format: z.enum(['metricflow', 'cortex']),
  path: z.string(),
  description: z.string().optional(),
  tables: z.array(z.object({ name: z.string(), physical_table: z.string(), description: z.string().optional(), primary_key: z.array(z.string()), entities: z.array(z.object({ name: z.string(), type: z.string(), expr: z.string() })), measures: z.array(z.object({ name: z.string(), agg: z.string().optional(), expr: z.string() })) })),
  metrics: z.array(z.object({ name: z.string(), type: z.string(), definition: z.string(), description: z.string().optional() })),
  dimensions: z.array(z.object({ name: z.string(), table: z.string(), kind: z.enum(['categorical', 'time']), expr: z.string(), time_granularity: z.string().optional(), sample_values: z.array(z.string()).optional() })),
  relationships: z.array(z.object({ name: z.string(), left_table: z.string(), right_table: z.string(), columns: z.array(z.object({ left: z.string(), right: z.string() })), join_type: z.string(), relationship_type: z.string() })),
  verified_queries: z.array(z.object({ name: z.string(), question: z.string(), sql: z.string() })),
  problems: z.array(z.string()),
  prompt: z.string(),
  truncated: z.boolean(),
  dropped: z.array(z.string()),
});

export function registerLoadSemanticModel(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'load_semantic_model',
    {
      title: 'Load a semantic model',
      description:
        'Loads one semantic model and returns its tables, metrics (with definitions), dimensions (with time grains and sample values), relationships, verified queries, and `prompt`: a compact Semantic Model Specification to write SQL from. Long models are shortened by dropping detail (reported in `dropped`).',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'Load a semantic model' },
    },
    async ({ name, path, max_length }) =>
      guarded('load_semantic_model', context.logger, async () => {
        if (name && path) throw new StratumError('INVALID_ARGUMENT', 'Pass either `name` or `path`, not both.');
        const registry = context.semantic;
        if (path && scope) throw new StratumError('SCOPE_VIOLATION', `The "${scope.subagent.name}" subagent loads semantic models by name only.`, 'Pass `name` (list_semantic_models shows the models in scope).');
        const model = path ? registry.loadPath(path, context.config.baseDir) : await chooseVisibleModel(context, scope, name);
        if (!model) throw new StratumError('INVALID_ARGUMENT', 'No semantic models are configured.', 'Add MetricFlow or Cortex YAML under semantic_models.paths in stratum.yaml.');
        const warnings = await registry.catalogWarnings(model);
        const catalog = await context.catalog().catch(() => undefined);
        const sampled = catalog ? await withColumnSamples(model, catalogSamples(catalog)) : model;
        const withWarnings = warnings.length ? { ...sampled, problems: [...sampled.problems, ...warnings] } : sampled;
        const specification = renderSpecification(withWarnings, { maxLength: max_length ?? context.config.semantic_models.prompt_max_length });
        const detail = modelDetail(withWarnings);
        const structured = { ...detail, ...specification };
        const header = detail.problems.length ? `${detail.problems.length} problem(s):\n${detail.problems.slice(0, 10).map((p) => `- ${p}`).join('\n')}\n\n` : '';
        const footer = specification.truncated ? `\n\n(Shortened to fit max_length; dropped: ${specification.dropped.join(', ')})` : '';
        return success(structured, `${header}${specification.prompt}${footer}`);
      }),
  );
}
