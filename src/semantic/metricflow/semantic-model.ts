import type { Dimension, Entity, EntityType, LogicalTable, Measure, PhysicalTable, SimpleMetric } from '../ir.js';
import { AGGREGATION_KEYS, capitalize, describedFields, granularity, isDisabled, readAggregation } from './fields.js';
import { physicalFromNodeRelation, physicalFromRef } from './physical.js';
import type { YamlValue } from './reader.js';

const SEMANTIC_MODEL_KEYS = ['name', 'description', 'label', 'model', 'node_relation', 'defaults', 'entities', 'dimensions', 'measures', 'primary_entity', 'config', 'meta'];
const ENTITY_KEYS = ['name', 'type', 'expr', 'description', 'label', 'role', 'entity', 'config', 'meta'];
const DIMENSION_KEYS = ['name', 'type', 'expr', 'description', 'label', 'is_partition', 'type_params', 'config', 'meta'];
const MEASURE_KEYS = ['name', ...AGGREGATION_KEYS, 'expr', 'description', 'label', 'create_metric', 'create_metric_display_name', 'config', 'meta'];
const ENTITY_TYPES: readonly EntityType[] = ['primary', 'unique', 'natural', 'foreign'];

export interface ParsedSemanticModel {
  table: LogicalTable;
  /** Simple metrics asked for with `create_metric: true`. */
  metrics: SimpleMetric[];
}

/** One `semantic_model:` document or `semantic_models:` entry. */
export function readSemanticModel(node: YamlValue): ParsedSemanticModel | undefined {
  const context = node.context;
  if (!node.isMap()) {
    context.error('invalid_value', 'Expected a mapping for a semantic model', node.location, 'Each semantic model is a mapping with name, entities, dimensions and measures.');
    return undefined;
  }
  const name = node.requiredText('name', 'a semantic model', 'Every semantic model needs a unique name: add "name: my_model".')?.trim();
  if (!name) return undefined;
  const what = `semantic model "${name}"`;
  node.checkKeys(SEMANTIC_MODEL_KEYS, what);
  if (isDisabled(node, what)) return undefined;

  const relation = node.map('node_relation', what);
  let physical: PhysicalTable | undefined = relation ? physicalFromNodeRelation(relation, what) : physicalFromRef(node, what);
  if (!physical) {
    if (!relation && !node.has('model')) {
      context.error('missing_key', `Missing "model" (or "node_relation") in ${what}`, node.location, "Point the semantic model at its table: model: ref('table_name') in a dbt project, node_relation: {schema_name, alias} in a manifest.");
    }
    physical = { table: name, source: '' };
  }

  const defaults = node.map('defaults', what);
  defaults?.checkKeys(['agg_time_dimension'], `defaults of ${what}`);
  const defaultAggTimeDimension = defaults?.text('agg_time_dimension', `defaults of ${what}`)?.trim();

  const entities = node.list('entities', what).flatMap((item) => readEntity(item, what) ?? []);
  const primaryEntity = node.text('primary_entity', what)?.trim();
  // A model without a primary-key column names its rows with `primary_entity`; it has no join column.
  if (primaryEntity && !entities.some((entity) => entity.name === primaryEntity)) {
    entities.push({ name: primaryEntity, type: 'primary', expr: '', synonyms: [], location: node.at('primary_entity') });
  }
  const dimensions = node.list('dimensions', what).flatMap((item) => readDimension(item, what) ?? []);
  const measures: Measure[] = [];
  const metrics: SimpleMetric[] = [];
  for (const item of node.list('measures', what)) {
    const parsed = readMeasure(item, what);
    if (!parsed) continue;
    measures.push(parsed.measure);
    if (parsed.metric) metrics.push(parsed.metric);
  }

  const table: LogicalTable = {
    name,
    ...describedFields(node, what),
    location: node.location,
    physical,
    primaryKey: entities.filter((entity) => entity.type === 'primary' && entity.expr !== '').map((entity) => entity.expr),
    ...(defaultAggTimeDimension ? { defaultAggTimeDimension } : {}),
    entities,
    dimensions,
    measures,
    filters: [],
  };
  return { table, metrics };
}

