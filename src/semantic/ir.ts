/**
 * The one intermediate representation every semantic-model format becomes.
 *
 * MetricFlow (dbt project style and manifest style) and Snowflake Cortex Analyst YAML are parsed
 * into these types; validation, the prompt specification, the compiler and search read only these.
 * Vocabulary: a `LogicalTable` is a MetricFlow semantic model or a Cortex logical table; a
 * `SemanticModel` is the whole thing a user loads (one Cortex file, a dbt project's YAML files, or
 * a folder of MetricFlow manifest documents).
 */

export type SemanticFormat = 'metricflow' | 'cortex';

/** 1-based line and column in a source file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type ProblemSeverity = 'error' | 'warning';

/** One thing wrong with a model, with where it is and how to fix it. */
export interface SemanticProblem {
  severity: ProblemSeverity;
  /** Stable machine code, e.g. `unknown_measure`, `duplicate_name`, `yaml_syntax`. */
  code: string;
  message: string;
  hint?: string;
  location?: SourceLocation;
}

export const TIME_GRANULARITIES = ['nanosecond', 'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export type TimeGranularity = (typeof TIME_GRANULARITIES)[number];

export type EntityType = 'primary' | 'unique' | 'natural' | 'foreign';

export const AGGREGATIONS = ['sum', 'min', 'max', 'count', 'count_distinct', 'sum_boolean', 'average', 'percentile', 'median'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Where a logical table's rows live. `schema`/`database` may be absent when the source did not say. */
export interface PhysicalTable {
  database?: string;
  schema?: string;
  table: string;
  /** As written in the source: `ref('orders')`, `$source_schema.fct_bookings`, `DB.SCHEMA.T`. */
  source: string;
}

interface Described {
  name: string;
  description?: string;
  label?: string;
  synonyms: string[];
  location?: SourceLocation;
}

/** A join key. Tables that share an entity name can be joined on it. */
export interface Entity extends Described {
  type: EntityType;
  /** SQL expression over the physical table (the column name by default). */
  expr: string;
}

export interface Dimension extends Described {
  kind: 'categorical' | 'time';
  expr: string;
  dataType?: string;
  sampleValues: string[];
  /** Cortex `is_enum`: sample values are the complete list. */
  isEnum?: boolean;
  /** Time dimensions: the finest grain the column holds. */
  timeGranularity?: TimeGranularity;
  isPartition?: boolean;
  /** SCD type II: this dimension opens or closes a row's validity window. */
  validity?: 'start' | 'end';
}

export interface NonAdditiveDimension {
  name: string;
  windowChoice: 'min' | 'max';
  windowGroupings: string[];
}

/** A MetricFlow measure or a Cortex fact: an aggregatable expression of one table. */
export interface Measure extends Described {
  /** Absent for a Cortex fact without `default_aggregation`. */
  agg?: Aggregation;
  expr: string;
  dataType?: string;
  sampleValues: string[];
  percentile?: { value: number; discrete: boolean; approximate: boolean };
  aggTimeDimension?: string;
  nonAdditiveDimension?: NonAdditiveDimension;
  /** MetricFlow `create_metric: true`: a simple metric of the same name exists. */
  createMetric?: boolean;
}

/** A reusable condition, e.g. Cortex `filters:`. SQL over the table's columns. */
export interface NamedFilter extends Described {
  expr: string;
  /** The logical table it belongs to, when table-scoped. */
  table?: string;
}

export interface LogicalTable extends Described {
  physical: PhysicalTable;
  primaryKey: string[];
  defaultAggTimeDimension?: string;
  entities: Entity[];
  dimensions: Dimension[];
  measures: Measure[];
  filters: NamedFilter[];
}

/** A measure as a metric uses it, with the metric-level options MetricFlow allows on the reference. */
export interface MeasureReference {
  name: string;
  filter: string[];
  alias?: string;
  fillNullsWith?: number;
  joinToTimespine?: boolean;
}

/** A metric as another metric uses it (ratio and derived inputs). */
export interface MetricInput {
  name: string;
  filter: string[];
  alias?: string;
  offsetWindow?: string;
  offsetToGrain?: TimeGranularity;
}

interface MetricBase extends Described {
  filter: string[];
  fillNullsWith?: number;
  joinToTimespine?: boolean;
  /** MetricFlow `time_granularity`: the grain `metric_time` means for this metric when the query gives none. */
  timeGranularity?: TimeGranularity;
  /** Cortex table-level metrics: the logical table they belong to. */
  table?: string;
}

export interface SimpleMetric extends MetricBase {
  type: 'simple';
  measure: MeasureReference;
}

export interface RatioMetric extends MetricBase {
  type: 'ratio';
  numerator: MetricInput;
  denominator: MetricInput;
}

export interface DerivedMetric extends MetricBase {
  type: 'derived';
  expr: string;
  inputs: MetricInput[];
}

export interface CumulativeMetric extends MetricBase {
  type: 'cumulative';
  measure: MeasureReference;
  /** e.g. `7 days`; absent with grainToDate, both absent for all-time. */
  window?: string;
  grainToDate?: TimeGranularity;
  periodAggregation?: 'first' | 'last' | 'average';
}

export interface ConversionMetric extends MetricBase {
  type: 'conversion';
  baseMeasure: MeasureReference;
  conversionMeasure: MeasureReference;
  entity: string;
  calculation: 'conversions' | 'conversion_rate';
  window?: string;
  constantProperties: { base: string; conversion: string }[];
}

/** A Cortex metric: an aggregate SQL expression over facts (table-level or model-level). */
export interface ExpressionMetric extends MetricBase {
  type: 'expression';
  expr: string;
}

export type Metric = SimpleMetric | RatioMetric | DerivedMetric | CumulativeMetric | ConversionMetric | ExpressionMetric;
export type MetricType = Metric['type'];

export interface Relationship {
  name: string;
  leftTable: string;
  rightTable: string;
  columns: { left: string; right: string }[];
  joinType: 'left_outer' | 'inner' | 'full_outer' | 'cross';
  relationshipType: 'many_to_one' | 'one_to_one' | 'one_to_many' | 'many_to_many';
  /** `declared` in the source (Cortex), or `entity` when derived from shared MetricFlow entities. */
  origin: 'declared' | 'entity';
  /** For entity-derived joins: the entity name. */
  entity?: string;
  location?: SourceLocation;
}

export interface VerifiedQuery {
  name: string;
  question: string;
  sql: string;
  verifiedAt?: string;
  verifiedBy?: string;
  onboarding?: boolean;
  location?: SourceLocation;
}

export interface SavedQuery extends Described {
  metrics: string[];
  groupBy: string[];
  where: string[];
  orderBy: string[];
  limit?: number;
}

export interface TimeSpine {
  physical: PhysicalTable;
  column: string;
  granularity: TimeGranularity;
  customGranularities: { name: string; column: string }[];
}

export interface SemanticModel {
  name: string;
  format: SemanticFormat;
  /** The file or folder it was loaded from (absolute). */
  path: string;
  /** Every file that contributed, absolute. */
  files: string[];
  description?: string;
  tables: LogicalTable[];
  metrics: Metric[];
  relationships: Relationship[];
  /** Model-level named filters (table-level ones live on their table). */
  filters: NamedFilter[];
  verifiedQueries: VerifiedQuery[];
  savedQueries: SavedQuery[];
  timeSpines: TimeSpine[];
  customInstructions?: string;
  problems: SemanticProblem[];
}

/** Settings the parsers need from `stratum.yaml` (`semantic_models.refs` and `placeholders`). */
export interface ParseOptions {
  /** dbt `ref('x')` -> `schema.table`. */
  refs: Record<string, string>;
  /** MetricFlow manifests' `$source_schema` -> schema. */
  placeholders: Record<string, string>;
  /** Schema for a `ref('x')` that `refs` does not map. */
  defaultSchema: string;
}
