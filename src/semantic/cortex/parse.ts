import { basename, extname, resolve } from 'node:path';
import { didYouMean } from '../../errors.js';
import type { Dimension, ExpressionMetric, LogicalTable, Measure, NamedFilter, ParseOptions, PhysicalTable, Relationship, SemanticModel, VerifiedQuery } from '../ir.js';
import { parseYamlFile, type ParsedYamlFile } from '../yaml.js';
import { deriveEntities, type ColumnRef, type ParsedTable, type ResolvedRelationship } from './entities.js';
import { relaxQuotedIndentation, type RelaxedQuote } from './lenient.js';
import { capitalize, isMapping, MappingReader, YamlSource, type Describe } from './reader.js';
import { ACCESS_MODIFIERS, COLUMN_KINDS, CORTEX_AGGREGATIONS, CORTEX_KEYS, JOIN_TYPES, METRICFLOW_KEYS, RELATIONSHIP_TYPES, timeGranularityOf } from './spec.js';

/**
 * Snowflake Cortex Analyst semantic model YAML -> the IR. This stage reports only what a reader of
 * the file can see: syntax, missing or mistyped fields, unknown keys, duplicate names within a
 * table, and relationships naming tables or columns that do not exist (Cortex joins name logical
 * columns, so that check needs the format). Format-agnostic reference checks live in validate.ts.
 */

const TABLE_CONTENT_KEYS = ['base_table', 'primary_key', 'dimensions', 'time_dimensions', 'facts', 'measures'];

/** A Cortex model: a top-level `tables:` list of logical tables (with `base_table`), and no MetricFlow keys. */
export function isCortexDocument(value: unknown): boolean {
  if (!isMapping(value) || METRICFLOW_KEYS.some((key) => key in value) || !Array.isArray(value.tables)) return false;
  // Any table that looks like one is enough, so a model with one broken table is still read and reported.
  return value.tables.some((table) => isMapping(table) && TABLE_CONTENT_KEYS.some((key) => key in table));
}

/** Parses one Cortex Analyst YAML file. Never throws: everything wrong ends up in `problems`. */
export function parseCortex(file: { path: string; text: string }, _options: ParseOptions): SemanticModel {
  const path = resolve(file.path);
  const model: SemanticModel = {
    name: basename(file.path, extname(file.path)),
    format: 'cortex',
    path,
    files: [path],
    tables: [],
    metrics: [],
    relationships: [],
    filters: [],
    verifiedQueries: [],
    savedQueries: [],
    timeSpines: [],
    problems: [],
  };
  const { parsed, relaxed } = parseLeniently(file);
  model.problems.push(...parsed.problems);
  const [document, ...extra] = parsed.documents;
  if (!document) {
    if (parsed.problems.length === 0) {
      model.problems.push({
        severity: 'error',
        code: 'empty_model',
        message: `${file.path} holds no semantic model.`,
        hint: 'Write a Cortex Analyst model: name, tables (each with base_table), relationships and verified_queries.',
        location: { file: file.path, line: 1, column: 1 },
      });
    }
    return model;
  }
  const source = new YamlSource(document);
  for (const quote of relaxed) {
    source.report(
      'warning',
      'yaml_lenient',
      `The quoted value of "${quote.key}" continues on lines indented less than its key; read as Snowflake reads it.`,
      `Indent those lines under the key, or write the value as a block scalar (${quote.key}: |).`,
      { file: file.path, line: quote.line, column: quote.column },
    );
  }
  try {
    readModel(source, model);
  } catch (error) {
    // A parser bug must not hide the file: it is listed with this problem instead.
    source.report('error', 'internal_error', `Could not read ${file.path}: ${error instanceof Error ? error.message : String(error)}.`, 'This is a Stratum bug; please report it with the file.', { file: file.path, line: 1, column: 1 });
  }
  for (const other of extra) {
    source.report('warning', 'extra_document', 'A Cortex Analyst model is one YAML document; this and any later documents are ignored.', 'Move each model into its own file.', other.locate([]));
  }
  model.problems.push(...source.problems);
  return model;
}

