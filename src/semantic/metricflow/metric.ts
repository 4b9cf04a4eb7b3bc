import { closestNames } from '../../errors.js';
import { TIME_GRANULARITIES, type Measure, type MeasureReference, type Metric, type MetricInput, type SourceLocation, type TimeGranularity } from '../ir.js';
import { withLocation } from '../validate.js';
import { AGGREGATION_KEYS, capitalize, describedFields, isDisabled, readAggregation } from './fields.js';
import type { YamlValue } from './reader.js';

const METRIC_TYPES = ['simple', 'ratio', 'derived', 'cumulative', 'conversion'] as const;
/** Keys of the measure-less spec that may also sit at metric level instead of under metric_aggregation_params. */
const OWN_AGGREGATION_KEYS = ['semantic_model', ...AGGREGATION_KEYS];
const METRIC_KEYS = ['name', 'description', 'label', 'type', 'type_params', 'filter', 'config', 'meta', 'time_granularity', 'group', 'expr', 'fill_nulls_with', 'join_to_timespine', ...OWN_AGGREGATION_KEYS];
const TYPE_PARAMS_KEYS = ['measure', 'numerator', 'denominator', 'expr', 'window', 'grain_to_date', 'metrics', 'conversion_type_params', 'cumulative_type_params', 'metric_aggregation_params', 'fill_nulls_with', 'join_to_timespine', 'is_private'];
const MEASURE_REFERENCE_KEYS = ['name', 'filter', 'alias', 'fill_nulls_with', 'join_to_timespine'];
const METRIC_INPUT_KEYS = ['name', 'filter', 'alias', 'offset_window', 'offset_to_grain'];
const CUMULATIVE_KEYS = ['window', 'grain_to_date', 'period_agg', 'metric'];
const CONVERSION_KEYS = ['base_measure', 'conversion_measure', 'base_metric', 'conversion_metric', 'entity', 'calculation', 'window', 'constant_properties'];
const AGGREGATION_PARAMS_KEYS = [...OWN_AGGREGATION_KEYS, 'window', 'grain_to_date', 'period_agg'];

/** A measure a metric defines for itself (measure-less spec), to be added to its semantic model. */
export interface OwnMeasure {
  table: string;
  tableLocation: SourceLocation;
  measure: Measure;
}

/** A reference to another metric where the IR wants a measure (`cumulative_type_params.metric`, `base_metric`). */
export interface MetricAsMeasure {
  metric: string;
  filter: string[];
  location: SourceLocation;
  /** Who asks, for messages: `cumulative metric "x"`. */
  owner: string;
  assign(reference: MeasureReference): void;
}

export interface ParsedMetric {
  metric: Metric;
  ownMeasure?: OwnMeasure;
  metricInputs: MetricAsMeasure[];
}

/** Granularities and windows are checked once the time spines (and their custom granularities) are known. */
export type GranularityCheck = (custom: ReadonlySet<string>) => void;

interface MetricReadState {
  checks: GranularityCheck[];
  /** The metric's description, label and synonyms, which a measure of its own shares. */
  described: ReturnType<typeof describedFields>;
  metricInputs: MetricAsMeasure[];
  ownMeasure?: OwnMeasure;
}

