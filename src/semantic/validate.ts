import { dirname, isAbsolute, relative, sep } from 'node:path';
import { closestNames, formatSuggestions } from '../errors.js';
import {
  TIME_GRANULARITIES,
  type LogicalTable,
  type Metric,
  type ProblemSeverity,
  type SemanticModel,
  type SemanticProblem,
  type SourceLocation,
} from './ir.js';
import { measureReferencesOf, metricInputsOf } from './names.js';

/** What `validateSemanticModel` needs from the datasource catalog: tables named `schema.table`. */
export interface CatalogForValidation {
  tables: { name: string; columns: { name: string }[] }[];
}

/** `simple_manifest/metrics.yaml:41:15`: the file relative to the folder holding the model, so a message reads the same on every machine. */
export function describeLocation(location: SourceLocation, modelPath: string): string {
  let file = location.file;
  if (isAbsolute(file) && isAbsolute(modelPath)) {
    const rel = relative(dirname(modelPath), file);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) file = rel;
  }
  return `${file.split(sep).join('/')}:${location.line}:${location.column}`;
}

/** A problem whose message names its place: `Unknown measure "x" in metric "y" (dir/file.yaml:3:5). Did you mean "z"?` */
export function locatedProblem(options: {
  severity: ProblemSeverity;
  code: string;
  text: string;
  location: SourceLocation | undefined;
  modelPath: string;
  hint?: string | undefined;
  suggestions?: readonly string[];
}): SemanticProblem {
  const where = options.location ? ` (${describeLocation(options.location, options.modelPath)})` : '';
  return {
    severity: options.severity,
    code: options.code,
    message: `${options.text}${where}.${formatSuggestions(options.suggestions ?? [])}`,
    ...(options.hint ? { hint: options.hint } : {}),
    ...(options.location ? { location: options.location } : {}),
  };
}

/**
 * Measure references and metric inputs have no `location` in the IR; parsers attach one so that a
 * broken reference is reported where it is written rather than at the start of its metric.
 */
export function withLocation<T extends object>(value: T, location: SourceLocation | undefined): T {
  return location ? Object.assign(value, { location }) : value;
}

function locationOf(value: object, fallback: SourceLocation | undefined): SourceLocation | undefined {
  const location = (value as { location?: SourceLocation }).location;
  return location ?? fallback;
}

const TEMPLATE = /(?<![\w.])(Dimension|TimeDimension|Entity|Metric)\s*\(([^()]*)\)/g;
const QUOTED = /(['"])(.*?)\1/g;
const SQL_WORDS = new Set(
  (
    'and or not null is in case when then else end true false between like ilike as cast distinct interval over partition by order asc desc ' +
    'exists any all some escape similar nulls first last filter where int integer float double decimal numeric bigint smallint varchar char text ' +
    'date timestamp time real precision boolean string year quarter month week day hour minute second'
  ).split(' '),
);

interface Reporter {
  (severity: ProblemSeverity, code: string, text: string, location: SourceLocation | undefined, hint?: string, suggestions?: readonly string[]): void;
}

/**
 * Format-agnostic checks on a parsed model: unique names, references that must resolve (measures,
 * input metrics, time dimensions, entities, relationship columns, filter templates), derived-metric
 * expressions and cycles, saved queries; with a catalog, physical tables and plain columns (warnings).
 */
export function validateSemanticModel(model: SemanticModel, catalog?: CatalogForValidation): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const report: Reporter = (severity, code, text, location, hint, suggestions = []) =>
    problems.push(locatedProblem({ severity, code, text, location, modelPath: model.path, hint, suggestions }));

  checkUniqueNames(model, report);
  checkTimeDimensions(model, report);
  checkMetricReferences(model, report);
  checkDerivedExpressions(model, report);
  checkMetricCycles(model, report);
  checkRelationships(model, report);
  checkFilterReferences(model, report);
  checkSavedQueries(model, report);
  if (catalog) checkCatalog(model, catalog, report);
  return problems;
}

/** Only the catalog checks: physical tables and plain columns the datasource does not have (warnings). */
export function validateAgainstCatalog(model: SemanticModel, catalog: CatalogForValidation): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  checkCatalog(model, catalog, (severity, code, text, location, hint, suggestions = []) =>
    problems.push(locatedProblem({ severity, code, text, location, modelPath: model.path, hint, suggestions })),
  );
  return problems;
}