/** Strict YAML first; a file only Snowflake's lenient reader accepts is re-indented and read again. */
function parseLeniently(file: { path: string; text: string }): { parsed: ParsedYamlFile; text: string; relaxed: RelaxedQuote[] } {
  const parsed = parseYamlFile(file.path, file.text);
  if (parsed.problems.length === 0) return { parsed, text: file.text, relaxed: [] };
  const lenient = relaxQuotedIndentation(file.text);
  if (lenient.relaxed.length === 0) return { parsed, text: file.text, relaxed: [] };
  const again = parseYamlFile(file.path, lenient.text);
  return again.problems.length === 0 ? { parsed: again, text: lenient.text, relaxed: lenient.relaxed } : { parsed, text: file.text, relaxed: [] };
}

function readModel(source: YamlSource, model: SemanticModel): void {
  if (!isMapping(source.document.value)) {
    source.report('error', 'wrong_type', 'A Cortex Analyst semantic model must be a mapping with name and tables.', 'Start the file with name: <model name> followed by tables:.', source.locate([]));
    return;
  }
  const root = new MappingReader(source, source.document.value, [], 'the semantic model');
  root.checkKeys(CORTEX_KEYS.model);
  const name = root.string('name');
  if (name) model.name = name;
  else root.warning('missing_key', `The semantic model has no "name"; it is named "${model.name}" after its file.`, 'Add name: <model name> at the top of the file.');
  const description = root.string('description');
  if (description) model.description = description;

  const tables = root
    .list('tables', named('table'), { required: true, hint: 'Add tables: with at least one logical table (name, base_table, dimensions, facts, ...).' })
    .flatMap((reader) => readTable(reader) ?? []);
  model.tables = tables.map((parsed) => parsed.table);
  model.metrics = tables.flatMap((parsed) => parsed.metrics);
  model.metrics.push(...root.list('metrics', named('model metric')).flatMap((reader) => readMetric(reader, CORTEX_KEYS.metric) ?? []));
  model.filters = root.list('filters', named('model filter')).flatMap((reader) => readFilter(reader) ?? []);

  const index = new TableIndex(tables);
  const joins = [
    ...tables.flatMap((parsed) => readForeignKeys(parsed, index)),
    ...root.list('relationships', named('relationship')).flatMap((reader) => readRelationship(reader, index) ?? []),
  ];
  model.relationships = joins.map((join) => join.relationship);
  deriveEntities(tables, joins);

  model.verifiedQueries = root.list('verified_queries', named('verified query')).flatMap((reader) => readVerifiedQuery(reader) ?? []);
  const instructions = readCustomInstructions(root);
  if (instructions) model.customInstructions = instructions;
}

function named(kind: string, parent?: string): Describe {
  const suffix = parent ? ` of ${parent}` : '';
  return (name, index) => (name ? `${kind} "${name}"${suffix}` : `${kind} #${index + 1}${suffix}`);
}

