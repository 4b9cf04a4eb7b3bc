import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import type { SubagentBundle } from '../subagents/index.js';
import { registerSemanticModelResources } from './semantic_models.js';
import { registerSubagentResources } from './subagents.js';

/**
 * The full server shows every semantic model and subagent; a subagent's server only its own bundle
 * (the semantic models reach it through load_semantic_model, narrowed to its scope).
 */
export function registerResources(server: McpServer, context: AppContext, subagents: readonly SubagentBundle[], scoped = false): void {
  if (!scoped) registerSemanticModelResources(server, context);
  if (subagents.length) registerSubagentResources(server, subagents);
}