/** One `metric:` document or `metrics:` entry. */
export function readMetric(node: YamlValue, checks: GranularityCheck[]): ParsedMetric | undefined {
  const context = node.context;
  if (!node.isMap()) {
    context.error('invalid_value', 'Expected a mapping for a metric', node.location, 'Each metric is a mapping with name, type and type_params.');
    return undefined;
  }
  const name = node.requiredText('name', 'a metric', 'Every metric needs a unique name: add "name: my_metric".')?.trim();
  if (!name) return undefined;
  const what = `metric "${name}"`;
  node.checkKeys(METRIC_KEYS, what);
  if (isDisabled(node, what)) return undefined;
  if (!node.has('type')) {
    context.error('missing_key', `Missing required "type" in ${what}`, node.location, `Add "type:" with one of ${METRIC_TYPES.join(', ')}.`);
    return undefined;
  }
  const type = node.choice('type', METRIC_TYPES, what, 'invalid_metric_type');
  if (!type) return undefined;
  const params = node.map('type_params', what);
  params?.checkKeys(TYPE_PARAMS_KEYS, `type_params of ${what}`);
  let timeGranularity: TimeGranularity | undefined;
  if (node.has('time_granularity')) deferGranularity(node, 'time_granularity', what, checks, (grain) => (timeGranularity = grain), true);

  const state: MetricReadState = { checks, described: describedFields(node, what), metricInputs: [] };
  const fillNullsWith = params?.number('fill_nulls_with', `type_params of ${what}`) ?? node.number('fill_nulls_with', what);
  const joinToTimespine = params?.bool('join_to_timespine', `type_params of ${what}`) ?? node.bool('join_to_timespine', what);
  const base = {
    name,
    ...state.described,
    location: node.location,
    filter: node.texts('filter', what),
    ...(fillNullsWith !== undefined ? { fillNullsWith } : {}),
    ...(joinToTimespine !== undefined ? { joinToTimespine } : {}),
    ...(timeGranularity !== undefined ? { timeGranularity } : {}),
  };
  const kind = `${type} metric "${name}"`;
  const typeParams = params ?? node;
  let metric: Metric | undefined;
  switch (type) {
    case 'simple': {
      const measure = measureOrOwnAggregation(node, params, kind, state);
      if (measure) metric = { ...base, type, measure };
      break;
    }
    case 'ratio': {
      const numerator = requiredMetricInput(typeParams, 'numerator', kind, state);
      const denominator = requiredMetricInput(typeParams, 'denominator', kind, state);
      if (numerator && denominator) metric = { ...base, type, numerator, denominator };
      break;
    }
    case 'derived': {
      const expr = typeParams.requiredText('expr', kind, 'A derived metric computes type_params.expr over its input metrics, e.g. expr: revenue - cost.')?.trim();
      if (!typeParams.has('metrics')) {
        context.error('missing_key', `Missing required "metrics" in ${kind}`, typeParams.location, 'List the input metrics the expression uses under type_params.metrics.');
      }
      const inputs = typeParams.list('metrics', kind).flatMap((item) => readMetricInput(item, kind, state) ?? []);
      if (expr !== undefined) metric = { ...base, type, expr, inputs };
      break;
    }
    case 'cumulative':
      metric = readCumulative(node, params, base, kind, state);
      break;
    case 'conversion':
      metric = readConversion(typeParams, base, kind, state);
      break;
  }
  if (!metric) return undefined;
  return { metric, metricInputs: state.metricInputs, ...(state.ownMeasure ? { ownMeasure: state.ownMeasure } : {}) };
}

/** Where a measure-less metric keeps its aggregation: `type_params.metric_aggregation_params`, or the metric itself. */
function ownAggregationNode(node: YamlValue, params: YamlValue | undefined, what: string): YamlValue | undefined {
  const nested = params?.map('metric_aggregation_params', `type_params of ${what}`);
  if (nested) {
    nested.checkKeys(AGGREGATION_PARAMS_KEYS, `metric_aggregation_params of ${what}`);
    return nested;
  }
  return node.has('agg') || node.has('semantic_model') ? node : undefined;
}

function measureOrOwnAggregation(node: YamlValue, params: YamlValue | undefined, what: string, state: MetricReadState): MeasureReference | undefined {
  const measure = params?.get('measure');
  if (measure) return readMeasureReference(measure, what);
  const own = ownAggregationNode(node, params, what);
  if (own) return readOwnMeasure(node, params, own, what, state, true);
  node.context.error(
    'missing_key',
    `Missing type_params.measure in ${what}`,
    (params ?? node).location,
    'Name the measure to aggregate (type_params: { measure: my_measure }), or give the metric its own aggregation: type_params: { expr: column, metric_aggregation_params: { semantic_model: my_model, agg: sum } }.',
  );
  return undefined;
}

