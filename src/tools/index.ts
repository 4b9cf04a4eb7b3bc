import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import type { ToolScope } from '../subagents/types.js';
import { registerDescribeTable } from './describe_table.js';
import { registerListTables } from './list_tables.js';
import { registerListSemanticModels } from './list_semantic_models.js';
import { registerLoadSemanticModel } from './load_semantic_model.js';
import { registerRunSql } from './run_sql.js';
import { registerGenerateSql } from './generate_sql.js';
import { registerGetDimensionValues } from './get_dimension_values.js';
import { registerRecordFeedback } from './record_feedback.js';
import { registerSearchTables } from './search_tables.js';

/** Each tool registers itself; a scoped (subagent) server passes its scope, which the tool enforces. */
export type RegisterTool = (server: McpServer, context: AppContext, scope?: ToolScope) => void;

const TOOLS: Record<string, RegisterTool> = {
  list_tables: registerListTables,
  describe_table: registerDescribeTable,
  run_sql: registerRunSql,
  list_semantic_models: registerListSemanticModels,
  load_semantic_model: registerLoadSemanticModel,
  generate_sql: registerGenerateSql,
  get_dimension_values: registerGetDimensionValues,
  record_feedback: registerRecordFeedback,
  search_tables: registerSearchTables,
};

export const TOOL_NAMES = Object.keys(TOOLS);

/** Registers the tools a scope allows (all of them by default). */
export function registerTools(server: McpServer, context: AppContext, allowed: readonly string[] = TOOL_NAMES, scope?: ToolScope): void {
  for (const name of TOOL_NAMES) if (allowed.includes(name)) TOOLS[name]!(server, context, scope);
}