/** Drops keys whose value is undefined, so IR objects only carry what the source said. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

function readTable(reader: MappingReader): ParsedTable | undefined {
  reader.checkKeys(CORTEX_KEYS.table);
  const name = reader.string('name', { required: true, hint: 'Add name: <logical table name>; questions, relationships and verified queries refer to the table by it.' });
  const synonyms = reader.strings('synonyms');
  const description = reader.string('description');
  const physical = readBaseTable(reader, name);
  const primaryKeyReader = reader.mapping('primary_key', `the primary_key of ${reader.owner}`);
  primaryKeyReader?.checkKeys(CORTEX_KEYS.primaryKey);
  const primaryKey = primaryKeyReader?.strings('columns', { required: true, hint: 'Add columns: [<key column>, ...], the base-table columns that identify a row.' }) ?? [];
  const table: LogicalTable = compact({ name: name ?? '', description, synonyms, location: reader.location, physical, primaryKey, entities: [], dimensions: [], measures: [], filters: [] });
  const metrics: ExpressionMetric[] = [];

  // Dimensions, time dimensions, facts and metrics share one namespace per table; filters have their own.
  const columnNames = new NameClaims(reader.owner, 'Names of dimensions, time dimensions, facts and metrics must be unique within a table; rename one of them.');
  const filterNames = new NameClaims(reader.owner, 'Filter names must be unique within a table; rename one of them.');
  const addDimension = (item: MappingReader, kind: Dimension['kind'], keys: readonly string[]) => {
    const dimension = readDimension(item, kind, keys);
    if (dimension && columnNames.claim(kind === 'time' ? 'time dimension' : 'dimension', dimension.name, item)) table.dimensions.push(dimension);
  };
  const addMeasure = (item: MappingReader, kind: string, keys: readonly string[]) => {
    const measure = readFact(item, keys);
    if (measure && columnNames.claim(kind, measure.name, item)) table.measures.push(measure);
  };
  const addMetric = (item: MappingReader, keys: readonly string[]) => {
    const metric = readMetric(item, keys, name);
    if (metric && columnNames.claim('metric', metric.name, item)) metrics.push(metric);
  };

  for (const item of reader.list('dimensions', named('dimension', reader.owner))) addDimension(item, 'categorical', CORTEX_KEYS.dimension);
  for (const item of reader.list('time_dimensions', named('time dimension', reader.owner))) addDimension(item, 'time', CORTEX_KEYS.timeDimension);
  for (const item of reader.list('facts', named('fact', reader.owner))) addMeasure(item, 'fact', CORTEX_KEYS.fact);
  for (const item of reader.list('measures', named('measure', reader.owner))) addMeasure(item, 'measure', CORTEX_KEYS.fact);
  for (const item of reader.list('metrics', named('metric', reader.owner))) addMetric(item, CORTEX_KEYS.metric);
  for (const item of reader.list('columns', named('column', reader.owner))) {
    const kind = item.choice('kind', COLUMN_KINDS);
    if (kind === undefined && item.value.kind === undefined) item.error('missing_key', `${capitalize(item.owner)} has no "kind".`, `Add kind: one of ${COLUMN_KINDS.join(', ')}.`);
    if (kind === 'dimension') addDimension(item, 'categorical', CORTEX_KEYS.column);
    else if (kind === 'time_dimension') addDimension(item, 'time', CORTEX_KEYS.column);
    else if (kind === 'measure' || kind === 'fact') addMeasure(item, kind, CORTEX_KEYS.column);
    else if (kind === 'metric') addMetric(item, CORTEX_KEYS.column);
  }
  for (const item of reader.list('filters', named('filter', reader.owner))) {
    const filter = readFilter(item, name);
    if (filter && filterNames.claim('filter', filter.name, item)) table.filters.push(filter);
  }
  if (!name) return undefined;

  const columns = new Map<string, ColumnRef>();
  for (const column of [...table.dimensions, ...table.measures]) columns.set(column.name.toLowerCase(), { name: column.name, expr: column.expr });
  for (const key of primaryKey) if (!columns.has(key.toLowerCase())) columns.set(key.toLowerCase(), { name: key, expr: key });
  return { table, metrics, columns, reader, primaryKeyLocation: primaryKeyReader?.location };
}

/** First use of a name wins; a later use is a `duplicate_name` error at the later name. */
class NameClaims {
  private readonly seen = new Map<string, { kind: string; name: string; line: number }>();

  constructor(
    private readonly owner: string,
    private readonly hint: string,
  ) {}

  claim(kind: string, name: string, item: MappingReader): boolean {
    const first = this.seen.get(name.toLowerCase());
    if (!first) {
      this.seen.set(name.toLowerCase(), { kind, name, line: item.location.line });
      return true;
    }
    item.error('duplicate_name', `Duplicate name "${name}" in ${this.owner}: the ${first.kind} "${first.name}" at line ${first.line} already uses it.`, this.hint, item.locationOf('name'));
    return false;
  }
}

function readBaseTable(reader: MappingReader, name: string | undefined): PhysicalTable {
  const base = reader.mapping('base_table', `the base_table of ${reader.owner}`, { required: true, hint: 'Add base_table: {database: ..., schema: ..., table: ...} naming the physical table or view.' });
  base?.checkKeys(CORTEX_KEYS.baseTable);
  const database = base?.string('database');
  const schema = base?.string('schema');
  const table = base?.string('table', { required: true, hint: 'Add table: <physical table or view> under base_table.' }) ?? name ?? '';
  return compact({ database, schema, table, source: [database, schema, table].filter(Boolean).join('.') });
}

function readSearchService(reader: MappingReader): void {
  reader.string('cortex_search_service_name');
  const service = reader.mapping('cortex_search_service', `the cortex_search_service of ${reader.owner}`);
  service?.checkKeys(CORTEX_KEYS.cortexSearchService);
  service?.string('service', { required: true, hint: 'Add service: <Cortex Search Service name>.' });
  for (const key of ['database', 'schema', 'literal_column']) service?.string(key);
}

