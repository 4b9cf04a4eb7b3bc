import { relative } from 'node:path';
import type { SemanticModel, SemanticProblem } from './ir.js';
import { describeMetric, dimensionReference } from './names.js';

/** `file:line:col: error: message (hint)`, the shape editors and terminals link. */
export function formatProblem(problem: SemanticProblem, baseDir?: string): string {
  const file = problem.location?.file;
  const shown = file && baseDir && !relative(baseDir, file).startsWith('..') ? relative(baseDir, file) : file;
  const where = problem.location ? `${shown}:${problem.location.line}:${problem.location.column}: ` : '';
  // Messages carry their own "(file:line:col)" for tool results; the prefix already says it here.
  const message = where ? problem.message.replace(/ \([^()]*:\d+:\d+\)/, '') : problem.message;
  return `${where}${problem.severity}: ${message}${problem.hint ? ` (${problem.hint})` : ''}`;
}

export interface ModelSummary {
  name: string;
  format: SemanticModel['format'];
  path: string;
  description?: string;
  tables: number;
  metrics: number;
  dimensions: number;
  verified_queries: number;
  errors?: string[];
  warnings?: number;
}

export function modelSummary(model: SemanticModel): ModelSummary {
  const errors = model.problems.filter((p) => p.severity === 'error').map((p) => formatProblem(p));
  const warnings = model.problems.filter((p) => p.severity === 'warning').length;
  return {
    name: model.name,
    format: model.format,
    path: model.path,
    ...(model.description ? { description: model.description.replace(/\s+/g, ' ').trim() } : {}),
    tables: model.tables.length,
    metrics: model.metrics.length,
    dimensions: model.tables.reduce((sum, table) => sum + table.dimensions.length, 0),
    verified_queries: model.verifiedQueries.length,
    ...(errors.length ? { errors } : {}),
    ...(warnings ? { warnings } : {}),
  };
}

/** The structured body of load_semantic_model: what a client program needs, in plain JSON. */
export function modelDetail(model: SemanticModel) {
  const physical = (table: SemanticModel['tables'][number]) => [table.physical.database, table.physical.schema, table.physical.table].filter(Boolean).join('.');
  return {
    name: model.name,
    format: model.format,
    path: model.path,
    ...(model.description ? { description: model.description.replace(/\s+/g, ' ').trim() } : {}),
    tables: model.tables.map((table) => ({
      name: table.name,
      physical_table: physical(table),
      ...(table.description ? { description: table.description.replace(/\s+/g, ' ').trim() } : {}),
      primary_key: table.primaryKey,
      entities: table.entities.map((entity) => ({ name: entity.name, type: entity.type, expr: entity.expr })),
      measures: table.measures.map((measure) => ({ name: measure.name, ...(measure.agg ? { agg: measure.agg } : {}), expr: measure.expr })),
    })),
    metrics: model.metrics.map((metric) => ({
      name: metric.name,
      type: metric.type,
      definition: describeMetric(metric, model),
      ...(metric.description ? { description: metric.description.replace(/\s+/g, ' ').trim() } : {}),
    })),
    dimensions: model.tables.flatMap((table) =>
      table.dimensions.map((dimension) => ({
        name: dimensionReference(table, dimension),
        table: table.name,
        kind: dimension.kind,
        expr: dimension.expr,
        ...(dimension.timeGranularity ? { time_granularity: dimension.timeGranularity } : {}),
        ...(dimension.sampleValues.length ? { sample_values: dimension.sampleValues } : {}),
      })),
    ),
    relationships: model.relationships.map((relation) => ({
      name: relation.name,
      left_table: relation.leftTable,
      right_table: relation.rightTable,
      columns: relation.columns,
      join_type: relation.joinType,
      relationship_type: relation.relationshipType,
    })),
    verified_queries: model.verifiedQueries.map((query) => ({ name: query.name, question: query.question, sql: query.sql })),
    problems: model.problems.map((problem) => formatProblem(problem)),
  };
}

export type ModelDetail = ReturnType<typeof modelDetail>;
