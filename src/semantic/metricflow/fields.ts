import { AGGREGATIONS, TIME_GRANULARITIES, type Aggregation, type Measure, type NonAdditiveDimension, type TimeGranularity } from '../ir.js';
import type { YamlValue } from './reader.js';

/** Fields every named MetricFlow object shares: description, label and `config.meta.synonyms`. */
export function describedFields(node: YamlValue, what: string): { description?: string; label?: string; synonyms: string[] } {
  const description = node.text('description', what)?.trim();
  const label = node.text('label', what)?.trim();
  const meta = node.map('config', what)?.map('meta', `config of ${what}`) ?? node.map('meta', what);
  const synonyms = meta ? meta.texts('synonyms', `meta of ${what}`) : [];
  return { ...(description ? { description } : {}), ...(label ? { label } : {}), synonyms };
}

/** `config: {enabled: false}` switches an object off, as dbt does. */
export function isDisabled(node: YamlValue, what: string): boolean {
  return node.map('config', what)?.bool('enabled', `config of ${what}`) === false;
}

export function granularity(node: YamlValue, key: string, what: string): TimeGranularity | undefined {
  return node.choice(key, TIME_GRANULARITIES, what, 'invalid_granularity');
}

/** The aggregation part of a measure, or of a metric that carries its own (`metric_aggregation_params`). */
export type Aggregated = Pick<Measure, 'agg' | 'percentile' | 'aggTimeDimension' | 'nonAdditiveDimension'>;

export const AGGREGATION_KEYS = ['agg', 'agg_params', 'agg_time_dimension', 'non_additive_dimension'] as const;

export function readAggregation(node: YamlValue, what: string): Aggregated {
  const agg = node.choice<Aggregation>('agg', AGGREGATIONS, what, 'invalid_aggregation');
  const result: Aggregated = {};
  if (agg) result.agg = agg;
  const params = node.map('agg_params', what);
  if (params) {
    params.checkKeys(['percentile', 'use_discrete_percentile', 'use_approximate_percentile'], `agg_params of ${what}`);
  }
  if (agg === 'percentile') {
    const value = params?.number('percentile', `agg_params of ${what}`);
    if (value === undefined) {
      if (!params?.has('percentile')) {
        node.context.error('missing_key', `Missing agg_params.percentile in ${what}`, (params ?? node).location, 'A percentile aggregation needs agg_params: { percentile: 0.99 } (a number between 0 and 1).');
      }
    } else if (value <= 0 || value >= 1) {
      node.context.error('invalid_value', `Percentile ${value} in ${what} is not between 0 and 1`, params!.at('percentile'), 'Write the percentile as a fraction, e.g. 0.99 for p99.');
    } else {
      result.percentile = {
        value,
        discrete: params!.bool('use_discrete_percentile', `agg_params of ${what}`) ?? false,
        approximate: params!.bool('use_approximate_percentile', `agg_params of ${what}`) ?? false,
      };
    }
  }
  const aggTimeDimension = node.text('agg_time_dimension', what)?.trim();
  if (aggTimeDimension) result.aggTimeDimension = aggTimeDimension;
  const nonAdditive = node.map('non_additive_dimension', what);
  if (nonAdditive) {
    const where = `non_additive_dimension of ${what}`;
    nonAdditive.checkKeys(['name', 'window_choice', 'window_groupings'], where);
    const name = nonAdditive.requiredText('name', where, 'Name the time dimension the measure must not be summed across, e.g. name: ds.');
    const windowChoice = nonAdditive.choice('window_choice', ['min', 'max'] as const, where, 'invalid_value') ?? 'min';
    if (name !== undefined) {
      const dimension: NonAdditiveDimension = { name: name.trim(), windowChoice, windowGroupings: nonAdditive.texts('window_groupings', where) };
      result.nonAdditiveDimension = dimension;
    }
  }
  return result;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
