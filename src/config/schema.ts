import { z } from 'zod';

/**
 * The whole `stratum.yaml` contract (../shared/ARCHITECTURE.md). Every object is strict so that a
 * typo is reported instead of silently ignored; keys for features that land later are accepted now
 * so a config written for them never breaks.
 */

const duckdbDatasource = z.strictObject({
  type: z.literal('duckdb'),
  path: z.string().min(1).describe('DuckDB database file, or ":memory:"'),
  description: z.string().optional(),
  threads: z.number().int().positive().optional(),
  memory_limit: z.string().optional(),
});

const postgresDatasource = z.strictObject({
  type: z.literal('postgres'),
  url: z.string().optional(),
  host: z.string().optional(),
  port: z.number().int().positive().optional(),
  database: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  ssl: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  schemas: z.array(z.string()).optional(),
  pool_size: z.number().int().positive().optional(),
  description: z.string().optional(),
});

export const datasourceSchema = z.discriminatedUnion('type', [duckdbDatasource, postgresDatasource]);

const limitsSchema = z.strictObject({
  max_rows: z.number().int().positive().default(1000),
  max_chars: z.number().int().positive().default(50_000),
  timeout_ms: z.number().int().positive().default(30_000),
});

const semanticModelsSchema = z.strictObject({
  paths: z.array(z.string()).default(['./semantic_models']),
  refs: z.record(z.string(), z.string()).default({}),
  placeholders: z.record(z.string(), z.string()).default({}),
  default_strategy: z.enum(['auto', 'schema_linking', 'semantic_model']).default('auto'),
  allow_local_path: z.boolean().default(true),
  prompt_max_length: z.number().int().positive().default(14_000),
});

const llmSchema = z.strictObject({
  base_url: z.string().url(),
  model: z.string().min(1),
  api_key: z.string().optional(),
  max_attempts: z.number().int().positive().default(3),
  timeout_ms: z.number().int().positive().default(60_000),
  temperature: z.number().min(0).max(2).optional(),
});

const generationSchema = z.strictObject({
  /** One budget for the whole prompt generate_sql assembles (context_only answers return it). */
  prompt_max_length: z.number().int().min(2_000).default(24_000),
  /** HMAC secret (32+ characters) for MCP sampling rounds; set the same value on every replica of a stateless HTTP deployment. */
  request_state_secret: z.string().min(32).optional(),
});

const embeddingsSchema = z.union([
  z.literal('none'),
  z.strictObject({ provider: z.literal('transformers'), model: z.string().min(1) }),
  z.strictObject({
    provider: z.literal('openai'),
    base_url: z.string().url(),
    model: z.string().min(1),
    api_key: z.string().optional(),
    dimensions: z.number().int().positive().optional(),
  }),
]);

const httpTokenSchema = z.strictObject({
  token: z.string().min(1),
  subagents: z.array(z.string()).optional(),
  name: z.string().optional(),
});

const httpSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(3333),
  allowed_origins: z.array(z.string()).default([]),
  allowed_hosts: z.array(z.string()).optional(),
  tokens: z.array(httpTokenSchema).default([]),
  stateless: z.boolean().default(false),
  max_body_bytes: z.number().int().positive().optional(),
  session_idle_ms: z.number().int().positive().optional(),
  rate_limit_per_minute: z.number().int().positive().optional(),
  shutdown_grace_ms: z.number().int().nonnegative().optional(),
});

export const configSchema = z.strictObject({
  datasources: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a datasource name: letters, digits, _ and -'), datasourceSchema)
    .refine((record) => Object.keys(record).length > 0, 'at least one datasource (the first is the default)'),
  semantic_models: semanticModelsSchema.default(semanticModelsSchema.parse({})),
  knowledge: z
    .strictObject({
      path: z.string().default('./.stratum/knowledge.db'),
      // A PostgreSQL store shared by replicas; `schema` holds its tables (default stratum_knowledge).
      url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
      schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a plain PostgreSQL identifier (lower-case letters, digits, _)').optional(),
    })
    .default({ path: './.stratum/knowledge.db' }),
  subagents: z.strictObject({ paths: z.array(z.string()).default(['./subagents']) }).default({ paths: ['./subagents'] }),
  limits: limitsSchema.default(limitsSchema.parse({})),
  llm: llmSchema.optional(),
  generation: generationSchema.default(generationSchema.parse({})),
  search: z.strictObject({ embeddings: embeddingsSchema.default('none') }).default({ embeddings: 'none' }),
  server: z
    .strictObject({
      name: z.string().optional(),
      http: httpSchema.default(httpSchema.parse({})),
    })
    .default({ http: httpSchema.parse({}) }),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

export type StratumConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type DatasourceConfig = z.output<typeof datasourceSchema>;
export type DuckDBDatasourceConfig = z.output<typeof duckdbDatasource>;
export type PostgresDatasourceConfig = z.output<typeof postgresDatasource>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type LlmConfig = z.output<typeof llmSchema>;
export type GenerationConfig = z.output<typeof generationSchema>;

/** The loaded config: parsed, paths made absolute, plus where it came from. */
export interface StratumConfig extends ParsedConfig {
  /** Absolute path of the config file, or undefined for a config built in code. */
  configPath: string | undefined;
  /** Directory that relative paths were resolved against. */
  baseDir: string;
  /** Name of the first datasource. */
  defaultDatasource: string;
}
