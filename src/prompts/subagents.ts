import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { renderSpecification } from '../semantic/index.js';
import { renderSubagentPrompt, type SubagentBundle, type SubagentPromptContext, type ToolScope } from '../subagents/index.js';
import { visibleModels } from '../tools/scope.js';

const argsSchema = z.object({
  question: z.string().optional().describe('The question to answer; added after the briefing when given.'),
});

/** What a subagent's prompt shows: its tables resolved against the catalog and its scoped semantic specifications. */
export async function subagentPromptContext(context: AppContext, scope: ToolScope, question?: string): Promise<SubagentPromptContext> {
  const datasource = scope.datasource();
  const catalog = await context.catalog(datasource).catch(() => undefined);
  const tables = catalog ? (await catalog.listTables().catch(() => [])).map((table) => table.name).filter(scope.allowsTable) : [];
  const maxLength = context.config.semantic_models.prompt_max_length;
  const specifications = (await visibleModels(context, scope)).map((model) => ({
    model: model.name,
    metrics: model.metrics.map((metric) => metric.name),
    prompt: renderSpecification(model, { maxLength }).prompt,
  }));
  return { datasource, tables, specifications, ...(question ? { question } : {}) };
}

/** One prompt per subagent (a scoped server lists only its own), with an optional `question`. */
export function registerSubagentPrompts(server: McpServer, context: AppContext, bundles: readonly SubagentBundle[]): void {
  for (const bundle of bundles) {
    server.registerPrompt(
      bundle.name,
      { title: `${bundle.name} assistant`, description: bundle.description ?? `The ${bundle.name} subagent's briefing.`, argsSchema },
      async ({ question }) => {
        const scope = context.toolScope(bundle.name);
        const messages = renderSubagentPrompt(bundle, await subagentPromptContext(context, scope, question));
        return { description: bundle.description ?? `The ${bundle.name} subagent`, messages };
      },
    );
  }
}