function where(location: SourceLocation | undefined, modelPath: string): string {
  return location ? describeLocation(location, modelPath) : 'elsewhere';
}

function checkUniqueNames(model: SemanticModel, report: Reporter): void {
  const unique = <T extends { name: string; location?: SourceLocation }>(items: readonly T[], key: (item: T) => string, describe: (item: T, first: T) => string, hint: string) => {
    const seen = new Map<string, T>();
    for (const item of items) {
      const first = seen.get(key(item));
      if (!first) seen.set(key(item), item);
      else report('error', 'duplicate_name', `${describe(item, first)}; first defined at ${where(first.location, model.path)}`, item.location, hint);
    }
  };
  unique(model.tables, (table) => table.name, (table) => `Duplicate semantic model "${table.name}"`, 'Give every semantic model (logical table) a unique name.');
  unique(model.metrics, (metric) => `${metric.table ?? ''}.${metric.name}`, (metric) => `Duplicate metric "${metric.name}"`, 'Give every metric a unique name, or remove create_metric: true from the measure of the same name.');
  unique(model.savedQueries, (query) => query.name, (query) => `Duplicate saved query "${query.name}"`, 'Give every saved query a unique name.');
  for (const table of model.tables) {
    unique(table.dimensions, (dimension) => dimension.name, (dimension) => `Duplicate dimension "${dimension.name}" in semantic model "${table.name}"`, 'Dimension names must be unique within a semantic model.');
    unique(table.entities, (entity) => entity.name, (entity) => `Duplicate entity "${entity.name}" in semantic model "${table.name}"`, 'Entity names must be unique within a semantic model.');
  }
  // MetricFlow measures are referenced by name alone, so they are unique across the model; Cortex facts are per table.
  const measures = model.tables.flatMap((table) => table.measures.map((measure) => ({ ...measure, table: table.name })));
  unique(
    measures,
    (measure) => (model.format === 'metricflow' ? measure.name : `${measure.table}.${measure.name}`),
    (measure, first) => `Duplicate measure "${measure.name}" in semantic model "${measure.table}" (also in semantic model "${first.table}")`,
    'Measure names must be unique across all semantic models of a MetricFlow project. A metric with its own aggregation (metric_aggregation_params) defines a measure of its own name.',
  );
}

function checkTimeDimensions(model: SemanticModel, report: Reporter): void {
  for (const table of model.tables) {
    const times = table.dimensions.filter((dimension) => dimension.kind === 'time').map((dimension) => dimension.name);
    const hint = times.length > 0 ? `Time dimensions of semantic model "${table.name}": ${times.join(', ')}.` : `Semantic model "${table.name}" has no time dimension: add one with type: time.`;
    const timeDimension = (name: string, key: string, owner: string, location: SourceLocation | undefined, code: string) => {
      const found = table.dimensions.find((dimension) => dimension.name === name);
      if (!found) report('error', code, `Unknown ${key} "${name}" of ${owner}: no such dimension`, location, hint, closestNames(name, times));
      else if (found.kind !== 'time') report('error', code, `The ${key} "${name}" of ${owner} is a categorical dimension; it must be a time dimension`, location, hint, closestNames(name, times));
    };
    const tableName = `semantic model "${table.name}"`;
    if (table.defaultAggTimeDimension) timeDimension(table.defaultAggTimeDimension, 'defaults.agg_time_dimension', tableName, table.location, 'invalid_agg_time_dimension');
    for (const measure of table.measures) {
      const owner = `measure "${measure.name}" in ${tableName}`;
      if (measure.aggTimeDimension) timeDimension(measure.aggTimeDimension, 'agg_time_dimension', owner, measure.location, 'invalid_agg_time_dimension');
      else if (!table.defaultAggTimeDimension && model.format === 'metricflow') {
        report(
          'error',
          'missing_agg_time_dimension',
          `Measure "${measure.name}" of semantic model "${table.name}" has no agg_time_dimension`,
          measure.location,
          'Set defaults: { agg_time_dimension: <time dimension> } on the semantic model, or agg_time_dimension on the measure: metric_time needs it.',
        );
      }
      const nonAdditive = measure.nonAdditiveDimension;
      if (!nonAdditive) continue;
      timeDimension(nonAdditive.name, 'non_additive_dimension', owner, measure.location, 'invalid_non_additive_dimension');
      const entities = table.entities.map((entity) => entity.name);
      for (const grouping of nonAdditive.windowGroupings) {
        if (entities.includes(grouping)) continue;
        report(
          'error',
          'unknown_entity',
          `Unknown entity "${grouping}" in window_groupings of ${owner}`,
          measure.location,
          `window_groupings name entities of the same semantic model: ${entities.join(', ') || '(none)'}.`,
          closestNames(grouping, entities),
        );
      }
    }
  }
}

