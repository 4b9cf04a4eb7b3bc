import type { Dimension, LogicalTable, MeasureReference, Metric, MetricInput, SemanticModel } from './ir.js';

/**
 * The entity a table's dimensions are addressed through: MetricFlow's primary entity (or the
 * first unique/natural one), else the logical table itself, as Cortex models use it.
 */
export function primaryEntityName(table: LogicalTable): string {
  const entity = table.entities.find((e) => e.type === 'primary') ?? table.entities.find((e) => e.type === 'unique' || e.type === 'natural');
  return entity?.name ?? table.name;
}

/** MetricFlow's group-by name of a dimension: `entity__dimension`. */
export function dimensionReference(table: LogicalTable, dimension: Dimension): string {
  return `${primaryEntityName(table)}__${dimension.name}`;
}

/** A one-line definition of a metric, readable by a person and a model. */
export function describeMetric(metric: Metric, model: SemanticModel): string {
  const where = metric.filter.length ? ` where ${metric.filter.join(' and ')}` : '';
  const measure = (name: string) => {
    for (const table of model.tables) {
      const found = table.measures.find((m) => m.name === name);
      if (found) return `${found.agg ?? 'aggregate'}(${table.name}.${found.expr})`;
    }
    return name;
  };
  switch (metric.type) {
    case 'simple':
      return `${measure(metric.measure.name)}${metric.measure.filter.length ? ` where ${metric.measure.filter.join(' and ')}` : ''}${where}`;
    case 'ratio':
      return `${metric.numerator.name}${metric.numerator.filter.length ? ` (where ${metric.numerator.filter.join(' and ')})` : ''} / ${metric.denominator.name}${metric.denominator.filter.length ? ` (where ${metric.denominator.filter.join(' and ')})` : ''}${where}`;
    case 'derived': {
      const inputs = metric.inputs.map((input) => {
        const options = [input.alias ? `as ${input.alias}` : '', input.offsetWindow ? `offset ${input.offsetWindow}` : '', input.offsetToGrain ? `offset to ${input.offsetToGrain}` : ''].filter(Boolean);
        return options.length ? `${input.name} (${options.join(', ')})` : input.name;
      });
      return `${metric.expr} over ${inputs.join(', ')}${where}`;
    }
    case 'cumulative':
      return `cumulative ${measure(metric.measure.name)} ${metric.window ? `over a ${metric.window} window` : metric.grainToDate ? `${metric.grainToDate} to date` : 'all time'}${where}`;
    case 'conversion':
      return `${metric.calculation} from ${metric.baseMeasure.name} to ${metric.conversionMeasure.name} per ${metric.entity}${metric.window ? ` within ${metric.window}` : ''}${where}`;
    case 'expression':
      return `${metric.expr}${metric.table ? ` on ${metric.table}` : ''}${where}`;
  }
}

/** The measures a metric reads directly (simple, cumulative, conversion). */
export function measureReferencesOf(metric: Metric): MeasureReference[] {
  switch (metric.type) {
    case 'simple':
    case 'cumulative':
      return [metric.measure];
    case 'conversion':
      return [metric.baseMeasure, metric.conversionMeasure];
    default:
      return [];
  }
}

/** The metrics a metric is built from (ratio, derived). */
export function metricInputsOf(metric: Metric): MetricInput[] {
  if (metric.type === 'ratio') return [metric.numerator, metric.denominator];
  if (metric.type === 'derived') return metric.inputs;
  return [];
}