/** Measure-less spec: the metric's own aggregation becomes a measure named after the metric in its semantic model. */
function readOwnMeasure(node: YamlValue, params: YamlValue | undefined, own: YamlValue, what: string, state: MetricReadState, simple: boolean): MeasureReference | undefined {
  const where = own === node ? what : `metric_aggregation_params of ${what}`;
  const name = node.text('name', what)!.trim();
  const table = own.requiredText('semantic_model', where, 'Name the semantic model whose rows the metric aggregates: semantic_model: my_model.')?.trim();
  if (!own.has('agg')) own.context.error('missing_key', `Missing required "agg" in ${where}`, own.location, 'Add an aggregation, e.g. "agg: sum".');
  const aggregation = readAggregation(own, where);
  if (!table || !aggregation.agg) return undefined;
  const expr = params?.text('expr', `type_params of ${what}`)?.trim() || node.text('expr', what)?.trim() || name;
  state.ownMeasure = {
    table,
    tableLocation: own.at('semantic_model'),
    measure: { name, ...state.described, location: node.location, expr, sampleValues: [], ...aggregation, ...(simple ? { createMetric: true } : {}) },
  };
  return withLocation({ name, filter: [] }, own.at('semantic_model'));
}

function readMeasureReference(node: YamlValue, owner: string): MeasureReference | undefined {
  if (!node.isMap()) {
    const name = node.asText(owner, 'measure')?.trim();
    return name ? withLocation({ name, filter: [] }, node.location) : undefined;
  }
  const name = node.requiredText('name', `the measure of ${owner}`)?.trim();
  if (!name) return undefined;
  const what = `measure "${name}" of ${owner}`;
  node.checkKeys(MEASURE_REFERENCE_KEYS, what);
  const reference: MeasureReference = { name, filter: node.texts('filter', what) };
  const alias = node.text('alias', what)?.trim();
  if (alias) reference.alias = alias;
  const fillNullsWith = node.number('fill_nulls_with', what);
  if (fillNullsWith !== undefined) reference.fillNullsWith = fillNullsWith;
  const joinToTimespine = node.bool('join_to_timespine', what);
  if (joinToTimespine !== undefined) reference.joinToTimespine = joinToTimespine;
  return withLocation(reference, node.at('name'));
}

function requiredMetricInput(params: YamlValue, key: 'numerator' | 'denominator', owner: string, state: MetricReadState): MetricInput | undefined {
  const node = params.get(key);
  if (!node) {
    params.context.error('missing_key', `Missing required "${key}" in ${owner}`, params.location, 'A ratio metric needs type_params.numerator and type_params.denominator, each naming a metric.');
    return undefined;
  }
  return readMetricInput(node, owner, state, key);
}

function readMetricInput(node: YamlValue, owner: string, state: MetricReadState, key = 'metrics'): MetricInput | undefined {
  if (!node.isMap()) {
    const name = node.asText(owner, key)?.trim();
    return name ? withLocation({ name, filter: [] }, node.location) : undefined;
  }
  const name = node.requiredText('name', `an input metric of ${owner}`)?.trim();
  if (!name) return undefined;
  const what = `input metric "${name}" of ${owner}`;
  node.checkKeys(METRIC_INPUT_KEYS, what);
  const input: MetricInput = { name, filter: node.texts('filter', what) };
  const alias = node.text('alias', what)?.trim();
  if (alias) input.alias = alias;
  const offsetWindow = node.text('offset_window', what)?.trim();
  if (offsetWindow) {
    input.offsetWindow = offsetWindow;
    deferWindow(node, 'offset_window', offsetWindow, what, state.checks);
  }
  if (node.has('offset_to_grain')) {
    deferGranularity(node, 'offset_to_grain', what, state.checks, (grain) => (input.offsetToGrain = grain), false);
  }
  if (input.offsetWindow && node.has('offset_to_grain')) {
    node.context.error('invalid_value', `${capitalize(what)} has both offset_window and offset_to_grain`, node.location, 'Use one of them: offset_window shifts by a period, offset_to_grain goes back to the start of a grain.');
  }
  return withLocation(input, node.at('name'));
}

type MetricBaseFields = Omit<Extract<Metric, { type: 'simple' }>, 'type' | 'measure'>;

