import type { LogicalTable, SemanticModel } from './ir.js';
import { describeMetric, dimensionReference } from './names.js';

/**
 * The "Semantic Model Specification": everything an LLM needs to write SQL against a model, as
 * compact text. When it is too long, detail is dropped by priority (least useful first), never
 * mid-line, and what was dropped is reported.
 */
export interface SpecificationOptions {
  maxLength: number;
  /** How many verified queries keep their SQL before SQL is dropped for length. */
  verifiedSqlKept?: number;
}

export interface Specification {
  prompt: string;
  truncated: boolean;
  dropped: string[];
}

/** Levels of detail, dropped in this order until the text fits. */
const DROP_ORDER = [
  'sample_values',
  'long_descriptions',
  'verified_query_sql_beyond_first',
  'synonyms',
  'descriptions',
  'verified_queries_beyond_first',
  'measure_expressions',
] as const;
type Detail = (typeof DROP_ORDER)[number];

const LONG_DESCRIPTION = 120;

export function renderSpecification(model: SemanticModel, options: SpecificationOptions): Specification {
  const dropped: Detail[] = [];
  for (let level = 0; level <= DROP_ORDER.length; level++) {
    const prompt = render(model, new Set(dropped), options.verifiedSqlKept ?? 3);
    if (prompt.length <= options.maxLength) return { prompt, truncated: dropped.length > 0, dropped: [...dropped] };
    if (level < DROP_ORDER.length) dropped.push(DROP_ORDER[level]!);
  }
  // Still too long with every optional detail gone: keep whole lines up to the limit.
  const full = render(model, new Set(dropped), options.verifiedSqlKept ?? 3);
  const lines = full.split('\n');
  const kept: string[] = [];
  let length = 0;
  const tailNote = (omitted: number) => `… (${omitted} more lines omitted; ask for a narrower model or raise max_length)`;
  for (const [index, line] of lines.entries()) {
    const reserve = tailNote(lines.length - index).length + 1;
    if (length + line.length + 1 + reserve > options.maxLength) {
      kept.push(tailNote(lines.length - index));
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return { prompt: kept.join('\n'), truncated: true, dropped: [...dropped, 'tail_lines'] };
}

function render(model: SemanticModel, drop: Set<Detail>, verifiedSqlKept: number): string {
  const describe = (text: string | undefined): string => {
    if (!text || drop.has('descriptions')) return '';
    const clean = text.replace(/\s+/g, ' ').trim();
    if (drop.has('long_descriptions') && clean.length > LONG_DESCRIPTION) {
      const sentence = clean.split(/(?<=\.)\s/)[0] ?? clean;
      return ` — ${sentence.length > LONG_DESCRIPTION ? `${sentence.slice(0, LONG_DESCRIPTION - 1)}…` : sentence}`;
    }
    return ` — ${clean}`;
  };
  const synonyms = (list: string[]) => (list.length && !drop.has('synonyms') ? ` (synonyms: ${list.join(', ')})` : '');
  const lines: string[] = [];
  lines.push(`# Semantic Model Specification: ${model.name} (${model.format})${describe(model.description)}`);
  lines.push('');
  lines.push('## Logical tables');
  for (const table of model.tables) lines.push(...renderTable(table, drop, describe, synonyms));

  if (model.metrics.length) {
    lines.push('', '## Metrics');
    for (const metric of model.metrics) {
      lines.push(`- ${metric.name} [${metric.type}]: ${describeMetric(metric, model)}${synonyms(metric.synonyms)}${describe(metric.description)}`);
    }
  }
  if (model.relationships.length) {
    lines.push('', '## Relationships (join keys)');
    for (const relation of model.relationships) {
      const on = relation.columns.map((c) => `${relation.leftTable}.${c.left} = ${relation.rightTable}.${c.right}`).join(' AND ');
      lines.push(`- ${relation.leftTable} -> ${relation.rightTable} (${relation.relationshipType}, ${relation.joinType.replace('_', ' ')}): ${on}`);
    }
  }
  const filters = [...model.filters, ...model.tables.flatMap((table) => table.filters)];
  if (filters.length) {
    lines.push('', '## Named filters');
    for (const filter of filters) lines.push(`- ${filter.table ? `${filter.table}.` : ''}${filter.name}: ${filter.expr}${synonyms(filter.synonyms)}${describe(filter.description)}`);
  }
  if (model.savedQueries.length) {
    lines.push('', '## Saved queries');
    for (const saved of model.savedQueries) {
      lines.push(`- ${saved.name}: metrics ${saved.metrics.join(', ')}${saved.groupBy.length ? `; group by ${saved.groupBy.join(', ')}` : ''}${saved.where.length ? `; where ${saved.where.join(' and ')}` : ''}`);
    }
  }
  const verified = drop.has('verified_queries_beyond_first') ? model.verifiedQueries.slice(0, 1) : model.verifiedQueries;
  if (verified.length) {
    lines.push('', '## Verified queries (known-correct SQL; reuse when the question matches)');
    verified.forEach((query, index) => {
      lines.push(`- ${query.name}: "${query.question}"`);
      const keepSql = !drop.has('verified_query_sql_beyond_first') || index < verifiedSqlKept;
      if (keepSql) for (const line of query.sql.trim().split('\n')) lines.push(`    ${line.trimEnd()}`);
    });
  }
  if (model.customInstructions?.trim()) {
    lines.push('', '## Instructions', model.customInstructions.trim());
  }
  return lines.join('\n');
}

function renderTable(
  table: LogicalTable,
  drop: Set<Detail>,
  describe: (text: string | undefined) => string,
  synonyms: (list: string[]) => string,
): string[] {
  const physical = [table.physical.database, table.physical.schema, table.physical.table].filter(Boolean).join('.');
  const lines = [`### ${table.name} (physical table ${physical})${synonyms(table.synonyms)}${describe(table.description)}`];
  if (table.primaryKey.length) lines.push(`Primary key: ${table.primaryKey.join(', ')}`);
  if (table.entities.length) lines.push(`Entities (join keys): ${table.entities.map((e) => `${e.name} [${e.type}] = ${e.expr}`).join('; ')}`);
  if (table.defaultAggTimeDimension) lines.push(`Default time dimension: ${table.defaultAggTimeDimension}`);
  for (const dimension of table.dimensions) {
    const grain = dimension.timeGranularity ? `, grain ${dimension.timeGranularity}` : '';
    const expr = dimension.expr !== dimension.name ? ` = ${dimension.expr}` : '';
    const samples = dimension.sampleValues.length && !drop.has('sample_values') ? ` e.g. ${dimension.sampleValues.slice(0, 8).map((v) => JSON.stringify(v)).join(', ')}${dimension.isEnum ? ' (complete list)' : ''}` : '';
    lines.push(`- dimension ${dimensionReference(table, dimension)}${expr} (${dimension.dataType ? `${dimension.dataType}, ` : ''}${dimension.kind}${grain})${synonyms(dimension.synonyms)}${describe(dimension.description)}${samples}`);
  }
  for (const measure of table.measures) {
    const expr = drop.has('measure_expressions') ? '' : ` = ${measure.agg ? `${measure.agg}(${measure.expr})` : measure.expr}`;
    lines.push(`- ${measure.agg ? 'measure' : 'fact'} ${measure.name}${expr}${synonyms(measure.synonyms)}${describe(measure.description)}`);
  }
  return lines;
}