function readDimension(reader: MappingReader, kind: Dimension['kind'], keys: readonly string[]): Dimension | undefined {
  reader.checkKeys(keys);
  const name = reader.string('name', { required: true });
  const synonyms = reader.strings('synonyms');
  const description = reader.string('description');
  const expr = reader.string('expr', { required: true, hint: 'Add expr: a SQL expression over the base table, usually the physical column name.' });
  const dataType = reader.string('data_type');
  reader.boolean('unique');
  const sampleValues = reader.strings('sample_values');
  const isEnum = kind === 'categorical' ? reader.boolean('is_enum') : undefined;
  if (kind === 'categorical') readSearchService(reader);
  if (!name) return undefined;
  return compact({
    name,
    description,
    synonyms,
    location: reader.location,
    kind,
    // A dimension without expr is already an error; its name is the likeliest column meanwhile.
    expr: expr ?? name,
    dataType,
    sampleValues,
    isEnum,
    timeGranularity: kind === 'time' ? timeGranularityOf(dataType) : undefined,
  });
}

function readFact(reader: MappingReader, keys: readonly string[]): Measure | undefined {
  reader.checkKeys(keys);
  const name = reader.string('name', { required: true });
  const synonyms = reader.strings('synonyms');
  const description = reader.string('description');
  const expr = reader.string('expr', { required: true, hint: 'Add expr: a SQL expression over the base table, e.g. the amount column.' });
  const dataType = reader.string('data_type');
  const aggregation = reader.choice('default_aggregation', Object.keys(CORTEX_AGGREGATIONS), 'invalid_aggregation');
  const sampleValues = reader.strings('sample_values');
  reader.choice('access_modifier', ACCESS_MODIFIERS);
  if (!name) return undefined;
  return compact({ name, description, synonyms, location: reader.location, agg: aggregation === undefined ? undefined : CORTEX_AGGREGATIONS[aggregation], expr: expr ?? name, dataType, sampleValues });
}

/** Table-level metrics carry their table; model-level (derived) metrics have none. */
function readMetric(reader: MappingReader, keys: readonly string[], table?: string): ExpressionMetric | undefined {
  reader.checkKeys(keys);
  const name = reader.string('name', { required: true });
  const synonyms = reader.strings('synonyms');
  const description = reader.string('description');
  const expr = reader.string('expr', { required: true, hint: 'Add expr: an aggregate SQL expression, e.g. SUM(amount).' });
  reader.choice('access_modifier', ACCESS_MODIFIERS);
  const filter: string[] = [];
  if (typeof reader.value.filter === 'string') filter.push(reader.value.filter.trim());
  else {
    const filterReader = reader.mapping('filter', `the filter of ${reader.owner}`);
    filterReader?.checkKeys(CORTEX_KEYS.metricFilter);
    const filterExpr = filterReader?.string('expr', { required: true, hint: 'Add expr: a SQL condition, e.g. status <> \'cancelled\'.' });
    if (filterExpr) filter.push(filterExpr);
  }
  if (!name || !expr) return undefined;
  return compact({ type: 'expression' as const, name, description, synonyms, location: reader.location, expr, filter, table });
}

function readFilter(reader: MappingReader, table?: string): NamedFilter | undefined {
  reader.checkKeys(CORTEX_KEYS.filter);
  const name = reader.string('name', { required: true });
  const synonyms = reader.strings('synonyms');
  const description = reader.string('description');
  const expr = reader.string('expr', { required: true, hint: 'Add expr: a SQL condition over the table\'s columns, e.g. status <> \'cancelled\'.' });
  if (!name || !expr) return undefined;
  return compact({ name, description, synonyms, location: reader.location, expr, table });
}

/** Logical tables by name: exact first, then case-insensitively (Snowflake folds unquoted names). */
class TableIndex {
  constructor(private readonly tables: ParsedTable[]) {}

  find(name: string): ParsedTable | undefined {
    return this.tables.find((parsed) => parsed.table.name === name) ?? this.tables.find((parsed) => parsed.table.name.toLowerCase() === name.toLowerCase());
  }

  findPhysical(wanted: { database?: string | undefined; schema?: string | undefined; table: string }): ParsedTable | undefined {
    const same = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a.toLowerCase() === b.toLowerCase();
    return this.tables.find(({ table: { physical } }) => same(physical.table, wanted.table) && same(physical.schema, wanted.schema) && same(physical.database, wanted.database));
  }