function checkMetricReferences(model: SemanticModel, report: Reporter): void {
  const measureTables = new Map<string, LogicalTable>();
  for (const table of model.tables) for (const measure of table.measures) if (!measureTables.has(measure.name)) measureTables.set(measure.name, table);
  const measureNames = [...measureTables.keys()];
  const metricNames = model.metrics.map((metric) => metric.name);
  for (const metric of model.metrics) {
    for (const reference of measureReferencesOf(metric)) {
      if (reference.name === '' || measureTables.has(reference.name)) continue;
      report(
        'error',
        'unknown_measure',
        `Unknown measure "${reference.name}" in metric "${metric.name}"`,
        locationOf(reference, metric.location),
        measureNames.length > 0 ? `Known measures: ${listed(measureNames)}.` : 'The model defines no measures: add measures to a semantic model.',
        closestNames(reference.name, measureNames),
      );
    }
    for (const input of metricInputsOf(metric)) {
      if (metricNames.includes(input.name)) continue;
      const others = metricNames.filter((name) => name !== metric.name);
      report('error', 'unknown_metric', `Unknown metric "${input.name}" in metric "${metric.name}"`, locationOf(input, metric.location), `Known metrics: ${listed(others)}.`, closestNames(input.name, others));
    }
    if (metric.type === 'conversion' && metric.entity !== '') checkConversionEntity(model, metric, measureTables, report);
  }
}

function checkConversionEntity(model: SemanticModel, metric: Extract<Metric, { type: 'conversion' }>, measureTables: Map<string, LogicalTable>, report: Reporter): void {
  const allEntities = [...new Set(model.tables.flatMap((table) => table.entities.map((entity) => entity.name)))];
  if (!allEntities.includes(metric.entity)) {
    report(
      'error',
      'unknown_entity',
      `Unknown entity "${metric.entity}" in conversion metric "${metric.name}"`,
      metric.location,
      `The entity links a base event to its conversion and must be an entity of both measures' semantic models. Known entities: ${listed(allEntities)}.`,
      closestNames(metric.entity, allEntities),
    );
    return;
  }
  for (const reference of [metric.baseMeasure, metric.conversionMeasure]) {
    const table = measureTables.get(reference.name);
    if (!table || table.entities.some((entity) => entity.name === metric.entity)) continue;
    report(
      'error',
      'unknown_entity',
      `Entity "${metric.entity}" of conversion metric "${metric.name}" is not an entity of semantic model "${table.name}" (of measure "${reference.name}")`,
      metric.location,
      `Entities of semantic model "${table.name}": ${listed(table.entities.map((entity) => entity.name))}.`,
    );
  }
}

/** Identifiers an SQL expression uses as column-like names (not functions, keywords, literals or types). */
export function expressionIdentifiers(expr: string): string[] {
  const found: string[] = [];
  const token = /'(?:[^']|'')*'|"((?:[^"]|"")*)"|(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_$]*)|(::)|(\S)/g;
  let afterCast = false;
  let previousWord = '';
  for (const match of expr.matchAll(token)) {
    const [whole, quoted, , word, cast] = match;
    if (cast) {
      afterCast = true;
      continue;
    }
    const name = quoted ?? word;
    if (name === undefined) {
      afterCast = false;
      if (!whole.startsWith("'")) previousWord = '';
      continue;
    }
    const rest = expr.slice(match.index + whole.length);
    const isFunction = word !== undefined && /^\s*\(/.test(rest);
    const isType = afterCast || previousWord === 'as';
    afterCast = false;
    previousWord = word?.toLowerCase() ?? '';
    if (isFunction || isType || (word !== undefined && SQL_WORDS.has(word.toLowerCase()))) continue;
    found.push(name);
  }
  return found;
}