function readEntity(node: YamlValue, owner: string): Entity | undefined {
  if (!node.isMap()) {
    node.context.error('invalid_value', `Expected a mapping for an entity of ${owner}`, node.location, 'Write each entity as "- name: x" with "type: primary|unique|natural|foreign".');
    return undefined;
  }
  const name = node.requiredText('name', `an entity of ${owner}`)?.trim();
  if (!name) return undefined;
  const what = `entity "${name}" of ${owner}`;
  node.checkKeys(ENTITY_KEYS, what);
  const type = node.has('type') ? node.choice('type', ENTITY_TYPES, what, 'invalid_entity_type') : undefined;
  if (!node.has('type')) node.context.error('missing_key', `Missing required "type" in ${what}`, node.location, `Add "type:" with one of ${ENTITY_TYPES.join(', ')}.`);
  if (!type) return undefined;
  return { name, ...describedFields(node, what), location: node.location, type, expr: node.text('expr', what)?.trim() || name };
}

function readDimension(node: YamlValue, owner: string): Dimension | undefined {
  if (!node.isMap()) {
    node.context.error('invalid_value', `Expected a mapping for a dimension of ${owner}`, node.location, 'Write each dimension as "- name: x" with "type: categorical|time".');
    return undefined;
  }
  const name = node.requiredText('name', `a dimension of ${owner}`)?.trim();
  if (!name) return undefined;
  const what = `dimension "${name}" of ${owner}`;
  node.checkKeys(DIMENSION_KEYS, what);
  if (!node.has('type')) {
    node.context.error('missing_key', `Missing required "type" in ${what}`, node.location, 'Add "type: categorical" or "type: time".');
    return undefined;
  }
  const kind = node.choice('type', ['categorical', 'time'] as const, what, 'invalid_dimension_type');
  if (!kind) return undefined;
  const dimension: Dimension = { name, ...describedFields(node, what), location: node.location, kind, expr: node.text('expr', what)?.trim() || name, sampleValues: [] };
  const isPartition = node.bool('is_partition', what);
  if (isPartition !== undefined) dimension.isPartition = isPartition;
  const params = node.map('type_params', what);
  params?.checkKeys(['time_granularity', 'validity_params'], `type_params of ${what}`);
  if (kind === 'time') {
    const grain = params ? granularity(params, 'time_granularity', `type_params of ${what}`) : undefined;
    if (grain) dimension.timeGranularity = grain;
    else if (!params?.has('time_granularity')) {
      node.context.error('missing_key', `Missing type_params.time_granularity in time ${what}`, node.location, 'Time dimensions need their finest grain: type_params: { time_granularity: day }.');
    }
    const validity = params?.map('validity_params', `type_params of ${what}`);
    if (validity) {
      const where = `validity_params of ${what}`;
      validity.checkKeys(['is_start', 'is_end'], where);
      const isStart = validity.bool('is_start', where) === true;
      const isEnd = validity.bool('is_end', where) === true;
      if (isStart && isEnd) {
        node.context.error('invalid_value', `${capitalize(what)} is marked both is_start and is_end`, validity.location, 'An SCD type II table needs one dimension with is_start: true and another with is_end: true.');
      } else if (isStart) dimension.validity = 'start';
      else if (isEnd) dimension.validity = 'end';
    }
  }
  return dimension;
}

function readMeasure(node: YamlValue, owner: string): { measure: Measure; metric?: SimpleMetric } | undefined {
  if (!node.isMap()) {
    node.context.error('invalid_value', `Expected a mapping for a measure of ${owner}`, node.location, 'Write each measure as "- name: x" with "agg: sum" (or another aggregation).');
    return undefined;
  }
  const name = node.requiredText('name', `a measure of ${owner}`)?.trim();
  if (!name) return undefined;
  const what = `measure "${name}" of ${owner}`;
  node.checkKeys(MEASURE_KEYS, what);
  if (!node.has('agg')) {
    node.context.error('missing_key', `Missing required "agg" in ${what}`, node.location, 'Add an aggregation, e.g. "agg: sum" (sum, min, max, count, count_distinct, sum_boolean, average, percentile, median).');
  }
  const aggregation = readAggregation(node, what);
  if (!aggregation.agg) return undefined;
  const described = describedFields(node, what);
  const measure: Measure = { name, ...described, location: node.location, expr: node.text('expr', what)?.trim() || name, sampleValues: [], ...aggregation };
  const createMetric = node.bool('create_metric', what);
  if (createMetric === undefined) return { measure };
  measure.createMetric = createMetric;
  if (!createMetric) return { measure };
  const label = node.text('create_metric_display_name', what)?.trim() ?? described.label;
  const metric: SimpleMetric = {
    name,
    ...(described.description ? { description: described.description } : {}),
    ...(label ? { label } : {}),
    synonyms: described.synonyms,
    location: node.location,
    type: 'simple',
    filter: [],
    measure: { name, filter: [] },
  };
  return { measure, metric };
}