  names(): string[] {
    return this.tables.map((parsed) => parsed.table.name);
  }
}

function resolveTable(reader: MappingReader, key: string, index: TableIndex): ParsedTable | undefined {
  const name = reader.string(key, { required: true, hint: `Add ${key}: the name of a logical table under tables.` });
  if (!name) return undefined;
  const found = index.find(name);
  if (!found) {
    reader.error('unknown_table', `${capitalize(reader.owner)} refers to unknown table "${name}" (${key}).${didYouMean(name, index.names())}`, `Known tables: ${index.names().join(', ')}.`, reader.locationOf(key));
  }
  return found;
}

function resolveColumn(reader: MappingReader, key: string, table: ParsedTable | undefined, relationship: string): ColumnRef | undefined {
  const name = reader.string(key, { required: true, hint: `Add ${key}: a dimension, time dimension, fact or primary key column of the ${key.startsWith('left') ? 'left' : 'right'} table.` });
  if (!name || !table) return undefined;
  const found = table.columns.get(name.toLowerCase());
  if (!found) {
    const known = [...table.columns.values()].map((column) => column.name);
    reader.error(
      'unknown_relationship_column',
      `${capitalize(relationship)} joins on "${name}" (${key}), which is not a dimension, time dimension, fact or primary key column of table "${table.table.name}".${didYouMean(name, known)}`,
      `Columns of table "${table.table.name}": ${known.join(', ')}.`,
      reader.locationOf(key),
    );
  }
  return found;
}

/** A relationship with a bad table, column or type is reported and left out, so no later stage joins on it. */
function readRelationship(reader: MappingReader, index: TableIndex): ResolvedRelationship | undefined {
  const errorsBefore = reader.source.errorCount();
  reader.checkKeys(CORTEX_KEYS.relationship);
  const name = reader.string('name', { required: true, hint: 'Add name: a unique name for the join, e.g. orders_to_customers.' });
  const left = resolveTable(reader, 'left_table', index);
  const right = resolveTable(reader, 'right_table', index);
  reader.string('expr');
  const pairs: ResolvedRelationship['pairs'] = [];
  const columnList = reader.list('relationship_columns', (_, position) => `relationship column #${position + 1} of ${reader.owner}`, {
    required: true,
    hint: 'Add relationship_columns: [{left_column: ..., right_column: ...}], the columns the tables are joined on.',
  });
  for (const item of columnList) {
    item.checkKeys(CORTEX_KEYS.relationshipColumn);
    const leftColumn = resolveColumn(item, 'left_column', left, reader.owner);
    const rightColumn = resolveColumn(item, 'right_column', right, reader.owner);
    if (leftColumn && rightColumn) pairs.push({ left: leftColumn, right: rightColumn });
  }
  const joinType = readDefaulted(reader, 'join_type', JOIN_TYPES, 'left_outer');
  const relationshipType = readDefaulted(reader, 'relationship_type', RELATIONSHIP_TYPES, 'many_to_one');
  if (!name || !left || !right || !joinType || !relationshipType || pairs.length === 0 || reader.source.errorCount() > errorsBefore) return undefined;
  return {
    left,
    right,
    pairs,
    relationship: {
      name,
      leftTable: left.table.name,
      rightTable: right.table.name,
      columns: pairs.map((pair) => ({ left: pair.left.name, right: pair.right.name })),
      joinType,
      relationshipType,
      origin: 'declared',
      location: reader.location,
    },
  };
}

/** Cortex requires join_type and relationship_type; a missing one is warned about and takes the usual value. */
function readDefaulted<T extends string>(reader: MappingReader, key: string, allowed: readonly T[], fallback: T): T | undefined {
  if (reader.value[key] !== undefined && reader.value[key] !== null) return reader.choice(key, allowed);
  reader.warning('missing_key', `${capitalize(reader.owner)} has no "${key}"; assuming ${fallback}.`, `Add ${key}: one of ${allowed.join(', ')}.`);
  return fallback;
}

