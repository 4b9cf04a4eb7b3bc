import type { Connector } from '../connectors/index.js';
import { StratumError } from '../errors.js';
import { DIALECTS, compileMetricQuery, type SqlDialect, type MetricQuery, type SemanticModel, type SemanticRegistry } from '../semantic/index.js';
import { narrowModel, type ToolScope } from '../subagents/index.js';
import type { GeneratedSql, GenerationServices } from './types.js';

/**
 * The semantic model a request names, or the first one; under a subagent's scope only the models it
 * allows (another is refused by name). A clear error when there is none.
 */
export function chooseModel(registry: SemanticRegistry, name: string | undefined, scope?: ToolScope): SemanticModel {
  const allowed = registry.list().filter((model) => !scope || scope.allowsModel(model.name));
  if (name) {
    refuseModelOutsideScope(name, scope, allowed);
    return registry.get(name);
  }
  const model = allowed[0];
  if (!model) {
    throw new StratumError(
      'INVALID_ARGUMENT',
      scope ? `Subagent "${scope.subagent.name}" has no semantic model in scope.` : 'No semantic models are configured, so metrics cannot be compiled.',
      scope ? 'Write SQL over the tables in scope instead (search_tables, run_sql).' : 'Add MetricFlow or Cortex YAML under semantic_models.paths in stratum.yaml, or write SQL yourself and call run_sql.',
    );
  }
  return model;
}

/** SCOPE_VIOLATION for a model the scope does not allow, naming the ones it does. */
export function refuseModelOutsideScope(name: string, scope: ToolScope | undefined, allowed: readonly SemanticModel[]): void {
  if (!scope || scope.allowsModel(name)) return;
  throw new StratumError('SCOPE_VIOLATION', `Semantic model "${name}" is outside the scope of subagent "${scope.subagent.name}".`, `Models in scope: ${allowed.map((model) => model.name).join(', ') || 'none'}.`);
}

/** The compiler dialect for a datasource's engine. */
export function dialectOf(connector: Connector): SqlDialect {
  return DIALECTS[connector.dialect as keyof typeof DIALECTS] ?? DIALECTS.duckdb;
}

export function hasMetricQuery(request: MetricQuery): boolean {
  return Boolean(request.metrics?.length || request.groupBy?.length || request.savedQuery);
}

/** Step 1: a structured metric query, compiled by the semantic compiler and planned by the datasource. */
export async function compileStep(services: GenerationServices, request: MetricQuery & { semanticModel?: string }): Promise<GeneratedSql> {
  const connector = await services.connector();
  const model = scopedModel(services, request, connector);
  const compiled = compileMetricQuery(model, request, { dialect: dialectOf(connector) });
  // A subagent's compiled SQL keeps to its tables, as run_sql would require.
  if (services.scope) await services.scope.checkSql(compiled.sql, connector);
  let validated = false;
  let note = '';
  try {
    await connector.explain(compiled.sql);
    validated = true;
  } catch (error) {
    note = `\nThe datasource could not plan this SQL: ${error instanceof StratumError ? error.message : String(error)}`;
  }
  return { sql: compiled.sql, source: 'semantic_compiler', semantic_model: model.name, validated, explanation: `${compiled.explanation}${note}`, columns: compiled.columns };
}

/**
 * The model a metric query compiles over: under a subagent's scope, only a model and metrics the
 * scope allows (refused by name otherwise), narrowed to the tables in scope.
 */
function scopedModel(services: GenerationServices, request: MetricQuery & { semanticModel?: string }, connector: Connector): SemanticModel {
  const scope = services.scope;
  const model = chooseModel(services.semantic, request.semanticModel, scope);
  if (!scope) return model;
  const outside = (request.metrics ?? []).filter((metric) => !scope.allowsMetric(model.name, metric));
  if (outside.length) throw new StratumError('SCOPE_VIOLATION', `Metric ${outside.map((metric) => `"${metric}"`).join(', ')} is outside the scope of subagent "${scope.subagent.name}".`, `Metrics in scope: ${model.metrics.filter((metric) => scope.allowsMetric(model.name, metric.name)).map((metric) => metric.name).join(', ') || 'none'}.`);
  return narrowModel(model, scope, connector.dialect === 'postgres' ? 'public' : 'main');
}

export interface DimensionValuesRequest {
  semanticModel?: string;
  dimension: string;
  search?: string;
  limit?: number;
}

export interface DimensionValues {
  semantic_model: string;
  dimension: string;
  values: unknown[];
  truncated: boolean;
}

/** The distinct values of one dimension (optionally containing `search`), through the compiler. */
export async function dimensionValues(services: GenerationServices, request: DimensionValuesRequest, options: { maxRows: number; maxChars: number; timeoutMs: number; signal?: AbortSignal }): Promise<DimensionValues> {
  const model = chooseModel(services.semantic, request.semanticModel);
  const limit = Math.min(request.limit ?? 50, options.maxRows);
  const connector = await services.connector();
  const dialect = dialectOf(connector);
  const name = request.dimension.trim();
  const where = request.search ? [`CAST(${name} AS VARCHAR) ILIKE '%${request.search.replaceAll("'", "''").replace(/[%_\\]/g, (char) => `\\${char}`)}%' ESCAPE '\\'`] : [];
  const compiled = compileMetricQuery(model, { groupBy: [name], where, orderBy: [name], limit: limit + 1 }, { dialect });
  const result = await connector.execute(compiled.sql, { maxRows: limit + 1, maxChars: options.maxChars, timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  const values = result.rows.map((row) => row[0]);
  return { semantic_model: model.name, dimension: compiled.columns[0]!, values: values.slice(0, limit), truncated: values.length > limit || result.truncated };
}