function checkDerivedExpressions(model: SemanticModel, report: Reporter): void {
  for (const metric of model.metrics) {
    if (metric.type !== 'derived') continue;
    const usable = metric.inputs.map((input) => input.alias ?? input.name);
    const reported = new Set<string>();
    for (const name of expressionIdentifiers(metric.expr)) {
      if (usable.includes(name) || reported.has(name)) continue;
      reported.add(name);
      report(
        'error',
        'unknown_expr_reference',
        `Derived metric "${metric.name}" uses "${name}" in its expr, but "${name}" is not one of its input metrics`,
        metric.location,
        `A derived metric's expr may use only its input metrics (by alias when one is given): ${usable.join(', ') || '(none)'}. Add "${name}" under type_params.metrics or fix the name.`,
        closestNames(name, usable),
      );
    }
  }
}

function checkMetricCycles(model: SemanticModel, report: Reporter): void {
  const byName = new Map(model.metrics.map((metric) => [metric.name, metric]));
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (name: string, path: string[]) => {
    const metric = byName.get(name);
    if (!metric || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      const key = [...new Set(cycle)].sort().join('|');
      if (reported.has(key)) return;
      reported.add(key);
      report('error', 'metric_cycle', `Metric "${name}" depends on itself: ${cycle.join(' -> ')}`, metric.location, 'Break the cycle: a ratio or derived metric cannot use, directly or through other metrics, the metric being defined.');
      return;
    }
    state.set(name, 'visiting');
    for (const input of metricInputsOf(metric)) visit(input.name, [...path, name]);
    state.set(name, 'done');
  };
  for (const metric of model.metrics) visit(metric.name, []);
}

/** Column-like names of a logical table: names and plain-column expressions of its fields. */
function columnsOf(table: LogicalTable): Set<string> {
  const columns = new Set<string>(table.primaryKey.map((column) => column.toLowerCase()));
  for (const field of [...table.dimensions, ...table.entities, ...table.measures]) {
    columns.add(field.name.toLowerCase());
    if (isPlainColumn(field.expr)) columns.add(field.expr.toLowerCase());
  }
  return columns;
}

function isPlainColumn(expr: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(expr) || /^"[^"]+"$/.test(expr);
}

function checkRelationships(model: SemanticModel, report: Reporter): void {
  const tables = new Map(model.tables.map((table) => [table.name, table]));
  const names = [...tables.keys()];
  for (const relationship of model.relationships) {
    const sides = [
      { table: tables.get(relationship.leftTable), name: relationship.leftTable, column: (pair: { left: string; right: string }) => pair.left },
      { table: tables.get(relationship.rightTable), name: relationship.rightTable, column: (pair: { left: string; right: string }) => pair.right },
    ];
    for (const side of sides) {
      if (!side.table) {
        report('error', 'unknown_table', `Unknown table "${side.name}" in relationship "${relationship.name}"`, relationship.location, `Known tables: ${listed(names)}.`, closestNames(side.name, names));
        continue;
      }
      const columns = columnsOf(side.table);
      for (const pair of relationship.columns) {
        const column = side.column(pair);
        if (!isPlainColumn(column) || columns.has(column.toLowerCase())) continue;
        report(
          'error',
          'unknown_relationship_column',
          `Unknown column "${column}" of table "${side.name}" in relationship "${relationship.name}"`,
          relationship.location,
          `Relationship columns must be dimensions, facts or keys of the table: ${listed([...columns])}.`,
          closestNames(column, [...columns]),
        );
      }
    }
  }
}

