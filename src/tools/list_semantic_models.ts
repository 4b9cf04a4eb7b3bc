import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { modelSummary } from '../semantic/index.js';
import { StratumError } from '../errors.js';
import type { ToolScope } from '../subagents/index.js';
import { READ_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { visibleModels } from './scope.js';

const PAGE_SIZE = 50;

const inputSchema = z.object({
  search: z.string().optional().describe('Case-insensitive filter on model names, descriptions, table and metric names.'),
  cursor: z.string().optional().describe('nextCursor from a previous page.'),
});

const outputSchema = z.object({
  models: z.array(
    z.object({
      name: z.string(),
      format: z.enum(['metricflow', 'cortex']),
      path: z.string(),
      description: z.string().optional(),
      tables: z.number().int(),
      metrics: z.number().int(),
      dimensions: z.number().int(),
      verified_queries: z.number().int(),
      errors: z.array(z.string()).optional(),
      warnings: z.number().int().optional(),
    }),
  ),
  nextCursor: z.string().optional(),
});

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const offset = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw new StratumError('INVALID_ARGUMENT', 'Invalid cursor.', 'Pass the nextCursor of the previous page unchanged, or omit it to start over.');
  return offset;
}

export function registerListSemanticModels(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'list_semantic_models',
    {
      title: 'List semantic models',
      description:
        'Lists the semantic models (MetricFlow and Cortex Analyst YAML) this server knows, with counts of tables, metrics, dimensions and verified queries. Broken models are listed with their errors. Load one with load_semantic_model.',
      inputSchema,
      outputSchema,
      annotations: { ...READ_ONLY_ANNOTATIONS, title: 'List semantic models' },
    },
    async ({ search, cursor }) =>
      guarded('list_semantic_models', context.logger, async () => {
        const offset = decodeCursor(cursor);
        const wanted = search?.toLowerCase();
        const matching = (await visibleModels(context, scope)).filter(
          (model) =>
            !wanted ||
            [model.name, model.description ?? '', ...model.tables.map((t) => t.name), ...model.metrics.map((m) => m.name)].some((text) => text.toLowerCase().includes(wanted)),
        );
        const page = matching.slice(offset, offset + PAGE_SIZE).map(modelSummary);
        const next = offset + PAGE_SIZE < matching.length ? Buffer.from(String(offset + PAGE_SIZE)).toString('base64url') : undefined;
        const lines = page.map(
          (m) =>
            `- ${m.name} (${m.format}): ${m.tables} tables, ${m.metrics} metrics, ${m.dimensions} dimensions, ${m.verified_queries} verified queries${m.description ? ` — ${m.description}` : ''}${m.errors ? `\n  ${m.errors.length} error(s): ${m.errors.slice(0, 3).join('; ')}` : ''}`,
        );
        const text = page.length ? `${matching.length} semantic model(s)${next ? `, showing ${offset + 1}-${offset + page.length}` : ''}:\n${lines.join('\n')}` : 'No semantic models match.';
        return success({ models: page, ...(next ? { nextCursor: next } : {}) }, text);
      }),
  );
}
