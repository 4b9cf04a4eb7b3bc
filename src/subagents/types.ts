import type { Connector } from '../connectors/index.js';
import type { SemanticProblem, SourceLocation } from '../semantic/index.js';

export type GenerationStrategy = 'auto' | 'schema_linking' | 'semantic_model';

/** What a subagent may see: `subagents/*.yaml` → `scope:`. Omitted lists mean "no narrowing". */
export interface SubagentScopeSpec {
  datasource?: string;
  /** schema.table names or globs (`main.payment*`), case-insensitive. */
  tables?: string[];
  semantic_models?: string[];
  /** Optional narrowing of the models' metrics. */
  metrics?: string[];
}

/** One loaded subagent bundle (the YAML contract in the subagents issue). */
export interface SubagentBundle {
  name: string;
  description?: string;
  instructions?: string;
  rules: string[];
  /** Tool names the scoped server lists; every other tool is absent and cannot be called. */
  tools: string[];
  scope: SubagentScopeSpec;
  examples: { question: string; sql?: string }[];
  defaultStrategy?: GenerationStrategy;
  /** Absolute path of the YAML file. */
  file: string;
}

/**
 * What a scoped server enforces. Every tool's register function receives it; `undefined` is the
 * unscoped (engineer) server. Checks throw StratumError('SCOPE_VIOLATION', ...) naming the table,
 * model or metric that is out of scope.
 */
export interface ToolScope {
  subagent: SubagentBundle;
  /** The datasource a call may use: the scope's own; another requested one is refused. */
  datasource(requested?: string): string;
  allowsTable(qualifiedName: string): boolean;
  allowsModel(name: string): boolean;
  allowsMetric(model: string, metric: string): boolean;
  /** Throws SCOPE_VIOLATION naming the first table the SQL reads outside the scope (engine's own parse). */
  checkSql(sql: string, connector: Connector): Promise<void>;
}

/** A bundle as read from its file, with what is wrong with it and where each value was written. */
export interface LoadedSubagent {
  bundle: SubagentBundle;
  /** Errors make the bundle unservable; warnings do not. */
  problems: SemanticProblem[];
  /** Position of the value at a key path (`['scope', 'tables', 2]`), for file:line problems. */
  locate(path: readonly (string | number)[]): SourceLocation;
}
