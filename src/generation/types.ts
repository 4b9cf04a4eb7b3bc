import type { Catalog } from '../catalog/index.js';
import type { Connector } from '../connectors/index.js';
import type { Logger } from '../logger.js';
import type { Knowledge, Provenance, VerifiedQueryStatus } from '../knowledge/index.js';
import type { SearchOptions, SearchResult } from '../search/index.js';
import type { MetricQuery, SemanticModel, SemanticRegistry } from '../semantic/index.js';
import type { GenerationStrategy, ToolScope } from '../subagents/types.js';

export type { GenerationStrategy };

export type GenerationSource = 'semantic_compiler' | 'verified_query' | 'llm' | 'context_only';

/** Which model wrote the SQL: the client's, through MCP sampling, or the configured endpoint. */
export type ModelRoute = 'sampling' | 'endpoint';

/** How the prompt budget was spent, section by section. */
export interface BudgetReport {
  max_length: number;
  used: number;
  sections: BudgetSection[];
}

export interface BudgetSection {
  name: ContextSectionName;
  chars: number;
  /** Items kept (tables, verified queries, rules); absent for single-block sections. */
  kept?: number;
  /** What was left out or shortened to fit, e.g. `table main.x`, `sample_values`. */
  dropped: string[];
}

export type ContextSectionName = 'dialect' | 'semantic_model' | 'linked_tables' | 'join_paths' | 'verified_queries' | 'subagent' | 'question';

/** A model answer that failed a check and went back to the model. */
export interface FailedAttempt {
  attempt: number;
  sql: string | null;
  error: string;
}

/** The verified query whose SQL answered, with how closely its question matched and where it came from. */
export interface VerifiedQueryMatch {
  id: number;
  question: string;
  score: number;
  status?: VerifiedQueryStatus;
  provenance: Provenance | { origin: 'history'; file?: string; line?: number };
}

/** What generate_sql answers (the contract in ../shared/ARCHITECTURE.md, plus the extra fields of issue 7). */
export interface GeneratedSql {
  sql: string | null;
  source: GenerationSource;
  semantic_model?: string;
  /** The datasource planned the SQL (EXPLAIN) without running it. */
  validated: boolean;
  explanation: string;
  columns?: string[];
  strategy?: GenerationStrategy;
  /** The assembled prompt: what the model saw, or what the calling agent should write SQL from. */
  context?: string;
  budget?: BudgetReport;
  /** Model answers it took (llm), including the one that passed. */
  attempts?: number;
  failed_attempts?: FailedAttempt[];
  llm_route?: ModelRoute;
  verified_query?: VerifiedQueryMatch;
  /** `schema.table` names the context describes (linked by search or read from the semantic model). */
  linked_tables?: string[];
}

export interface GenerationRequest extends MetricQuery {
  question?: string;
  semanticModel?: string;
  strategy?: GenerationStrategy;
}

/** One turn of the conversation with the model. */
export interface ModelMessage {
  role: 'user' | 'assistant';
  text: string;
}

/** What a model is asked: the same for MCP sampling and the endpoint. */
export interface ModelRequest {
  system: string;
  messages: ModelMessage[];
  maxTokens: number;
  temperature?: number;
}

/** A model the pipeline can call in-process (the OpenAI-compatible endpoint). */
export interface ChatModel {
  readonly description: string;
  complete(request: ModelRequest, signal?: AbortSignal): Promise<string>;
}

/** The knowledge the pipeline reads (Knowledge implements it). */
export type GenerationKnowledge = Pick<Knowledge, 'findVerifiedQuery' | 'similarQuestions'>;

export interface GenerationSettings {
  /** semantic_models.default_strategy */
  defaultStrategy: GenerationStrategy;
  /** generation.prompt_max_length: the whole context */
  promptMaxLength: number;
  /** semantic_models.prompt_max_length: the specification's share at most */
  specificationMaxLength: number;
  /** llm.max_attempts */
  maxAttempts: number;
  /** limits.timeout_ms, for each EXPLAIN */
  explainTimeoutMs: number;
  temperature?: number;
}

/** What the pipeline needs from the process; the tool builds it from the AppContext. */
export interface GenerationServices {
  semantic: SemanticRegistry;
  connector(): Promise<Connector>;
  /** Everything below is needed for questions only (a metric query compiles without it). */
  datasource?: string;
  catalog?(): Promise<Catalog>;
  search?(question: string, options: SearchOptions): Promise<SearchResult>;
  knowledge?(): Promise<GenerationKnowledge>;
  settings?: GenerationSettings;
  /** The configured OpenAI-compatible endpoint, when there is one. */
  endpoint?: ChatModel;
  /** A subagent's scope: tables, models and SQL are checked against it. */
  scope?: ToolScope;
  signal?: AbortSignal;
  logger?: Logger;
}

/** The state a sampling round carries to the next: what failed so far, bound to the call it belongs to. */
export interface RepairState {
  /** Hash of the request, so a state cannot be replayed into another call. */
  request: string;
  failures: { sql: string | null; error: string }[];
}

/** One step of a sampled generation: done, or a question for the client's model. */
export type GenerationStep = { done: GeneratedSql } | { ask: ModelRequest; state: RepairState };

export type { SemanticModel };
