export type * from './types.js';
export { loadSubagents, loadSubagentFile, subagentFiles } from './loader.js';
export { SubagentRegistry } from './registry.js';
export { checkReferences, checkAgainstCatalog, type SubagentEnvironment } from './validate.js';
export { createToolScope, scopedConnector, tableMatcher, resolveTable, type ScopeServices } from './scope.js';
export { narrowModel, scopedModels } from './models.js';
export { renderSubagentPrompt, scopeSummary, subagentInstructions, type SubagentPromptContext, type SubagentPromptMessage } from './prompt.js';
export { scaffoldSubagent, type ScaffoldOptions } from './scaffold.js';