function readCumulative(node: YamlValue, params: YamlValue | undefined, base: MetricBaseFields, what: string, state: MetricReadState): Metric | undefined {
  const cumulative = params?.map('cumulative_type_params', `type_params of ${what}`);
  const where = `cumulative_type_params of ${what}`;
  cumulative?.checkKeys(CUMULATIVE_KEYS, where);
  const own = params?.has('measure') || cumulative?.has('metric') ? undefined : ownAggregationNode(node, params, what);
  const metric: Extract<Metric, { type: 'cumulative' }> = { ...base, type: 'cumulative', measure: { name: '', filter: [] } };

  const input = cumulative?.get('metric');
  if (params?.has('measure')) {
    const measure = readMeasureReference(params.get('measure')!, what);
    if (!measure) return undefined;
    metric.measure = measure;
  } else if (input) {
    const reference = readMetricAsMeasure(input, where, what);
    if (!reference) return undefined;
    state.metricInputs.push({ ...reference, assign: (measure) => (metric.measure = measure) });
  } else if (own) {
    const measure = readOwnMeasure(node, params, own, what, state, false);
    if (!measure) return undefined;
    metric.measure = measure;
  } else {
    node.context.error(
      'missing_key',
      `Missing type_params.measure in ${what}`,
      (params ?? node).location,
      'Name the measure to accumulate (type_params: { measure: my_measure }) or the metric (type_params: { cumulative_type_params: { metric: my_metric } }).',
    );
    return undefined;
  }

  // Newer manifests put window/grain_to_date under cumulative_type_params; older ones directly in type_params.
  const sources = [cumulative, params, own].filter((source): source is YamlValue => source !== undefined);
  const windowSource = sources.find((source) => source.has('window'));
  const grainSource = sources.find((source) => source.has('grain_to_date'));
  const window = windowSource?.text('window', what)?.trim();
  if (windowSource && window) {
    metric.window = window;
    deferWindow(windowSource, 'window', window, what, state.checks);
  }
  if (grainSource) deferGranularity(grainSource, 'grain_to_date', what, state.checks, (grain) => (metric.grainToDate = grain), false);
  if (windowSource && grainSource) {
    node.context.error('invalid_value', `${capitalize(what)} has both window and grain_to_date`, grainSource.at('grain_to_date'), 'A cumulative metric accumulates over a sliding window or from the start of a grain, not both.');
  }
  const periodSource = sources.find((source) => source.has('period_agg'));
  const periodAggregation = periodSource?.choice('period_agg', ['first', 'last', 'average'] as const, what, 'invalid_value');
  if (periodAggregation) metric.periodAggregation = periodAggregation;
  return metric;
}

function readConversion(params: YamlValue, base: MetricBaseFields, what: string, state: MetricReadState): Metric | undefined {
  const node = params.map('conversion_type_params', `type_params of ${what}`);
  if (!node) {
    if (!params.has('conversion_type_params')) {
      params.context.error('missing_key', `Missing type_params.conversion_type_params in ${what}`, params.location, 'A conversion metric needs conversion_type_params with base_measure, conversion_measure and entity.');
    }
    return undefined;
  }
  const where = `conversion_type_params of ${what}`;
  node.checkKeys(CONVERSION_KEYS, where);
  const entity = node.requiredText('entity', where, 'Name the entity that links a base event to its conversion, e.g. entity: user.')?.trim();
  const calculation = node.choice('calculation', ['conversions', 'conversion_rate'] as const, where, 'invalid_value') ?? 'conversion_rate';
  const metric: Extract<Metric, { type: 'conversion' }> = {
    ...base,
    type: 'conversion',
    baseMeasure: { name: '', filter: [] },
    conversionMeasure: { name: '', filter: [] },
    entity: entity ?? '',
    calculation,
    constantProperties: [],
  };
  const sides = [
    { measureKey: 'base_measure', metricKey: 'base_metric', assign: (measure: MeasureReference) => (metric.baseMeasure = measure) },
    { measureKey: 'conversion_measure', metricKey: 'conversion_metric', assign: (measure: MeasureReference) => (metric.conversionMeasure = measure) },
  ];
  let complete = entity !== undefined;
  for (const side of sides) {
    const measure = node.get(side.measureKey);
    const input = node.get(side.metricKey);
    if (measure) {
      const reference = readMeasureReference(measure, what);
      if (reference) side.assign(reference);
      else complete = false;
    } else if (input) {
      const reference = readMetricAsMeasure(input, where, what);
      if (reference) state.metricInputs.push({ ...reference, assign: side.assign });
      else complete = false;
    } else {
      node.context.error('missing_key', `Missing required "${side.measureKey}" in ${where}`, node.location, `Name the measure of the ${side.measureKey === 'base_measure' ? 'base' : 'conversion'} event.`);
      complete = false;
    }
  }
  const window = node.text('window', where)?.trim();
  if (window) {
    metric.window = window;
    deferWindow(node, 'window', window, where, state.checks);
  }
  for (const item of node.list('constant_properties', where)) {
    if (!item.isMap()) {
      node.context.error('invalid_value', `Expected a mapping for a constant property of ${what}`, item.location, 'Write each as { base_property: x, conversion_property: y }.');
      continue;
    }
    item.checkKeys(['base_property', 'conversion_property'], `a constant property of ${what}`);
    const baseProperty = item.requiredText('base_property', `a constant property of ${what}`)?.trim();
    const conversionProperty = item.requiredText('conversion_property', `a constant property of ${what}`)?.trim();
    if (baseProperty && conversionProperty) metric.constantProperties.push({ base: baseProperty, conversion: conversionProperty });
  }
  return complete ? metric : undefined;
}