/** Where a MetricFlow name such as `listing__user__home_state_latest` or `metric_time__month` can be resolved. */
class NameResolver {
  private readonly entities = new Set<string>();
  private readonly qualified = new Set<string>();
  readonly metrics: string[];
  private readonly grains: Set<string>;

  constructor(model: SemanticModel) {
    for (const table of model.tables) {
      for (const entity of table.entities) {
        this.entities.add(entity.name);
        for (const dimension of table.dimensions) this.qualified.add(`${entity.name}__${dimension.name}`);
      }
    }
    this.metrics = model.metrics.map((metric) => metric.name);
    this.grains = new Set([...TIME_GRANULARITIES, ...model.timeSpines.flatMap((spine) => spine.customGranularities.map((custom) => custom.name.toLowerCase()))]);
  }

  get entityNames(): string[] {
    return [...this.entities];
  }

  get dimensionNames(): string[] {
    return [...this.qualified];
  }

  private isGrainOrDatePart(part: string): boolean {
    return this.grains.has(part.toLowerCase()) || /^extract_[a-z]+$/i.test(part);
  }

  isEntity(name: string): boolean {
    const parts = name.split('__');
    return parts.every((part) => this.entities.has(part));
  }

  isDimension(name: string): boolean {
    const parts = name.split('__');
    if (parts[0] === 'metric_time') return parts.length === 1 || (parts.length === 2 && this.isGrainOrDatePart(parts[1]!));
    const resolves = (path: string[]) => path.length >= 2 && path.slice(0, -2).every((part) => this.entities.has(part)) && this.qualified.has(path.slice(-2).join('__'));
    return resolves(parts) || (parts.length >= 3 && this.isGrainOrDatePart(parts.at(-1)!) && resolves(parts.slice(0, -1)));
  }
}

interface TemplateReference {
  kind: 'Dimension' | 'TimeDimension' | 'Entity' | 'Metric';
  name: string;
  /** entity_path for dimensions; group_by for metrics. */
  lists: string[];
}

export function templateReferences(text: string): TemplateReference[] {
  const references: TemplateReference[] = [];
  for (const match of text.matchAll(TEMPLATE)) {
    const [, kind, args] = match;
    const quoted = [...args!.matchAll(QUOTED)].map((found) => found[2]!);
    const firstList = args!.indexOf('[');
    const name = quoted[0];
    if (name === undefined) continue;
    const lists = firstList >= 0 ? [...args!.slice(firstList).matchAll(QUOTED)].map((found) => found[2]!) : [];
    references.push({ kind: kind as TemplateReference['kind'], name, lists });
  }
  return references;
}

function checkReferencesIn(text: string, context: string, location: SourceLocation | undefined, resolver: NameResolver, report: Reporter, plainNames = false): void {
  const unresolved = (what: string, name: string, known: string[], hint: string) =>
    report('warning', 'unresolved_filter_reference', `Unknown ${what} "${name}" in ${context}`, location, hint, closestNames(name, known));
  const dimensionHint = 'Name a dimension as entity__dimension, with an entity of the semantic model that holds it (e.g. Dimension(\'customer__region\')), or metric_time.';
  const entityHint = `Known entities: ${listed(resolver.entityNames)}.`;
  const references = templateReferences(text);
  if (plainNames && references.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(text.trim())) {
    const name = text.trim();
    if (!resolver.isDimension(name) && !resolver.isEntity(name)) unresolved('dimension', name, resolver.dimensionNames, dimensionHint);
    return;
  }
  for (const reference of references) {
    switch (reference.kind) {
      case 'Dimension':
      case 'TimeDimension':
        if (!resolver.isDimension(reference.name)) unresolved('dimension', reference.name, resolver.dimensionNames, dimensionHint);
        for (const entity of reference.lists) if (!resolver.isEntity(entity)) unresolved('entity', entity, resolver.entityNames, entityHint);
        break;
      case 'Entity':
        if (!resolver.isEntity(reference.name)) unresolved('entity', reference.name, resolver.entityNames, entityHint);
        break;
      case 'Metric':
        if (!resolver.metrics.includes(reference.name)) unresolved('metric', reference.name, resolver.metrics, `Known metrics: ${listed(resolver.metrics)}.`);
        for (const groupBy of reference.lists) {
          if (!resolver.isEntity(groupBy) && !resolver.isDimension(groupBy)) unresolved('entity', groupBy, resolver.entityNames, entityHint);
        }
        break;
    }
  }
}