/** The proto's table-level `foreign_keys` (columns -> a base table's key) become many_to_one left joins. */
function readForeignKeys(parsed: ParsedTable, index: TableIndex): ResolvedRelationship[] {
  const out: ResolvedRelationship[] = [];
  for (const reader of parsed.reader.list('foreign_keys', named('foreign key', parsed.reader.owner))) {
    reader.checkKeys(CORTEX_KEYS.foreignKey);
    const foreignColumns = reader.strings('fkey_columns', { required: true, hint: 'Add fkey_columns: [<column>, ...] of this table.' });
    const target = reader.mapping('pkey_table', `the pkey_table of ${reader.owner}`, { required: true, hint: 'Add pkey_table: {database, schema, table} of the referenced base table.' });
    target?.checkKeys(CORTEX_KEYS.baseTable);
    const wanted = { database: target?.string('database'), schema: target?.string('schema'), table: target?.string('table', { required: true }) };
    const keyColumns = reader.strings('pkey_columns', { required: true, hint: 'Add pkey_columns: [<column>, ...] of the referenced table.' });
    if (!wanted.table) continue;
    const right = index.findPhysical({ ...wanted, table: wanted.table });
    const written = [wanted.database, wanted.schema, wanted.table].filter(Boolean).join('.');
    if (!right) {
      reader.error('unknown_table', `${capitalize(reader.owner)} refers to base table "${written}", which no logical table uses.`, 'Add a logical table with that base_table, or correct pkey_table.', reader.locationOf('pkey_table'));
      continue;
    }
    if (foreignColumns.length === 0 || foreignColumns.length !== keyColumns.length) {
      reader.error('invalid_value', `${capitalize(reader.owner)} pairs ${foreignColumns.length} fkey_columns with ${keyColumns.length} pkey_columns.`, 'List the same number of columns in fkey_columns and pkey_columns, in matching order.');
      continue;
    }
    const pairs = foreignColumns.map((column, position) => ({
      left: parsed.columns.get(column.toLowerCase()) ?? { name: column, expr: column },
      right: right.columns.get(keyColumns[position]!.toLowerCase()) ?? { name: keyColumns[position]!, expr: keyColumns[position]! },
    }));
    const relationship: Relationship = {
      name: `${parsed.table.name}_to_${right.table.name}`,
      leftTable: parsed.table.name,
      rightTable: right.table.name,
      columns: pairs.map((pair) => ({ left: pair.left.name, right: pair.right.name })),
      joinType: 'left_outer',
      relationshipType: 'many_to_one',
      origin: 'declared',
      location: reader.location,
    };
    out.push({ left: parsed, right, pairs, relationship });
  }
  return out;
}

function readVerifiedQuery(reader: MappingReader): VerifiedQuery | undefined {
  reader.checkKeys(CORTEX_KEYS.verifiedQuery);
  const name = reader.string('name');
  reader.string('semantic_model_name');
  const question = reader.string('question', { required: true, hint: 'Add question: the natural-language question this SQL answers.' });
  const sql = reader.string('sql', { required: true, hint: 'Add sql: the verified SQL that answers the question.' });
  const verifiedAt = readVerifiedAt(reader);
  const verifiedBy = reader.string('verified_by');
  const onboarding = reader.boolean('use_as_onboarding_question');
  if (!question || !sql) return undefined;
  return compact({ name: name ?? question, question, sql, verifiedAt, verifiedBy, onboarding, location: reader.location });
}

/** Cortex writes verified_at as seconds since the epoch (UTC); kept as an ISO timestamp, text as written. */
function readVerifiedAt(reader: MappingReader): string | undefined {
  const raw = reader.value.verified_at;
  if (typeof raw !== 'number') return reader.string('verified_at');
  const date = new Date(raw * 1000);
  if (!Number.isNaN(date.getTime())) return date.toISOString();
  reader.error('invalid_value', `verified_at of ${reader.owner} is not a valid time: ${raw}.`, 'Write verified_at as seconds since 1970-01-01 UTC, e.g. 1714752498.', reader.locationOf('verified_at'));
  return undefined;
}

/** `custom_instructions` and the per-module ones, joined (SQL generation first, then question categorization). */
function readCustomInstructions(root: MappingReader): string | undefined {
  const parts = [root.string('custom_instructions')];
  const modules = root.mapping('module_custom_instructions', 'module_custom_instructions');
  modules?.checkKeys(CORTEX_KEYS.moduleCustomInstructions);
  parts.push(modules?.string('sql_generation'));
  const categorization = modules?.string('question_categorization');
  if (categorization) parts.push(`Question categorization: ${categorization}`);
  return parts.filter((part): part is string => !!part).join('\n\n') || undefined;
}
