import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { registerSemanticModelResources } from './semantic_models.js';

export function registerResources(server: McpServer, context: AppContext): void {
  registerSemanticModelResources(server, context);
}