function checkFilterReferences(model: SemanticModel, report: Reporter): void {
  const resolver = new NameResolver(model);
  for (const metric of model.metrics) {
    const context = `the filter of metric "${metric.name}"`;
    for (const filter of metric.filter) checkReferencesIn(filter, context, metric.location, resolver, report);
    for (const reference of [...measureReferencesOf(metric), ...metricInputsOf(metric)]) {
      for (const filter of reference.filter) checkReferencesIn(filter, context, locationOf(reference, metric.location), resolver, report);
    }
  }
}

function checkSavedQueries(model: SemanticModel, report: Reporter): void {
  const resolver = new NameResolver(model);
  for (const query of model.savedQueries) {
    for (const name of query.metrics) {
      if (resolver.metrics.includes(name)) continue;
      report('error', 'unknown_metric', `Unknown metric "${name}" in saved query "${query.name}"`, query.location, `Known metrics: ${listed(resolver.metrics)}.`, closestNames(name, resolver.metrics));
    }
    for (const item of query.groupBy) checkReferencesIn(item, `the group_by of saved query "${query.name}"`, query.location, resolver, report, true);
    for (const item of query.where) checkReferencesIn(item, `the where of saved query "${query.name}"`, query.location, resolver, report);
    for (const item of query.orderBy) {
      const name = item.trim().replace(/^-/, '');
      if (resolver.metrics.includes(name)) continue;
      checkReferencesIn(name, `the order_by of saved query "${query.name}"`, query.location, resolver, report, true);
    }
  }
}

function checkCatalog(model: SemanticModel, catalog: CatalogForValidation, report: Reporter): void {
  const byName = new Map(catalog.tables.map((table) => [table.name.toLowerCase(), table]));
  const names = catalog.tables.map((table) => table.name);
  const find = (schema: string | undefined, table: string) => {
    const wanted = (schema ? `${schema}.${table}` : table).toLowerCase();
    const exact = byName.get(wanted);
    if (exact) return exact;
    return catalog.tables.find((candidate) => candidate.name.toLowerCase().endsWith(`.${wanted}`));
  };
  const physicalName = (schema: string | undefined, table: string) => (schema ? `${schema}.${table}` : table);
  for (const table of model.tables) {
    const shown = physicalName(table.physical.schema, table.physical.table);
    const found = find(table.physical.schema, table.physical.table);
    if (!found) {
      report('warning', 'unknown_physical_table', `Table "${shown}" of semantic model "${table.name}" is not in the datasource catalog`, table.location, 'Check the table name, semantic_models.refs and placeholders in stratum.yaml, and the default datasource.', closestNames(shown, names));
      continue;
    }
    const columns = found.columns.map((column) => column.name);
    const lower = new Set(columns.map((column) => column.toLowerCase()));
    for (const field of [...table.entities, ...table.dimensions, ...table.measures]) {
      const column = field.expr.replace(/^"(.*)"$/, '$1');
      if (!isPlainColumn(field.expr) || lower.has(column.toLowerCase())) continue;
      report('warning', 'unknown_column', `Column "${column}" of "${field.name}" in semantic model "${table.name}" is not in table "${found.name}"`, field.location, `Columns of ${found.name}: ${listed(columns)}.`, closestNames(column, columns));
    }
  }
  for (const spine of model.timeSpines) {
    const shown = physicalName(spine.physical.schema, spine.physical.table);
    const found = find(spine.physical.schema, spine.physical.table);
    if (!found) report('warning', 'unknown_physical_table', `Time spine table "${shown}" is not in the datasource catalog`, undefined, 'Create the time spine table or fix its name; metrics that join to the time spine need it.', closestNames(shown, names));
  }
}

function listed(names: readonly string[], max = 25): string {
  if (names.length === 0) return '(none)';
  return names.length > max ? `${names.slice(0, max).join(', ')}, ... (${names.length - max} more)` : names.join(', ');
}
