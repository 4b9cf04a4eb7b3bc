import { physicalName, type SemanticModel } from '../semantic/index.js';
import type { ToolScope } from './types.js';

/** The semantic models a scope may see, in configured order. */
export function scopedModels(models: readonly SemanticModel[], scope: ToolScope | undefined): SemanticModel[] {
  return scope ? models.filter((model) => scope.allowsModel(model.name)) : [...models];
}

/**
 * A model as a subagent sees it: only the logical tables whose physical table is in scope (and the
 * relationships between them), and only the metrics the scope allows whose measures live on those
 * tables. Without a scope the model is returned as is.
 */
export function narrowModel(model: SemanticModel, scope: ToolScope | undefined, defaultSchema: string): SemanticModel {
  if (!scope) return model;
  const tables = model.tables.filter((table) => scope.allowsTable(physicalName(table, defaultSchema)));
  const kept = new Set(tables.map((table) => table.name));
  const measureTable = new Map(model.tables.flatMap((table) => table.measures.map((measure) => [measure.name, table.name] as const)));
  const measuresKept = (metric: SemanticModel['metrics'][number]) => {
    const measures = metric.type === 'simple' || metric.type === 'cumulative' ? [metric.measure.name] : metric.type === 'conversion' ? [metric.baseMeasure.name, metric.conversionMeasure.name] : [];
    return measures.every((measure) => kept.has(measureTable.get(measure) ?? '')) && (!metric.table || kept.has(metric.table));
  };
  return {
    ...model,
    tables,
    metrics: model.metrics.filter((metric) => scope.allowsMetric(model.name, metric.name) && measuresKept(metric)),
    relationships: model.relationships.filter((relationship) => kept.has(relationship.leftTable) && kept.has(relationship.rightTable)),
  };
}