function readMetricAsMeasure(node: YamlValue, where: string, owner: string): Omit<MetricAsMeasure, 'assign'> | undefined {
  if (!node.isMap()) {
    const name = node.asText(where, 'metric')?.trim();
    return name ? { metric: name, filter: [], location: node.location, owner } : undefined;
  }
  const name = node.requiredText('name', `the input metric of ${owner}`)?.trim();
  if (!name) return undefined;
  node.checkKeys(METRIC_INPUT_KEYS, `input metric "${name}" of ${owner}`);
  return { metric: name, filter: node.texts('filter', `input metric "${name}" of ${owner}`), location: node.at('name'), owner };
}

const WINDOW = /^(\d+)\s+([A-Za-z_][A-Za-z0-9_]*)$/;

/** `7 days`, `1 month`, `1 alien_day` (a custom granularity of the time spine). */
function deferWindow(node: YamlValue, key: string, window: string, what: string, checks: GranularityCheck[]): void {
  const location = node.at(key);
  checks.push((custom) => {
    const match = WINDOW.exec(window);
    const unit = match?.[2]!.toLowerCase();
    const known = (name: string) => (TIME_GRANULARITIES as readonly string[]).includes(name) || custom.has(name);
    if (unit && (known(unit) || (unit.endsWith('s') && known(unit.slice(0, -1))))) return;
    node.context.error('invalid_window', `Cannot read ${key} "${window}" in ${what}`, location, `Write a count and a granularity, e.g. "7 days" or "1 month" (granularities: ${[...TIME_GRANULARITIES, ...custom].join(', ')}).`);
  });
}

/** A standard granularity; a custom one only where `allowCustom` (the IR stores standard grains only). */
function deferGranularity(node: YamlValue, key: string, what: string, checks: GranularityCheck[], assign: (grain: TimeGranularity) => void, allowCustom: boolean): void {
  const raw = node.text(key, what)?.trim();
  if (raw === undefined) return;
  const location = node.at(key);
  const lower = raw.toLowerCase();
  const standard = TIME_GRANULARITIES.find((grain) => grain === lower);
  if (standard) {
    assign(standard);
    return;
  }
  checks.push((custom) => {
    if (custom.has(lower)) {
      if (!allowCustom) {
        node.context.warning('unsupported_custom_granularity', `Custom granularity "${raw}" for ${key} in ${what} is not supported and is ignored`, location, `Use a standard granularity: ${TIME_GRANULARITIES.join(', ')}.`);
      }
      return;
    }
    const options = [...TIME_GRANULARITIES, ...custom];
    node.context.error('invalid_granularity', `Unknown ${key} "${raw}" in ${what}`, location, `Use one of: ${options.join(', ')}.`, closestNames(lower, options));
  });
}

