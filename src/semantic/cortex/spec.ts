import type { Aggregation, Relationship, TimeGranularity } from '../ir.js';

/**
 * The Snowflake Cortex Analyst semantic model specification as data: the keys each object may
 * have (Snowflake's semantic_model.proto plus the documented YAML additions: facts, table and
 * model-level metrics, access_modifier, is_enum, cortex_search_service, module_custom_instructions).
 */
const NAMED = ['name', 'synonyms', 'description'] as const;

export const CORTEX_KEYS = {
  model: ['name', 'description', 'tables', 'relationships', 'metrics', 'filters', 'verified_queries', 'custom_instructions', 'module_custom_instructions'],
  moduleCustomInstructions: ['sql_generation', 'question_categorization'],
  table: [...NAMED, 'base_table', 'primary_key', 'foreign_keys', 'dimensions', 'time_dimensions', 'facts', 'measures', 'metrics', 'filters', 'columns'],
  baseTable: ['database', 'schema', 'table'],
  primaryKey: ['columns'],
  foreignKey: ['fkey_columns', 'pkey_table', 'pkey_columns'],
  dimension: [...NAMED, 'expr', 'data_type', 'unique', 'sample_values', 'is_enum', 'cortex_search_service', 'cortex_search_service_name'],
  timeDimension: [...NAMED, 'expr', 'data_type', 'unique', 'sample_values'],
  fact: [...NAMED, 'expr', 'data_type', 'default_aggregation', 'sample_values', 'access_modifier'],
  /** The legacy single `columns:` list, each with a `kind`. */
  column: [...NAMED, 'expr', 'data_type', 'kind', 'unique', 'default_aggregation', 'sample_values', 'index_and_retrieve_values', 'retrieved_literals', 'cortex_search_service', 'cortex_search_service_name', 'is_enum'],
  cortexSearchService: ['database', 'schema', 'service', 'literal_column'],
  metric: [...NAMED, 'expr', 'filter', 'access_modifier'],
  metricFilter: ['expr'],
  filter: [...NAMED, 'expr'],
  relationship: ['name', 'left_table', 'right_table', 'expr', 'relationship_columns', 'join_type', 'relationship_type'],
  relationshipColumn: ['left_column', 'right_column'],
  verifiedQuery: ['name', 'semantic_model_name', 'question', 'sql', 'verified_at', 'verified_by', 'use_as_onboarding_question'],
} as const satisfies Record<string, readonly string[]>;

/** Top-level keys that mark a MetricFlow file (`metrics:` is shared by both formats, so it is not one). */
export const METRICFLOW_KEYS = ['semantic_models', 'saved_queries', 'semantic_model', 'metric', 'saved_query', 'project_configuration'];

/** Cortex `default_aggregation` -> IR aggregation. */
export const CORTEX_AGGREGATIONS: Readonly<Record<string, Aggregation>> = {
  sum: 'sum',
  avg: 'average',
  median: 'median',
  min: 'min',
  max: 'max',
  count: 'count',
  count_distinct: 'count_distinct',
};

/** full_outer and cross are deprecated in Cortex but still read; right_outer has no IR join type. */
export const JOIN_TYPES = ['left_outer', 'inner', 'full_outer', 'cross'] as const satisfies readonly Relationship['joinType'][];
export const RELATIONSHIP_TYPES = ['many_to_one', 'one_to_one', 'one_to_many', 'many_to_many'] as const satisfies readonly Relationship['relationshipType'][];
export const ACCESS_MODIFIERS = ['public_access', 'private_access'] as const;
export const COLUMN_KINDS = ['dimension', 'time_dimension', 'measure', 'fact', 'metric'] as const;

/**
 * Cortex time dimensions carry no grain, only a Snowflake data type. A DATE holds days; every
 * TIMESTAMP variant (and DATETIME, its alias) is taken as seconds, the finest grain a question
 * usually asks for. Anything else (VARCHAR dates, NUMBER years, no data_type) stays unknown
 * rather than guessed.
 */
export function timeGranularityOf(dataType: string | undefined): TimeGranularity | undefined {
  const type = dataType?.trim().toUpperCase() ?? '';
  if (type === 'DATE') return 'day';
  if (type.startsWith('TIMESTAMP') || type.startsWith('DATETIME')) return 'second';
  return undefined;
}
