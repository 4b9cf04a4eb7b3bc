import { StratumError, closestNames, didYouMean, formatSuggestions } from '../../errors.js';
import type { Aggregation, ConversionMetric, Dimension, LogicalTable, Measure, MeasureReference, Metric, MetricInput, SimpleMetric, SemanticModel, TimeGranularity, TimeSpine } from '../ir.js';
import { TIME_GRANULARITIES } from '../ir.js';
import { and, binary, call, coalesce, col, lit, raw, sameValue, type DatePart, type Expr, type FromItem, type Join, type Select, type SelectItem } from '../sql/ast.js';
import { DUCKDB, renderSelect, type Dialect } from '../sql/render.js';
import { measureReferencesOf, metricInputsOf } from '../names.js';
import { elementName, findElement, linkableElements, localEntities, unknownItemError, type JoinHop, type LinkableElement } from './linking.js';
import { type CumulativeWindow, type TimeShift, parseWindow } from './plan.js';
import { filterReferences, customGranularities, isStandardGrain, parseItemName, parseOrderBy, substituteReferences, type FilterReference, type ItemRequest, type MetricQuery } from './query.js';

export interface CompileOptions {
  dialect?: Dialect;
}

export interface CompiledQuery {
  sql: string;
  /** Output columns in order. */
  columns: string[];
  /** What the SQL computes, for a person: metrics, joins, time handling. */
  explanation: string;
}

const grainIndex = (grain: string) => (TIME_GRANULARITIES as readonly string[]).indexOf(grain);
const finer = (a: TimeGranularity, b: TimeGranularity) => (grainIndex(a) <= grainIndex(b) ? a : b);

/** A group-by or filter item as one measure sees it: where its value comes from and its column name. */
interface ResolvedItem {
  column: string;
  request: ItemRequest;
  /** metric_time, or an element reachable from the measure's table. */
  metricTime: boolean;
  /** The measure's own time dimension (`booking__ds__day`): re-dated through the spine like metric_time. */
  aggTime?: boolean;
  element?: LinkableElement;
  grain?: string;
  datePart?: DatePart;
}

/** A node of the metric tree as SQL: group-by key columns plus one value column. */
interface MetricNode {
  query: Select;
  value: string;
  /** fill_nulls_with: applied again wherever the node is combined with others. */
  fill?: number;
}

/** A table as it appears in a FROM clause: a subquery over the physical table naming what is needed. */
class TableInstance {
  readonly columns = new Map<string, { alias: string; expr: Expr }>();
  constructor(
    readonly table: LogicalTable,
    readonly alias: string,
  ) {}

  /** The alias under which `expr` (keyed by `key`) is selected, adding it on first use. */
  use(key: string, expr: Expr): Expr {
    let entry = this.columns.get(key);
    if (!entry) {
      const base = key.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
      let alias = base;
      for (let n = 2; [...this.columns.values()].some((other) => other.alias === alias); n++) alias = `${base}_${n}`;
      entry = { alias, expr };
      this.columns.set(key, entry);
    }
    return col(this.alias, entry.alias);
  }

  fromItem(): FromItem {
    const physical = this.table.physical;
    const source: FromItem = { kind: 'table', ...(physical.database ? { database: physical.database } : {}), ...(physical.schema ? { schema: physical.schema } : {}), name: physical.table, alias: `${this.table.name}_src` };
    const columns: SelectItem[] = [...this.columns.values()].map((entry) => ({ expr: entry.expr, alias: entry.alias }));
    if (!columns.length) columns.push({ expr: lit(1), alias: 'one' });
    return { kind: 'subquery', alias: this.alias, query: { columns, from: source } };
  }
}

/** Compiles metric queries over one semantic model into SQL for one dialect. */
export class MetricQueryCompiler {
  private readonly dialect: Dialect;
  private readonly customGrains: Map<string, { grain: TimeGranularity; column: string }>;
  private readonly metricsByName = new Map<string, Metric>();
  private readonly measures = new Map<string, { measure: Measure; table: LogicalTable }>();
  private readonly customGrainNames: ReadonlySet<string>;
  private readonly elementsByTable = new Map<LogicalTable, LinkableElement[]>();
  private knownNames: string[] | undefined;
  private aliasCounter = 0;
  private explanation: string[] = [];

  constructor(
    readonly model: SemanticModel,
    options: CompileOptions = {},
  ) {
    this.dialect = options.dialect ?? DUCKDB;
    this.customGrains = customGranularities(model);
    this.customGrainNames = new Set(this.customGrains.keys());
    for (const metric of model.metrics) this.metricsByName.set(metric.name.toLowerCase(), metric);
    for (const table of model.tables) for (const measure of table.measures) this.measures.set(measure.name.toLowerCase(), { measure, table });
  }

  compile(input: MetricQuery): CompiledQuery {
    this.aliasCounter = 0;
    this.explanation = [];
    const query = this.withSavedQuery(input);
    const metrics = (query.metrics ?? []).map((name) => this.metric(name));
    const requests = (query.groupBy ?? []).map((item) => parseItemName(item, this.customGrainNames));
    this.checkGrains(requests);
    const defaultGrain = this.defaultMetricTimeGrain(metrics);
    const context: QueryContext = { requests, where: query.where ?? [], defaultGrain, query, columns: new Map() };

    let select: Select;
    let outputColumns: string[];
    if (metrics.length === 0) {
      if (!requests.length) throw new StratumError('INVALID_ARGUMENT', 'The query names no metrics and no group-by items.', 'Give metrics (e.g. ["revenue"]) and/or group_by items (e.g. ["customer__region"]).');
      ({ select, columns: outputColumns } = this.dimensionValues(context));
    } else {
      const nodes = metrics.map((metric) => this.metricNode(metric, context, { filters: [], shifts: [], alias: metric.name }));
      const keys = this.keyColumns(context);
      const combined = this.combine(nodes, keys);
      outputColumns = [...keys, ...nodes.map((node) => node.value)];
      select = {
        columns: outputColumns.map((name) => ({ expr: col('metrics', name) })),
        from: { kind: 'subquery', query: combined.query, alias: 'metrics' },
      };
    }
    this.applyOrderAndLimit(select, query, outputColumns, context);
    return { sql: renderSelect(select, this.dialect), columns: outputColumns, explanation: this.explanation.join('\n') };
  }

  private withSavedQuery(query: MetricQuery): MetricQuery {
    if (!query.savedQuery) return query;
    const saved = this.model.savedQueries.find((candidate) => candidate.name.toLowerCase() === query.savedQuery!.toLowerCase());
    if (!saved) {
      const known = this.model.savedQueries.map((candidate) => candidate.name);
      throw new StratumError('INVALID_ARGUMENT', `Unknown saved query "${query.savedQuery}".${didYouMean(query.savedQuery, known)}`, known.length ? `Saved queries of ${this.model.name}: ${known.join(', ')}.` : `Semantic model ${this.model.name} defines no saved queries.`);
    }
    this.explanation.push(`Saved query ${saved.name}.`);
    const groupBy = saved.groupBy.map((item) => item.replace(/(?:\{\{)?\s*(?:Dimension|TimeDimension|Entity)\s*\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"])?[^)]*\)(?:\.grain\(\s*['"]([^'"]+)['"]\s*\))?\s*(?:\}\})?/, (_, name: string, grain?: string, chained?: string) => ((grain ?? chained) ? `${name}__${grain ?? chained}` : name)).trim());
    return {
      ...query,
      metrics: query.metrics?.length ? query.metrics : saved.metrics,
      groupBy: query.groupBy?.length ? query.groupBy : groupBy,
      where: [...saved.where, ...(query.where ?? [])],
      orderBy: query.orderBy?.length ? query.orderBy : saved.orderBy,
      ...(query.limit ?? saved.limit) !== undefined ? { limit: query.limit ?? saved.limit } : {},
    };
  }

  private metric(name: string): Metric {
    const metric = this.metricsByName.get(name.trim().toLowerCase());
    if (metric) return metric;
    // In a Cortex model, a fact with a default aggregation is a metric of its own.
    const fact = this.model.format === 'cortex' ? this.measures.get(name.trim().toLowerCase()) : undefined;
    if (fact && this.aggregationOf(fact.measure)) {
      if (!fact.measure.agg) this.explanation.push(`${fact.measure.name} has no default_aggregation; it is summed.`);
      const simple: SimpleMetric = { type: 'simple', name: fact.measure.name, filter: [], measure: { name: fact.measure.name, filter: [] }, synonyms: [], table: fact.table.name };
      return simple;
    }
    const known = [...this.metricsByName.values()].map((candidate) => candidate.name);
    if (this.model.format === 'cortex') known.push(...[...this.measures.values()].filter((entry) => this.aggregationOf(entry.measure)).map((entry) => entry.measure.name));
    throw new StratumError(
      'INVALID_ARGUMENT',
      `Unknown metric "${name}" in semantic model ${this.model.name}.${formatSuggestions(closestNames(name, known))}`,
      `Known metrics: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', ...' : ''}. list_semantic_models / load_semantic_model show them all.`,
    );
  }

  private checkGrains(requests: ItemRequest[]): void {
    for (const request of requests) {
      if (request.grain && request.datePart) throw new StratumError('INVALID_ARGUMENT', `"${request.text}" has both a grain and a date part.`, 'Use one: metric_time__month or metric_time__extract_month.');
    }
  }

  /**
   * MetricFlow: `metric_time` without a grain means each metric's `time_granularity`, else the finest
   * grain of its measures' time dimensions (sub-daily ones answer at day); across metrics, the coarsest.
   */
  private defaultMetricTimeGrain(metrics: Metric[]): TimeGranularity {
    const measureGrain = (metric: Metric, seen: Set<Metric>): TimeGranularity | undefined => {
      if (seen.has(metric)) return undefined;
      seen.add(metric);
      const grains: TimeGranularity[] = [];
      for (const reference of measureReferencesOf(metric)) {
        const found = this.measures.get(reference.name.toLowerCase());
        if (!found) continue;
        grains.push((this.aggTimeDimension(found.measure, found.table, false)?.timeGranularity ?? 'day') as TimeGranularity);
      }
      for (const input of metricInputsOf(metric)) {
        const inner = this.metricsByName.get(input.name.toLowerCase());
        const grain = inner ? measureGrain(inner, seen) : undefined;
        if (grain) grains.push(grain);
      }
      return grains.length ? grains.reduce(finer) : undefined;
    };
    const perMetric = metrics.map((metric) => {
      if (metric.timeGranularity && isStandardGrain(metric.timeGranularity)) return metric.timeGranularity;
      const grain = measureGrain(metric, new Set()) ?? 'day';
      return grainIndex(grain) < grainIndex('day') ? 'day' : grain;
    });
    return perMetric.length ? perMetric.reduce((a, b) => (grainIndex(a) >= grainIndex(b) ? a : b)) : 'day';
  }

  private aggTimeDimension(measure: Measure, table: LogicalTable, required: true): Dimension;
  private aggTimeDimension(measure: Measure, table: LogicalTable, required: boolean): Dimension | undefined;
  private aggTimeDimension(measure: Measure, table: LogicalTable, required: boolean): Dimension | undefined {
    const name = measure.aggTimeDimension ?? table.defaultAggTimeDimension;
    // A Cortex table names no aggregation time: its first time dimension is the one.
    const dimension = name ? table.dimensions.find((candidate) => candidate.name === name && candidate.kind === 'time') : this.model.format === 'cortex' ? table.dimensions.find((candidate) => candidate.kind === 'time') : undefined;
    if (!dimension && required) {
      throw new StratumError(
        'INVALID_ARGUMENT',
        `Measure "${measure.name}" of ${table.name} has no time dimension, so metric_time and time windows cannot apply to it.`,
        `Give ${table.name} defaults.agg_time_dimension (or the measure agg_time_dimension), or drop metric_time from the query.`,
      );
    }
    return dimension;
  }

  /** What one table reaches; computed once per table and compile. */
  private elements(table: LogicalTable): LinkableElement[] {
    let elements = this.elementsByTable.get(table);
    if (!elements) {
      elements = linkableElements(this.model, table);
      this.elementsByTable.set(table, elements);
    }
    return elements;
  }

  /** Every name reachable from any table, for error messages only. */
  private get allNames(): string[] {
    this.knownNames ??= this.model.tables.flatMap((table) => this.elements(table).map(elementName));
    return this.knownNames;
  }

  private nextAlias(prefix: string): string {
    this.aliasCounter += 1;
    return `${prefix}_${this.aliasCounter}`;
  }

  /** Output column names of the group-by items, fixed once for the whole query. */
  private keyColumns(context: QueryContext): string[] {
    return context.requests.map((request) => this.columnName(request, context));
  }

  private columnName(request: ItemRequest, context: QueryContext, element?: LinkableElement): string {
    const key = request.text.toLowerCase() + (request.grain ?? '') + (request.datePart ?? '');
    const known = context.columns.get(key);
    if (known) return known;
    let name: string;
    if (request.element === 'metric_time' && request.entityPath.length === 0) {
      name = request.datePart ? `metric_time__extract_${request.datePart}` : `metric_time__${request.grain ?? context.defaultGrain}`;
    } else {
      const found = element ?? this.anyElement(request);
      const base = found ? elementName(found) : [...request.entityPath, request.element].join('__');
      if (found?.dimension?.kind === 'time') {
        name = request.datePart ? `${base}__extract_${request.datePart}` : `${base}__${request.grain ?? found.dimension.timeGranularity ?? 'day'}`;
      } else {
        name = base;
      }
    }
    context.columns.set(key, name);
    return name;
  }

  private anyElement(request: ItemRequest): LinkableElement | undefined {
    for (const table of this.model.tables) {
      const found = findElement(this.elements(table), request);
      if (found && found.path.length === Math.max(request.entityPath.length, found.path.length)) return found;
    }
    return undefined;
  }

  /** Resolves items from one root table (undefined for the spine-only root). */
  private resolveItems(requests: ItemRequest[], root: LogicalTable | undefined, context: QueryContext, from: string, aggTime?: Dimension): ResolvedItem[] {
    const elements = root ? this.elements(root) : [];
    return requests.map((request) => {
      if (request.element === 'metric_time' && request.entityPath.length === 0) {
        return { column: this.columnName(request, context), request, metricTime: true, grain: request.datePart ? undefined : (request.grain ?? context.defaultGrain), ...(request.datePart ? { datePart: request.datePart } : {}) };
      }
      const element = findElement(elements, request);
      if (!element) throw unknownItemError(request, elements, from, this.allNames);
      if (element.kind === 'entity' && element.entity?.expr === '') {
        throw new StratumError('INVALID_ARGUMENT', `Entity "${request.text}" has no key column in ${element.table.name} (it is only a primary_entity name), so it cannot be grouped by.`, 'Group by one of its dimensions instead.');
      }
      if (element.dimension?.kind !== 'time' && (request.grain || request.datePart)) {
        throw new StratumError('INVALID_ARGUMENT', `"${request.text}": ${elementName(element)} is not a time dimension, so it takes no grain or date part.`, `Group by ${elementName(element)} alone.`);
      }
      const grain = element.dimension?.kind === 'time' && !request.datePart ? (request.grain ?? element.dimension.timeGranularity ?? 'day') : undefined;
      if (grain && isStandardGrain(grain) && element.dimension?.timeGranularity && grainIndex(grain) < grainIndex(element.dimension.timeGranularity)) {
        throw new StratumError('INVALID_ARGUMENT', `"${request.text}" asks for ${grain}, finer than ${elementName(element)} holds (${element.dimension.timeGranularity}).`, `Use ${element.dimension.timeGranularity} or a coarser grain.`);
      }
      const isAggTime = aggTime !== undefined && element.hops.length === 0 && element.dimension === aggTime;
      return { column: this.columnName(request, context, element), request, metricTime: false, ...(isAggTime ? { aggTime: true } : {}), element, ...(grain ? { grain } : {}), ...(request.datePart ? { datePart: request.datePart } : {}) };
    });
  }

  /** Filter references of a list of filters, resolved against a root; returns SQL conditions over item columns. */
  private filterPlan(filters: string[], root: LogicalTable | undefined, context: QueryContext, from: string, aggTime?: Dimension): { items: ResolvedItem[]; conditions: Expr[]; metricFilters: { reference: FilterReference; column: string }[] } {
    const elements = root ? this.elements(root) : [];
    const customGrains = this.customGrainNames;
    const isKnown = (request: ItemRequest) => (request.element === 'metric_time' && request.entityPath.length === 0) || Boolean(safeFind(elements, request));
    const items: ResolvedItem[] = [];
    const conditions: Expr[] = [];
    const metricFilters: { reference: FilterReference; column: string }[] = [];
    for (const filter of filters) {
      const references = filterReferences(filter, customGrains, isKnown);
      const replacements = new Map<string, string>();
      for (const reference of references) {
        if (reference.kind === 'metric') {
          const column = `${reference.metric!.groupBy.join('__')}__${reference.metric!.name}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
          metricFilters.push({ reference, column });
          replacements.set(reference.match, column);
          continue;
        }
        const [item] = this.resolveItems([reference.item!], root, context, from, aggTime);
        items.push(item!);
        replacements.set(reference.match, item!.column);
      }
      conditions.push(raw(substituteReferences(filter, replacements)));
    }
    return { items, conditions, metricFilters };
  }

  // ---- metric tree ---------------------------------------------------------------------------

  private metricNode(metric: Metric, context: QueryContext, use: MetricUse): MetricNode {
    const filters = [...use.filters, ...metric.filter];
    const node = this.metricNodeInner(metric, context, { ...use, filters });
    return this.withFillNulls(metric, node, context, use);
  }

  private metricNodeInner(metric: Metric, context: QueryContext, use: MetricUse): MetricNode {
    switch (metric.type) {
      case 'simple':
        return this.measureNode(metric.measure, context, use);
      case 'cumulative': {
        const window = metric.window ? parseWindow(metric.window) : undefined;
        if (metric.window && !window) throw new StratumError('NOT_IMPLEMENTED', `Cumulative metric ${metric.name}: window "${metric.window}" is not supported yet.`, 'Use a window such as "7 days" or "2 months".');
        const cumulative: CumulativeWindow = { ...(window ? { window } : {}), ...(metric.grainToDate ? { grainToDate: metric.grainToDate } : {}), periodAggregation: metric.periodAggregation ?? 'first' };
        return this.measureNode(metric.measure, context, use, cumulative);
      }
      case 'ratio': {
        const numerator = this.inputNode(metric.numerator, context, { ...use, label: `${metric.name} (numerator ${metric.numerator.name})` }, '__numerator');
        const denominator = this.inputNode(metric.denominator, context, { ...use, label: `${metric.name} (denominator ${metric.denominator.name})` }, '__denominator');
        const keys = this.keyColumns(context);
        const combined = this.combine([numerator, denominator], keys);
        const value = binary({ kind: 'cast', expr: col(undefined, numerator.value), type: 'double' }, '/', { kind: 'cast', expr: call('NULLIF', col(undefined, denominator.value), lit(0)), type: 'double' });
        return this.project(combined, keys, value, use.alias, `Ratio metric ${metric.name}`);
      }
      case 'derived': {
        const inputs = metric.inputs.map((input) => this.inputNode(input, context, { ...use, label: `${metric.name} (input ${input.name})` }, input.alias ?? input.name));
        const keys = this.keyColumns(context);
        const combined = this.combine(inputs, keys);
        return this.project(combined, keys, raw(metric.expr), use.alias, `Derived metric ${metric.name} = ${metric.expr}`);
      }
      case 'conversion':
        return this.conversionNode(metric, context, use);
      case 'expression':
        return this.expressionNode(metric, context, use);
    }
  }

  private inputNode(input: MetricInput, context: QueryContext, use: MetricUse, alias: string): MetricNode {
    const metric = this.metric(input.name);
    const shifts = [...use.shifts];
    if (input.offsetWindow) {
      const window = parseWindow(input.offsetWindow);
      const custom = window ? undefined : /^\s*(\d+)\s+([a-z_][a-z0-9_]*)\s*$/i.exec(input.offsetWindow);
      const grain = custom ? [custom[2]!, custom[2]!.replace(/s$/, '')].find((name) => this.customGrains.has(name)) : undefined;
      if (window) shifts.push({ kind: 'window', ...window });
      else if (custom && grain) shifts.push({ kind: 'customWindow', count: Number(custom[1]), grain });
      else throw new StratumError('NOT_IMPLEMENTED', `offset_window "${input.offsetWindow}" of ${input.name} is not supported.`, `Use a window such as "7 days"${this.customGrains.size ? ` or a custom grain (${[...this.customGrains.keys()].join(', ')})` : ''}.`);
    }
    if (input.offsetToGrain) shifts.push({ kind: 'toGrain', grain: input.offsetToGrain });
    return this.metricNode(metric, context, { filters: [...use.filters, ...input.filter], shifts, alias, ...(use.label ? { label: use.label } : {}) });
  }

  /** SELECT keys, value FROM combined: the last step of a ratio or derived metric. */
  private project(node: MetricNode, keys: string[], value: Expr, alias: string, comment: string): MetricNode {
    const inner = this.nextAlias('inputs');
    return {
      value: alias,
      query: {
        comment,
        columns: [...keys.map((key) => ({ expr: col(inner, key) })), { expr: value, alias }],
        from: { kind: 'subquery', query: node.query, alias: inner },
      },
    };
  }

  /** Combines nodes on the group-by keys: full outer join, keys coalesced, so no side loses rows. */
  private combine(nodes: MetricNode[], keys: string[]): MetricNode {
    if (nodes.length === 1) return nodes[0]!;
    const aliases = nodes.map(() => this.nextAlias('metric'));
    const joins: Join[] = nodes.slice(1).map((node, index) => {
      const alias = aliases[index + 1]!;
      const previous = aliases.slice(0, index + 1);
      const on = and(keys.map((key) => sameValue(coalesce(...previous.map((name) => col(name, key))), col(alias, key))));
      return keys.length ? { type: 'full', item: { kind: 'subquery', query: node.query, alias }, on: on! } : { type: 'cross', item: { kind: 'subquery', query: node.query, alias } };
    });
    const keyExprs = keys.map((key) => coalesce(...aliases.map((alias) => col(alias, key))));
    return {
      value: '',
      query: {
        comment: 'Combine per-metric results on the group-by keys',
        columns: [
          ...keys.map((key, index) => ({ expr: keyExprs[index]!, alias: key })),
          ...nodes.map((node, index) => {
            const value: Expr = { kind: 'aggregate', fn: 'max', expr: col(aliases[index], node.value) };
            return { expr: node.fill === undefined ? value : coalesce(value, lit(node.fill)), alias: node.value };
          }),
        ],
        from: { kind: 'subquery', query: nodes[0]!.query, alias: aliases[0]! },
        joins,
        ...(keys.length ? { groupBy: keyExprs } : {}),
      },
    };
  }

  /** fill_nulls_with and join_to_timespine: every spine period present, empty ones filled. */
  private withFillNulls(metric: Metric, node: MetricNode, context: QueryContext, use: MetricUse): MetricNode {
    const reference = metric.type === 'simple' || metric.type === 'cumulative' ? metric.measure : undefined;
    const fill = metric.fillNullsWith ?? reference?.fillNullsWith;
    const joinToSpine = metric.joinToTimespine ?? reference?.joinToTimespine ?? false;
    if (fill === undefined && !joinToSpine) return node;
    const keys = this.keyColumns(context);
    const value = fill === undefined ? col('metric', node.value) : coalesce(col('metric', node.value), lit(fill));
    const timeKeys = context.requests.map((request, index) => ({ request, key: keys[index]! })).filter(({ request }) => this.isTimeRequest(request, metric));
    if (!joinToSpine || !timeKeys.length) {
      return { value: use.alias, ...(fill !== undefined ? { fill } : {}), query: { columns: [...keys.map((key) => ({ expr: col('metric', key) })), { expr: value, alias: use.alias }], from: { kind: 'subquery', query: node.query, alias: 'metric' } } };
    }
    const spineGrain = (timeKeys.map(({ request }) => request.grain).find((grain) => grain && isStandardGrain(grain)) as TimeGranularity | undefined) ?? context.defaultGrain;
    const spine = this.spineFor(spineGrain);
    const spineAlias = this.nextAlias('time_spine');
    const spineColumn = col(spineAlias, spine.column);
    const spineJoins: Join[] = [];
    const spineKeys: SelectItem[] = timeKeys.map(({ request, key }) => ({ expr: this.timeExpr(spineColumn, request.grain ?? context.defaultGrain, request.datePart, spineJoins), alias: key }));
    const spineQuery: Select = {
      comment: `Every ${spineGrain} period from the time spine`,
      columns: spineKeys,
      from: this.spineFrom(spine, spineAlias),
      ...(spineJoins.length ? { joins: spineJoins } : {}),
      ...(this.timeConstraint(context) ? { where: [this.constraintCondition(spineColumn, spineGrain, context)] } : {}),
      groupBy: spineKeys.map((item) => item.expr),
    };
    const on = and(timeKeys.map(({ key }) => sameValue(col('spine', key), col('metric', key))))!;
    const joined: MetricNode = {
      value: use.alias,
      ...(fill !== undefined ? { fill } : {}),
      query: {
        comment: `${metric.name}: joined to the time spine${fill !== undefined ? `, empty periods filled with ${fill}` : ''}`,
        columns: [...keys.map((key) => ({ expr: timeKeys.some((time) => time.key === key) ? col('spine', key) : col('metric', key) })), { expr: value, alias: use.alias }],
        from: { kind: 'subquery', query: spineQuery, alias: 'spine' },
        joins: [{ type: 'left', item: { kind: 'subquery', query: node.query, alias: 'metric' }, on }],
      },
    };
    // Query filters on grouped items apply again after the spine join, or empty periods would pass them.
    const found = reference ? this.measures.get(reference.name.toLowerCase()) : undefined;
    if (!found || !context.where.length) return joined;
    const plan = this.filterPlan(context.where, found.table, context, `metric ${metric.name}`, this.aggTimeDimension(found.measure, found.table, false));
    if (plan.metricFilters.length || !plan.items.every((item) => keys.includes(item.column))) return joined;
    const alias = this.nextAlias('spine_joined');
    return { ...joined, query: { columns: [...keys, use.alias].map((name) => ({ expr: col(alias, name) })), from: { kind: 'subquery', query: joined.query, alias }, where: plan.conditions } };
  }

  private isTimeRequest(request: ItemRequest, metric: Metric): boolean {
    if (request.element === 'metric_time' && request.entityPath.length === 0) return !request.datePart;
    const reference = metric.type === 'simple' || metric.type === 'cumulative' ? metric.measure : undefined;
    const found = reference ? this.measures.get(reference.name.toLowerCase()) : undefined;
    if (!found || request.datePart) return false;
    const dimension = this.aggTimeDimension(found.measure, found.table, false);
    return Boolean(dimension && request.element === dimension.name && localEntities(found.table).includes(request.entityPath.at(-1) ?? ''));
  }

  // ---- Cortex expression metrics ---------------------------------------------------------------

  /**
   * A Cortex table-level metric: its aggregate expression over the table's rows, where the table's
   * logical columns (facts, dimensions) are named as the model names them, grouped by the query keys.
   */
  private expressionNode(metric: Metric & { type: 'expression' }, context: QueryContext, use: MetricUse): MetricNode {
    const table = metric.table ? this.model.tables.find((candidate) => candidate.name === metric.table) : undefined;
    if (!table) throw new StratumError('NOT_IMPLEMENTED', `Metric ${metric.name} is a model-level Cortex metric (over several tables), which the compiler cannot compile yet.`, 'Read its SQL in load_semantic_model and write the query with run_sql, or define it on one table.');
    if (use.shifts.length) throw new StratumError('NOT_IMPLEMENTED', `Metric ${metric.name}: offsets over a Cortex expression metric are not supported yet.`, 'Query it without an offset.');
    // The rows to aggregate: a stand-in measure gives rowsQuery its time dimension and row column.
    const measure: Measure = { name: metric.name, expr: '1', agg: 'sum', synonyms: [], sampleValues: [] };
    const filters = [...use.filters, ...context.where];
    const from = `metric ${use.label ?? use.alias} (${table.name})`;
    const aggTime = this.aggTimeDimension(measure, table, false);
    const groupItems = this.resolveItems(context.requests, table, context, from, aggTime);
    const filterPlan = this.filterPlan(filters, table, context, from, aggTime);
    const keys = groupItems.map((item) => item.column);
    const taken = new Set([...keys, ...filterPlan.items.map((item) => item.column)].map((key) => key.toLowerCase()));
    const rows = this.rowsQuery({
      table, measure, groupItems, filterPlan, context, measureColumn: '__row', timeTransform: false, shifts: [], cumulative: undefined, use,
      extras: (root) => [
        ...table.dimensions.map((dimension) => ({ key: `dim:${dimension.name}`, name: dimension.name, expr: dimension.expr })),
        ...table.measures.map((fact) => ({ key: `measure:${fact.name}`, name: fact.name, expr: fact.expr })),
      ]
        .filter((column) => !taken.has(column.name.toLowerCase()))
        .map((column) => ({ expr: root.use(column.key, raw(column.expr)), alias: column.name })),
    });
    this.explanation.push(`${use.alias}: ${metric.expr} over ${table.name} (${table.physical.source})${filters.length ? `\n  where ${filters.join(' AND ')}` : ''}`);
    return {
      value: use.alias,
      query: {
        comment: `Metric ${metric.name} over ${table.name}`,
        columns: [...keys.map((key) => ({ expr: col(undefined, key) })), { expr: raw(metric.expr), alias: use.alias }],
        from: { kind: 'subquery', query: rows, alias: this.nextAlias('rows') },
        ...(filterPlan.conditions.length ? { where: filterPlan.conditions } : {}),
        ...(keys.length ? { groupBy: keys.map((key) => col(undefined, key)) } : {}),
      },
    };
  }

  // ---- conversion metrics ----------------------------------------------------------------------

  /**
   * A conversion metric, as MetricFlow computes it: the base measure aggregated as usual; and each
   * conversion event matched to the latest base event of the same entity (and constant properties)
   * at or before it, inside the window, taking that base event's group-by values; then the
   * conversions aggregated on the same keys and divided by the base (or returned as a count).
   */
  private conversionNode(metric: ConversionMetric, context: QueryContext, use: MetricUse): MetricNode {
    if (use.shifts.length) throw new StratumError('NOT_IMPLEMENTED', `Conversion metric ${metric.name} cannot be used with offset_window or offset_to_grain yet.`, 'Query the conversion metric without an offset.');
    const keys = this.keyColumns(context);
    const base = this.measureNode(metric.baseMeasure, context, { ...use, alias: '__base' });
    const conversions = this.conversionEvents(metric, context, use, keys);
    const combined = this.combine([base, conversions], keys);
    const value =
      metric.calculation === 'conversion_rate'
        ? binary({ kind: 'cast', expr: col(undefined, conversions.value), type: 'double' }, '/', { kind: 'cast', expr: call('NULLIF', col(undefined, base.value), lit(0)), type: 'double' })
        : col(undefined, conversions.value);
    return this.project(combined, keys, value, use.alias, `Conversion metric ${metric.name} (${metric.calculation})`);
  }

  private measureOf(reference: MeasureReference): { measure: Measure; table: LogicalTable } {
    const found = this.measures.get(reference.name.toLowerCase());
    if (!found) throw new StratumError('INVALID_ARGUMENT', `Measure "${reference.name}" does not exist in semantic model ${this.model.name}.`, 'Fix the metric definition (stratum validate lists such problems).');
    return found;
  }

  /** A dimension or entity of one table by name: a conversion metric's entity and constant properties. */
  private localExpr(table: LogicalTable, name: string, metric: string): { key: string; expr: Expr } {
    const entity = table.entities.find((candidate) => candidate.name === name);
    if (entity?.expr) return { key: `entity:${entity.name}`, expr: raw(entity.expr) };
    const dimension = table.dimensions.find((candidate) => candidate.name === name);
    if (dimension) return { key: `dim:${dimension.name}`, expr: raw(dimension.expr) };
    throw new StratumError('INVALID_ARGUMENT', `Conversion metric ${metric}: "${name}" is not an entity or dimension of ${table.name}.`, 'Fix the metric definition (stratum validate).');
  }

  private conversionEvents(metric: ConversionMetric, context: QueryContext, use: MetricUse, keys: string[]): MetricNode {
    const baseSide = this.measureOf(metric.baseMeasure);
    const conversionSide = this.measureOf(metric.conversionMeasure);
    const baseTime = this.aggTimeDimension(baseSide.measure, baseSide.table, true);
    const conversionTime = this.aggTimeDimension(conversionSide.measure, conversionSide.table, true);
    const grainOf = (dimension: Dimension) => (dimension.timeGranularity && isStandardGrain(dimension.timeGranularity) ? (dimension.timeGranularity as TimeGranularity) : 'day');
    const joinGrain = [grainOf(baseTime), grainOf(conversionTime)].reduce((a, b) => (grainIndex(a) >= grainIndex(b) ? a : b));
    const window = metric.window ? parseWindow(metric.window) : undefined;
    if (metric.window && !window) throw new StratumError('NOT_IMPLEMENTED', `Conversion metric ${metric.name}: window "${metric.window}" is not supported yet.`, 'Use a window such as "7 days".');

    const events = (side: { measure: Measure; table: LogicalTable }, time: Dimension, filters: string[], groupItems: ResolvedItem[], properties: string[], label: string): Select => {
      const from = `metric ${metric.name} (${label} ${side.measure.name} of ${side.table.name})`;
      const filterPlan = this.filterPlan(filters, side.table, context, from, time);
      const rows = this.rowsQuery({
        table: side.table,
        measure: side.measure,
        groupItems,
        filterPlan,
        context: label === 'base' ? context : { ...context, query: { ...context.query, startTime: undefined, endTime: undefined } },
        measureColumn: '__value',
        timeTransform: false,
        shifts: [],
        cumulative: undefined,
        use,
        extras: (root) => {
          const entity = this.localExpr(side.table, metric.entity, metric.name);
          return [
            { expr: root.use(entity.key, entity.expr), alias: '__entity' },
            { expr: { kind: 'dateTrunc', grain: joinGrain, expr: root.use(`time:${time.name}`, raw(time.expr)) }, alias: '__event_time' },
            ...properties.map((name, index) => {
              const property = this.localExpr(side.table, name, metric.name);
              return { expr: root.use(property.key, property.expr), alias: `__property_${index}` };
            }),
          ];
        },
      });
      const alias = this.nextAlias(`${label}_rows`);
      return {
        comment: `${label === 'base' ? 'Base' : 'Conversion'} events of ${metric.name}: ${side.measure.name} of ${side.table.name}`,
        columns: [{ expr: { kind: 'star' } }, ...(label === 'conversion' ? [{ expr: { kind: 'window', fn: call('ROW_NUMBER'), partitionBy: [], orderBy: [] } as Expr, alias: '__event_id' }] : [])],
        from: { kind: 'subquery', query: rows, alias },
        ...(filterPlan.conditions.length ? { where: filterPlan.conditions } : {}),
      };
    };

    const baseFrom = `metric ${metric.name} (base measure ${baseSide.measure.name})`;
    const groupItems = this.resolveItems(context.requests, baseSide.table, context, baseFrom, baseTime);
    const baseEvents = events(baseSide, baseTime, [...use.filters, ...metric.baseMeasure.filter, ...context.where], groupItems, metric.constantProperties.map((property) => property.base), 'base');
    const conversionEvents = events(conversionSide, conversionTime, [...metric.conversionMeasure.filter], [], metric.constantProperties.map((property) => property.conversion), 'conversion');

    const b = this.nextAlias('base_events');
    const c = this.nextAlias('conversion_events');
    const conditions: Expr[] = [binary(col(b, '__entity'), '=', col(c, '__entity')), binary(col(b, '__event_time'), '<=', col(c, '__event_time'))];
    if (window) conditions.push(binary(col(b, '__event_time'), '>', { kind: 'dateAdd', expr: col(c, '__event_time'), count: -window.count, grain: window.grain }));
    metric.constantProperties.forEach((_, index) => conditions.push(binary(col(b, `__property_${index}`), '=', col(c, `__property_${index}`))));
    const latestBase = (name: string): Expr => ({
      kind: 'window',
      fn: call('FIRST_VALUE', col(b, name)),
      partitionBy: [col(c, '__entity'), col(c, '__event_time'), col(c, '__event_id')],
      // Base events at the same time are told apart by their group-by values, so every engine picks the same one.
      orderBy: [{ expr: col(b, '__event_time'), descending: true }, ...keys.map((key) => ({ expr: col(b, key) }))],
      frame: 'ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING',
    });
    const matched: Select = {
      comment: `Each conversion matched to the latest base event of the same ${metric.entity}${window ? ` within ${metric.window}` : ''}${metric.constantProperties.length ? ' with the same constant properties' : ''}`,
      distinct: true,
      columns: [...keys.map((key) => ({ expr: latestBase(key), alias: key })), { expr: col(c, '__event_id'), alias: '__event_id' }, { expr: col(c, '__value'), alias: '__value' }],
      from: { kind: 'subquery', query: baseEvents, alias: b },
      joins: [{ type: 'inner', item: { kind: 'subquery', query: conversionEvents, alias: c }, on: and(conditions)! }],
    };
    this.explanation.push(`${use.alias}: conversions of ${metric.conversionMeasure.name} after ${metric.baseMeasure.name} per ${metric.entity}${window ? ` within ${metric.window}` : ''}`);
    const fill = metric.conversionMeasure.fillNullsWith;
    return {
      value: '__conversions',
      ...(fill !== undefined ? { fill } : {}),
      query: {
        comment: `Aggregate ${conversionSide.measure.name} over the matched conversions`,
        columns: [...keys.map((key) => ({ expr: col(undefined, key) })), { expr: this.aggregate(conversionSide.measure, col(undefined, '__value')), alias: '__conversions' }],
        from: { kind: 'subquery', query: matched, alias: this.nextAlias('conversions') },
        ...(keys.length ? { groupBy: keys.map((key) => col(undefined, key)) } : {}),
      },
    };
  }

  // ---- one measure -----------------------------------------------------------------------------

  private measureNode(reference: MeasureReference, context: QueryContext, use: MetricUse, cumulative?: CumulativeWindow): MetricNode {
    const { measure, table } = this.measureOf(reference);
    const filters = [...use.filters, ...reference.filter, ...context.where];
    const from = `metric ${use.label ?? use.alias} (measure ${measure.name} of ${table.name})`;
    const aggTime = this.aggTimeDimension(measure, table, false);
    const groupItems = this.resolveItems(context.requests, table, context, from, aggTime);
    const filterPlan = this.filterPlan(filters, table, context, from, aggTime);
    const timeGrouped = groupItems.some((item) => item.metricTime || item.aggTime);
    // An all-time cumulative metric without a time group-by is the plain aggregate (up to end_time).
    const allTimeTotal = cumulative !== undefined && !cumulative.window && !cumulative.grainToDate && !timeGrouped;
    if (allTimeTotal && context.query.startTime) context = { ...context, query: { ...context.query, startTime: undefined } };
    const timeTransform = use.shifts.length > 0 || (cumulative !== undefined && !allTimeTotal);
    if (allTimeTotal) cumulative = undefined;
    const measureColumn = `__${measure.name}`;
    const rows = this.rowsQuery({ table, measure, groupItems, filterPlan, context, measureColumn, timeTransform, shifts: use.shifts, cumulative, use });
    const keys = groupItems.map((item) => item.column);
    const aggregate = this.aggregate(measure, col(undefined, measureColumn));
    const describe = [`${use.alias}: ${measure.agg ?? 'aggregate'}(${measure.expr}) over ${table.name} (${table.physical.source})`];
    if (filters.length) describe.push(`  where ${filters.join(' AND ')}`);
    if (use.shifts.length) describe.push(`  time offset: ${use.shifts.map((shift) => (shift.kind === 'toGrain' ? `start of ${shift.grain}` : `${shift.count} ${shift.grain}`)).join(', then ')}`);
    if (cumulative) describe.push(`  cumulative: ${cumulative.window ? `${cumulative.window.count} ${cumulative.window.grain} window` : cumulative.grainToDate ? `${cumulative.grainToDate} to date` : 'all time'}`);
    this.explanation.push(describe.join('\n'));

    let where = [...filterPlan.conditions];
    let source = rows;
    const nonAdditive = measure.nonAdditiveDimension;
    if (nonAdditive && !timeTransform) {
      // Semi-additive: only the rows at the first (or last) value of the non-additive dimension
      // count, chosen among the rows the filters keep.
      const partitionBy = [...nonAdditive.windowGroupings.map((_, index) => col(undefined, `__window_group_${index}`)), ...groupItems.filter((item) => item.metricTime).map((item) => col(undefined, item.column))];
      source = {
        comment: `The ${nonAdditive.windowChoice === 'min' ? 'first' : 'last'} ${nonAdditive.name} of ${measure.name}'s rows`,
        columns: [{ expr: { kind: 'star' } }, { expr: { kind: 'window', fn: { kind: 'aggregate', fn: nonAdditive.windowChoice, expr: col(undefined, '__non_additive') }, partitionBy, orderBy: [] }, alias: '__non_additive_bound' }],
        from: { kind: 'subquery', query: rows, alias: this.nextAlias('rows') },
        ...(where.length ? { where } : {}),
      };
      where = [binary(col(undefined, '__non_additive'), '=', col(undefined, '__non_additive_bound'))];
    }
    if (cumulative && this.needsPeriodAggregation(groupItems)) {
      const filtered: Select = where.length ? { columns: [{ expr: { kind: 'star' } }], from: { kind: 'subquery', query: source, alias: this.nextAlias('rows') }, where } : source;
      return this.periodAggregated(filtered, keys, aggregate, use.alias, cumulative);
    }
    return {
      value: use.alias,
      query: {
        comment: `Aggregate ${measure.name} for ${use.alias}`,
        columns: [...keys.map((key) => ({ expr: col(undefined, key) })), { expr: aggregate, alias: use.alias }],
        from: { kind: 'subquery', query: source, alias: this.nextAlias('rows') },
        ...(where.length ? { where } : {}),
        ...(keys.length ? { groupBy: keys.map((key) => col(undefined, key)) } : {}),
      },
    };
  }

  /** A measure's aggregation; a numeric Cortex fact without default_aggregation is summed (the explanation says so). */
  private aggregationOf(measure: Measure): Aggregation | undefined {
    return measure.agg ?? (this.model.format === 'cortex' && isNumericType(measure.dataType) ? 'sum' : undefined);
  }

  private aggregate(measure: Measure, value: Expr): Expr {
    const agg = this.aggregationOf(measure);
    switch (agg) {
      case 'sum':
        return { kind: 'aggregate', fn: 'sum', expr: value };
      case 'min':
      case 'max':
        return { kind: 'aggregate', fn: agg, expr: value };
      case 'count':
        return { kind: 'aggregate', fn: 'count', expr: value };
      case 'count_distinct':
        return { kind: 'aggregate', fn: 'count', expr: value, distinct: true };
      case 'sum_boolean':
        return { kind: 'aggregate', fn: 'sum', expr: { kind: 'cast', expr: value, type: 'integer' } };
      case 'average':
        return { kind: 'aggregate', fn: 'avg', expr: value };
      case 'median':
        return { kind: 'percentile', fraction: 0.5, discrete: false, expr: value };
      case 'percentile':
        return { kind: 'percentile', fraction: measure.percentile?.value ?? 0.5, discrete: measure.percentile?.discrete ?? false, approximate: measure.percentile?.approximate ?? false, expr: value };
      case undefined:
        throw new StratumError('INVALID_ARGUMENT', `Measure "${measure.name}" has no aggregation.`, 'Give it agg (MetricFlow) or default_aggregation (Cortex).');
    }
  }

  /**
   * The rows a measure aggregates: its table joined to every table that holds a needed item, with
   * item columns named as the query names them. With a time offset or a cumulative window, the
   * rows are re-dated through the time spine.
   */
  private rowsQuery(args: RowsArgs): Select {
    const { table, measure, groupItems, filterPlan, context, measureColumn, timeTransform } = args;
    const instances = new InstanceSet(table, this.nextAlias(table.name));
    const root = instances.root;
    const columns: SelectItem[] = [];
    const joins: Join[] = [];
    const where: Expr[] = [];
    const seen = new Set<string>();
    const timeDimension = this.needsMetricTime(groupItems, filterPlan, context, timeTransform) ? this.aggTimeDimension(measure, table, true) : undefined;
    const timeGrain = (timeDimension?.timeGranularity ?? 'day') as TimeGranularity;
    const spineGrain: TimeGranularity = grainIndex(timeGrain) < grainIndex('day') ? timeGrain : 'day';
    const rawTime = timeDimension ? root.use(`time:${timeDimension.name}`, raw(timeDimension.expr)) : undefined;

    const allItems = [...groupItems, ...filterPlan.items];
    for (const item of allItems) {
      if (seen.has(item.column)) continue;
      seen.add(item.column);
      if (timeTransform && item.aggTime) continue;
      if (item.metricTime) {
        if (timeTransform) continue;
        columns.push({ expr: this.timeExpr(rawTime!, item.grain, item.datePart, joins), alias: item.column });
        continue;
      }
      columns.push({ expr: this.elementExpr(item, instances, joins), alias: item.column });
    }
    this.addMetricFilterJoins(filterPlan, instances, columns, joins);
    columns.push({ expr: root.use(`measure:${measure.name}`, raw(measure.expr)), alias: measureColumn });
    if (args.extras) columns.push(...args.extras(root));
    const nonAdditive = measure.nonAdditiveDimension;
    if (nonAdditive && !timeTransform) {
      const dimension = table.dimensions.find((candidate) => candidate.name === nonAdditive.name);
      if (!dimension) throw new StratumError('INVALID_ARGUMENT', `Measure ${measure.name}: non_additive_dimension "${nonAdditive.name}" is not a dimension of ${table.name}.`, 'Fix the semantic model (stratum validate).');
      const value = root.use(`dim:${dimension.name}`, raw(dimension.expr));
      nonAdditive.windowGroupings.forEach((name, index) => {
        const entity = table.entities.find((candidate) => candidate.name === name);
        if (!entity) throw new StratumError('INVALID_ARGUMENT', `Measure ${measure.name}: window grouping "${name}" is not an entity of ${table.name}.`, 'Fix the semantic model (stratum validate).');
        columns.push({ expr: root.use(`entity:${entity.name}`, raw(entity.expr)), alias: `__window_group_${index}` });
      });
      columns.push({ expr: value, alias: '__non_additive' });
    }
    if (rawTime && timeTransform) columns.push({ expr: { kind: 'dateTrunc', grain: spineGrain, expr: rawTime }, alias: '__time' });
    if (rawTime && !timeTransform && this.timeConstraint(context)) where.push(this.constraintCondition(rawTime, this.constraintGrain(groupItems, context, timeGrain), context));

    const anchor = rawTime ?? this.anchorTime(measure, table, root);
    const tableJoins = instances.joins((hop, from, to, root) => this.extraJoinConditions(hop, from, to, anchor, root));
    const base: Select = {
      comment: `Rows of ${table.name}${instances.joined.length ? ` joined to ${instances.joined.map((instance) => instance.table.name).join(', ')}` : ''}`,
      columns,
      from: root.fromItem(),
      joins: [...tableJoins, ...joins],
      ...(where.length ? { where } : {}),
    };
    if (!timeTransform) return base;
    return this.redated(base, args, spineGrain);
  }

  private needsMetricTime(groupItems: ResolvedItem[], filterPlan: { items: ResolvedItem[] }, context: QueryContext, timeTransform: boolean): boolean {
    return timeTransform || Boolean(this.timeConstraint(context)) || [...groupItems, ...filterPlan.items].some((item) => item.metricTime);
  }

  private constraintGrain(items: ResolvedItem[], context: QueryContext, fallback: TimeGranularity): TimeGranularity {
    const grains = items.filter((item) => (item.metricTime || item.aggTime) && item.grain && isStandardGrain(item.grain)).map((item) => item.grain as TimeGranularity);
    if (grains.length) return grains.reduce(finer);
    return grainIndex(fallback) > grainIndex(context.defaultGrain) ? fallback : context.defaultGrain;
  }

  /** Rows re-dated through the spine: each spine date picks the measure rows its offset or window names. */
  private redated(base: Select, args: RowsArgs, spineGrain: TimeGranularity): Select {
    const { groupItems, filterPlan, context, measureColumn, shifts, cumulative } = args;
    const spine = this.spineFor(spineGrain);
    const spineAlias = this.nextAlias('time_spine');
    const baseAlias = this.nextAlias('measure_rows');
    const customShift = shifts.find((shift) => shift.kind === 'customWindow');
    if (customShift && (shifts.length > 1 || cumulative)) throw new StratumError('NOT_IMPLEMENTED', `An offset of ${customShift.count} ${customShift.grain} cannot be combined with other offsets or a cumulative window yet.`, 'Query the metrics separately.');
    const spineFrom: FromItem = customShift ? { kind: 'subquery', query: this.customOffsetMap(customShift.grain, customShift.count), alias: spineAlias } : this.spineFrom(spine, spineAlias);
    const spineDate = col(spineAlias, customShift ? '__shifted' : spine.column);
    let target: Expr = customShift ? col(spineAlias, '__day') : spineDate;
    for (const shift of shifts) {
      if (shift.kind === 'window') target = { kind: 'dateAdd', expr: target, count: -shift.count, grain: shift.grain };
      else if (shift.kind === 'toGrain') target = { kind: 'dateTrunc', grain: shift.grain, expr: target };
    }
    const rowTime = col(baseAlias, '__time');
    let on: Expr;
    if (cumulative) {
      const upper = binary(rowTime, '<=', target);
      if (cumulative.window) on = binary(upper, 'AND', binary(rowTime, '>', { kind: 'dateAdd', expr: target, count: -cumulative.window.count, grain: cumulative.window.grain }));
      else if (cumulative.grainToDate) on = binary(upper, 'AND', binary(rowTime, '>=', { kind: 'dateTrunc', grain: cumulative.grainToDate, expr: target }));
      else on = upper;
    } else {
      on = binary(target, '=', rowTime);
    }
    const columns: SelectItem[] = [];
    const seen = new Set<string>();
    const joins: Join[] = [];
    for (const item of [...groupItems, ...filterPlan.items]) {
      if (seen.has(item.column)) continue;
      seen.add(item.column);
      columns.push({ expr: item.metricTime || item.aggTime ? this.timeExpr(spineDate, item.grain, item.datePart, joins) : col(baseAlias, item.column), alias: item.column });
    }
    for (const filter of filterPlan.metricFilters) columns.push({ expr: col(baseAlias, filter.column), alias: filter.column });
    columns.push({ expr: col(baseAlias, measureColumn), alias: measureColumn });
    if (cumulative) columns.push({ expr: spineDate, alias: '__spine_date' });
    const where: Expr[] = [];
    if (this.timeConstraint(context)) {
      const grain = this.constraintGrain(groupItems, context, spineGrain);
      where.push(this.constraintCondition(spineDate, grain, context));
      // A cumulative value under an offset is computed inside the constraint too (as MetricFlow does).
      if (cumulative && shifts.length) where.push(this.constraintCondition(target, grain, context));
    }
    const coarse = groupItems.filter((item) => (item.metricTime || item.aggTime) && item.grain && isStandardGrain(item.grain) && grainIndex(item.grain) > grainIndex(spineGrain));
    // An offset to the start of a grain at coarser query grains reads only the first spine day of each period.
    if (!cumulative && shifts.some((shift) => shift.kind === 'toGrain') && coarse.length) {
      const starts = [...new Set(coarse.map((item) => item.grain as TimeGranularity))].map((grain) => binary({ kind: 'dateTrunc', grain, expr: spineDate }, '=', spineDate));
      where.push(starts.reduce((all, start) => binary(all, 'OR', start)));
    }
    return {
      comment: cumulative ? 'Each spine date with the measure rows inside its window' : 'Each spine date with the measure rows of its offset date',
      columns,
      from: spineFrom,
      joins: [{ type: 'inner', item: { kind: 'subquery', query: base, alias: baseAlias }, on }, ...joins],
      ...(where.length ? { where } : {}),
    };
  }

  /**
   * Day -> the day at the same position `count` custom periods later (the period's last day when
   * that one is shorter), from the time spine: MetricFlow's offset by a custom grain.
   */
  private customOffsetMap(grain: string, count: number): Select {
    const custom = this.customGrains.get(grain)!;
    const spine = this.spineFor(custom.grain);
    const days = (alias: string): FromItem => {
      const source = this.nextAlias('time_spine');
      const period = col(source, custom.column);
      return {
        kind: 'subquery',
        alias,
        query: {
          columns: [
            { expr: col(source, spine.column), alias: '__day' },
            { expr: period, alias: '__period' },
            { expr: { kind: 'window', fn: call('ROW_NUMBER'), partitionBy: [period], orderBy: [{ expr: col(source, spine.column) }] }, alias: '__position' },
          ],
          from: this.spineFrom(spine, source),
        },
      };
    };
    const sizes = this.nextAlias('periods');
    const periods: Select = {
      columns: [
        { expr: col(undefined, '__period') },
        { expr: { kind: 'window', fn: call('LEAD', col(undefined, '__period'), lit(count)), partitionBy: [], orderBy: [{ expr: col(undefined, '__period') }] }, alias: '__next_period' },
        { expr: { kind: 'window', fn: call('LEAD', col(undefined, '__size'), lit(count)), partitionBy: [], orderBy: [{ expr: col(undefined, '__period') }] }, alias: '__next_size' },
      ],
      from: {
        kind: 'subquery',
        alias: sizes,
        query: { columns: [{ expr: col(undefined, '__period') }, { expr: { kind: 'aggregate', fn: 'count', expr: { kind: 'star' } }, alias: '__size' }], from: days(this.nextAlias('days')), groupBy: [col(undefined, '__period')] },
      },
    };
    const day = this.nextAlias('day');
    const period = this.nextAlias('period');
    const shifted = this.nextAlias('shifted_day');
    return {
      comment: `Each day and the day at the same position ${count} ${grain} later`,
      columns: [{ expr: col(day, '__day'), alias: '__day' }, { expr: col(shifted, '__day'), alias: '__shifted' }],
      from: days(day),
      joins: [
        { type: 'inner', item: { kind: 'subquery', query: periods, alias: period }, on: binary(col(day, '__period'), '=', col(period, '__period')) },
        { type: 'inner', item: days(shifted), on: binary(binary(col(shifted, '__period'), '=', col(period, '__next_period')), 'AND', binary(col(shifted, '__position'), '=', call('LEAST', col(day, '__position'), col(period, '__next_size')))) },
      ],
    };
  }

  private needsPeriodAggregation(groupItems: ResolvedItem[]): boolean {
    const time = groupItems.filter((item) => item.metricTime || item.aggTime);
    if (!time.length) return false;
    return !time.some((item) => item.grain === 'day' || (item.grain && isStandardGrain(item.grain) && grainIndex(item.grain) < grainIndex('day')));
  }

  /** A cumulative value at a coarser grain: the daily value, then the period's first (last, average). */
  private periodAggregated(rows: Select, keys: string[], aggregate: Expr, alias: string, cumulative: CumulativeWindow): MetricNode {
    const daily: Select = {
      comment: `Daily cumulative values of ${alias}`,
      columns: [...keys.map((key) => ({ expr: col(undefined, key) })), { expr: col(undefined, '__spine_date') }, { expr: aggregate, alias: '__daily' }],
      from: { kind: 'subquery', query: rows, alias: this.nextAlias('rows') },
      groupBy: [...keys.map((key) => col(undefined, key)), col(undefined, '__spine_date')],
    };
    const partition = keys.map((key) => col(undefined, key));
    const frame = 'ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING';
    const fn: Expr =
      cumulative.periodAggregation === 'average'
        ? { kind: 'window', fn: { kind: 'aggregate', fn: 'avg', expr: col(undefined, '__daily') }, partitionBy: partition, orderBy: [] }
        : { kind: 'window', fn: call(cumulative.periodAggregation === 'last' ? 'LAST_VALUE' : 'FIRST_VALUE', col(undefined, '__daily')), partitionBy: partition, orderBy: [{ expr: col(undefined, '__spine_date') }], frame };
    return {
      value: alias,
      query: {
        comment: `${alias} per period: the ${cumulative.periodAggregation} daily value`,
        distinct: true,
        columns: [...keys.map((key) => ({ expr: col(undefined, key) })), { expr: fn, alias }],
        from: { kind: 'subquery', query: daily, alias: this.nextAlias('daily') },
      },
    };
  }

  /** The expression of a dimension or entity, joining its table in when it is not local. */
  private elementExpr(item: ResolvedItem, instances: InstanceSet, joins: Join[]): Expr {
    const element = item.element!;
    const instance = instances.reach(element.hops);
    if (element.kind === 'entity') return instance.use(`entity:${element.entity!.name}`, raw(element.entity!.expr));
    const dimension = element.dimension!;
    const value = instance.use(`dim:${dimension.name}`, raw(dimension.expr));
    if (dimension.kind !== 'time') return value;
    return this.timeExpr(value, item.grain, item.datePart, joins);
  }

  /** A time value at a grain (standard or custom) or a date part. */
  private timeExpr(value: Expr, grain: string | undefined, datePart: DatePart | undefined, joins?: Join[]): Expr {
    if (datePart) return { kind: 'extract', part: datePart, expr: value };
    if (!grain) return value;
    if (isStandardGrain(grain)) return { kind: 'dateTrunc', grain, expr: value };
    const custom = this.customGrains.get(grain);
    if (!custom || !joins) throw new StratumError('INVALID_ARGUMENT', `Unknown grain "${grain}".`, `Grains: ${TIME_GRANULARITIES.join(', ')}${this.customGrains.size ? `, ${[...this.customGrains.keys()].join(', ')}` : ''}.`);
    const spine = this.spineFor(custom.grain);
    const alias = this.nextAlias('custom_grain');
    joins.push({ type: 'left', item: this.spineFrom(spine, alias), on: binary({ kind: 'dateTrunc', grain: custom.grain, expr: value }, '=', col(alias, spine.column)) });
    return col(alias, custom.column);
  }

  private addMetricFilterJoins(filterPlan: { metricFilters: { reference: FilterReference; column: string }[] }, instances: InstanceSet, columns: SelectItem[], joins: Join[]): void {
    for (const { reference, column } of filterPlan.metricFilters) {
      const { name, groupBy } = reference.metric!;
      const subquery = this.compileNested({ metrics: [name], groupBy });
      const alias = this.nextAlias('metric_filter');
      const conditions: Expr[] = groupBy.map((item, index) => {
        const named = parseItemName(item, this.customGrainNames);
        // The subquery is keyed by the entity; the outer rows join on the same entity however they reach it.
        const request = { ...named, entityPath: [] };
        const element = findElement(this.elements(instances.root.table), request);
        if (!element) throw unknownItemError(request, this.elements(instances.root.table), `the filter ${reference.match}`, this.allNames);
        const instance = instances.reach(element.hops);
        const outer = element.kind === 'entity' ? instance.use(`entity:${element.entity!.name}`, raw(element.entity!.expr)) : instance.use(`dim:${element.dimension!.name}`, raw(element.dimension!.expr));
        return binary(outer, '=', col(alias, subquery.columns[index]!));
      });
      joins.push({ type: 'left', item: { kind: 'subquery', query: subquery.select, alias }, on: and(conditions)! });
      columns.push({ expr: col(alias, subquery.columns[groupBy.length]!), alias: column });
    }
  }

  /** A metric query inside this one (for a Metric() filter), sharing the alias counter. */
  private compileNested(query: MetricQuery): { select: Select; columns: string[] } {
    const requests = (query.groupBy ?? []).map((item) => parseItemName(item, this.customGrainNames));
    const metrics = (query.metrics ?? []).map((name) => this.metric(name));
    const context: QueryContext = { requests, where: [], defaultGrain: this.defaultMetricTimeGrain(metrics), query, columns: new Map() };
    const saved = this.explanation;
    this.explanation = [];
    const nodes = metrics.map((metric) => this.metricNode(metric, context, { filters: [], shifts: [], alias: metric.name }));
    this.explanation = saved;
    const keys = this.keyColumns(context);
    const combined = this.combine(nodes, keys);
    return { select: combined.query, columns: [...keys, ...nodes.map((node) => node.value)] };
  }

  /** The measure's own time, which SCD type II joins pick the valid dimension row by. */
  private anchorTime(measure: Measure, table: LogicalTable, root: TableInstance): Expr | undefined {
    const needed = this.model.tables.some((candidate) => candidate !== table && candidate.dimensions.some((dimension) => dimension.validity));
    const dimension = needed ? this.aggTimeDimension(measure, table, false) : undefined;
    return dimension ? root.use(`time:${dimension.name}`, raw(dimension.expr)) : undefined;
  }

  /** Beyond the entity key: matching partition columns, and the validity window of an SCD type II table. */
  private extraJoinConditions(hop: JoinHop, fromInstance: TableInstance, toInstance: TableInstance, anchor: Expr | undefined, root?: TableInstance): Expr[] {
    const conditions: Expr[] = [];
    const start = hop.to.dimensions.find((dimension) => dimension.validity === 'start');
    const end = hop.to.dimensions.find((dimension) => dimension.validity === 'end');
    if (anchor && start && end) {
      const from = toInstance.use(`dim:${start.name}`, raw(start.expr));
      const to = toInstance.use(`dim:${end.name}`, raw(end.expr));
      conditions.push(binary(anchor, '>=', from), binary(binary(anchor, '<', to), 'OR', { kind: 'isNull', expr: to }));
    }
    // Partitions match with the table joined from; through a table without partitions, with the root's.
    const partitioned = (instance: TableInstance) => instance.table.dimensions.filter((dimension) => dimension.isPartition);
    const leftInstance = partitioned(fromInstance).length || !root ? fromInstance : root;
    for (const left of partitioned(leftInstance)) {
      const right = hop.to.dimensions.find((candidate) => candidate.isPartition && candidate.name === left.name);
      if (right) conditions.push(binary(leftInstance.use(`dim:${left.name}`, raw(left.expr)), '=', toInstance.use(`dim:${right.name}`, raw(right.expr))));
    }
    return conditions;
  }

  // ---- time ------------------------------------------------------------------------------------

  private timeConstraint(context: QueryContext): { start?: string; end?: string } | undefined {
    const { startTime, endTime } = context.query;
    return startTime || endTime ? { ...(startTime ? { start: startTime } : {}), ...(endTime ? { end: endTime } : {}) } : undefined;
  }

  /** `start <= t < end`, both widened to whole periods of the grain (MetricFlow's adjustment). */
  private constraintCondition(value: Expr, grain: TimeGranularity, context: QueryContext): Expr {
    const constraint = this.timeConstraint(context)!;
    const parts: Expr[] = [];
    const asTimestamp = (text: string): Expr => ({ kind: 'timestamp', value: text });
    if (constraint.start) parts.push(binary(value, '>=', { kind: 'dateTrunc', grain, expr: asTimestamp(constraint.start) }));
    if (constraint.end) parts.push(binary(value, '<', { kind: 'dateAdd', expr: { kind: 'dateTrunc', grain, expr: asTimestamp(constraint.end) }, count: 1, grain }));
    return and(parts)!;
  }

  /** The time spine for a grain: the coarsest declared spine at or below it. */
  private spineFor(grain: TimeGranularity): TimeSpine {
    const usable = this.model.timeSpines.filter((spine) => grainIndex(spine.granularity) <= grainIndex(grain));
    if (!usable.length) {
      throw new StratumError(
        'INVALID_ARGUMENT',
        `Semantic model ${this.model.name} declares no time spine at ${grain} grain or finer, which this query needs (offsets, cumulative windows, join_to_timespine or custom grains).`,
        'Declare one in project_configuration (time_spines) or a dbt time-spine model, or query without those features.',
      );
    }
    return usable.reduce((best, spine) => (grainIndex(spine.granularity) > grainIndex(best.granularity) ? spine : best));
  }

  private spineFrom(spine: TimeSpine, alias: string): FromItem {
    return { kind: 'table', ...(spine.physical.database ? { database: spine.physical.database } : {}), ...(spine.physical.schema ? { schema: spine.physical.schema } : {}), name: spine.physical.table, alias };
  }

  // ---- dimension values ------------------------------------------------------------------------

  /** `metrics: []`: the distinct values of the group-by items, from the table that reaches them all with the fewest joins. */
  private dimensionValues(context: QueryContext): { select: Select; columns: string[] } {
    const customGrains = this.customGrainNames;
    const filterRequests = context.where.flatMap((filter) => filterReferences(filter, customGrains, () => false).flatMap((reference) => (reference.item ? [reference.item] : [])));
    const nonTime = [...context.requests, ...filterRequests].filter((request) => !(request.element === 'metric_time' && request.entityPath.length === 0));
    let root: LogicalTable | undefined;
    if (nonTime.length) {
      let best: { table: LogicalTable; cost: number } | undefined;
      for (const table of this.model.tables) {
        const elements = this.elements(table);
        let cost = 0;
        let ok = true;
        for (const request of nonTime) {
          const found = safeFind(elements, request);
          if (!found) {
            ok = false;
            break;
          }
          cost += 2 * found.hops.length;
        }
        // Values come from a dimension table (no measures) before a fact table at the same distance.
        if (table.measures.length) cost += 1;
        if (ok && (!best || cost < best.cost)) best = { table, cost };
      }
      if (!best) {
        const request = nonTime.find((candidate) => !this.model.tables.some((table) => safeFind(this.elements(table), candidate)));
        if (request) throw unknownItemError(request, [], 'any semantic model', this.allNames);
        throw new StratumError('INVALID_ARGUMENT', `No single semantic model reaches all of ${nonTime.map((request) => request.text).join(', ')} through many-to-one joins.`, 'Query them separately, or add a metric whose table reaches them all.');
      }
      root = best.table;
    }
    const from = root ? `semantic model ${root.name}` : 'the time spine';
    const items = this.resolveItems(context.requests, root, context, from);
    const filterPlan = this.filterPlan(context.where, root, context, from);
    const joins: Join[] = [];
    const columns: SelectItem[] = [];
    const seen = new Set<string>();
    let spineFrom: FromItem | undefined;
    let instances: InstanceSet | undefined;
    let spineDate: Expr | undefined;
    const needsSpine = [...items, ...filterPlan.items].some((item) => item.metricTime);
    const spineGrain = context.defaultGrain;
    if (root) {
      instances = new InstanceSet(root, this.nextAlias(root.name));
    } else {
      const spine = this.spineFor(this.finestMetricTimeGrain(items, spineGrain));
      const alias = this.nextAlias('time_spine');
      spineFrom = this.spineFrom(spine, alias);
      spineDate = col(alias, spine.column);
    }
    const spineJoins: Join[] = [];
    if (root && needsSpine) {
      const spine = this.spineFor(this.finestMetricTimeGrain(items, spineGrain));
      const alias = this.nextAlias('time_spine');
      spineJoins.push({ type: 'cross', item: this.spineFrom(spine, alias) });
      spineDate = col(alias, spine.column);
    }
    for (const item of [...items, ...filterPlan.items]) {
      if (seen.has(item.column)) continue;
      seen.add(item.column);
      columns.push({ expr: item.metricTime ? this.timeExpr(spineDate!, item.grain, item.datePart, joins) : this.elementExpr(item, instances!, joins), alias: item.column });
    }
    if (instances) {
      const before = joins.length;
      this.addMetricFilterJoins(filterPlan, instances, columns, joins);
      // Like the tables of a values query, a Metric() filter's result is full-outer-joined (MetricFlow).
      for (const join of joins.slice(before)) join.type = 'full';
    }
    const where: Expr[] = [];
    if (spineDate && this.timeConstraint(context)) where.push(this.constraintCondition(spineDate, this.constraintGrain(items, context, 'day'), context));
    const tableJoins = instances ? instances.joins((hop, from, to, root) => this.extraJoinConditions(hop, from, to, undefined, root)) : [];
    // Values of different tables are all listed, matched where they can be (MetricFlow's full outer
    // join); the spine is crossed with the root table first, as MetricFlow does.
    for (const join of tableJoins) join.type = 'full';
    const base: Select = {
      comment: root ? `Values reachable from ${root.name}` : 'Dates from the time spine',
      columns,
      from: instances ? instances.root.fromItem() : spineFrom!,
      joins: [...spineJoins, ...tableJoins, ...joins],
      ...(where.length ? { where } : {}),
    };
    const keys = items.map((item) => item.column);
    const uniqueKeys = [...new Set(keys)];
    const applyGroupBy = context.query.applyGroupBy !== false;
    let select: Select = {
      columns: uniqueKeys.map((key) => ({ expr: col(undefined, key) })),
      from: { kind: 'subquery', query: base, alias: this.nextAlias('dimension_values') },
      ...(filterPlan.conditions.length ? { where: filterPlan.conditions } : {}),
      ...(applyGroupBy ? { groupBy: uniqueKeys.map((key) => col(undefined, key)) } : {}),
    };
    let outputColumns = uniqueKeys;
    if (context.query.minMaxOnly) {
      outputColumns = uniqueKeys.flatMap((key) => [`${key}__min`, `${key}__max`]);
      select = {
        columns: uniqueKeys.flatMap((key) => [
          { expr: { kind: 'aggregate', fn: 'min', expr: col(undefined, key) } as Expr, alias: `${key}__min` },
          { expr: { kind: 'aggregate', fn: 'max', expr: col(undefined, key) } as Expr, alias: `${key}__max` },
        ]),
        from: { kind: 'subquery', query: select, alias: this.nextAlias('values') },
      };
    }
    this.explanation.push(`Distinct values of ${uniqueKeys.join(', ')} from ${from}.`);
    return { select, columns: outputColumns };
  }

  private finestMetricTimeGrain(items: ResolvedItem[], fallback: TimeGranularity): TimeGranularity {
    const grains = items.filter((item) => item.metricTime && item.grain && isStandardGrain(item.grain)).map((item) => item.grain as TimeGranularity);
    const finest = grains.length ? grains.reduce(finer) : fallback;
    return grainIndex(finest) < grainIndex('day') ? finest : 'day';
  }

  private applyOrderAndLimit(select: Select, query: MetricQuery, columns: string[], context: QueryContext): void {
    const orderBy = (query.orderBy ?? []).map((text) => {
      const { name, descending } = parseOrderBy(text);
      const lower = name.toLowerCase();
      let column = columns.find((candidate) => candidate === lower);
      if (!column) {
        const request = parseItemName(name, this.customGrainNames);
        const index = context.requests.findIndex((candidate) => candidate.element === request.element && endsWithPath(candidate.entityPath, request.entityPath) && (!request.grain || candidate.grain === request.grain || (!candidate.grain && request.grain === context.defaultGrain)) && candidate.datePart === request.datePart);
        column = index >= 0 ? this.keyColumns(context)[index] : undefined;
      }
      if (!column) throw new StratumError('INVALID_ARGUMENT', `Cannot order by "${name}": it is not a metric or group-by item of the query.${didYouMean(lower, columns)}`, `Order by one of: ${columns.join(', ')} (prefix - for descending).`);
      return { expr: col(undefined, column), descending };
    });
    if (orderBy.length) select.orderBy = orderBy.map((item) => ({ ...item, expr: col(select.from.alias, (item.expr as { name: string }).name) }));
    if (query.limit !== undefined) {
      if (!Number.isInteger(query.limit) || query.limit < 0) throw new StratumError('INVALID_ARGUMENT', `limit must be a non-negative integer, got ${query.limit}.`, 'Pass e.g. limit: 100.');
      select.limit = query.limit;
    }
  }

}

/** Cortex data types that can be summed. */
function isNumericType(type: string | undefined): boolean {
  return Boolean(type && /^(number|numeric|decimal|int|integer|bigint|smallint|tinyint|float|float4|float8|double|real)\b/i.test(type.trim()));
}

function endsWithPath(path: string[], suffix: string[]): boolean {
  return suffix.length <= path.length && suffix.every((part, index) => path[path.length - suffix.length + index] === part);
}

function safeFind(elements: LinkableElement[], request: ItemRequest): LinkableElement | undefined {
  try {
    return findElement(elements, request);
  } catch {
    return undefined;
  }
}

interface QueryContext {
  requests: ItemRequest[];
  where: string[];
  defaultGrain: TimeGranularity;
  query: MetricQuery;
  /** Output column names per request, fixed at first resolution. */
  columns: Map<string, string>;
}

interface MetricUse {
  filters: string[];
  shifts: TimeShift[];
  alias: string;
  /** How messages name this use: the metric, or `refund_rate (numerator refunds)` for an input. */
  label?: string;
}

interface RowsArgs {
  table: LogicalTable;
  measure: Measure;
  groupItems: ResolvedItem[];
  filterPlan: { items: ResolvedItem[]; conditions: Expr[]; metricFilters: { reference: FilterReference; column: string }[] };
  context: QueryContext;
  measureColumn: string;
  timeTransform: boolean;
  shifts: TimeShift[];
  cumulative: CumulativeWindow | undefined;
  use: MetricUse;
  /** Extra row-level columns over the root table (conversion metrics need the entity and event time). */
  extras?: (root: TableInstance) => SelectItem[];
}

/** The tables one measure's rows are read from: the root plus each joined table, once per join path. */
class InstanceSet {
  readonly root: TableInstance;
  private readonly byPath = new Map<string, { instance: TableInstance; hop: JoinHop; parent: TableInstance }>();

  constructor(rootTable: LogicalTable, rootAlias: string) {
    this.root = new TableInstance(rootTable, rootAlias);
  }

  get joined(): TableInstance[] {
    return [...this.byPath.values()].map((entry) => entry.instance);
  }

  /** Which final table a bridge instance (the first hop of a longer path) was first joined for. */
  private readonly bridgeTargets = new Map<string, string>();

  /**
   * The instance at the end of a join path, joining tables in as needed. As in MetricFlow, the
   * bridge table of a two-hop path is joined once per table reached through it (the first such
   * path shares it with one-hop dimensions of the bridge itself).
   */
  reach(hops: JoinHop[]): TableInstance {
    let current = this.root;
    let key = '';
    for (const [index, hop] of hops.entries()) {
      key += `/${hop.entity}:${hop.to.name}`;
      const next = hops[index + 1];
      if (next) {
        const target = `${next.entity}:${next.to.name}`;
        const claimed = this.bridgeTargets.get(key);
        if (claimed === undefined) this.bridgeTargets.set(key, target);
        else if (claimed !== target) key += `#${target}`;
      }
      let entry = this.byPath.get(key);
      if (!entry) {
        entry = { instance: new TableInstance(hop.to, `${hop.to.name}_${this.byPath.size + 1}`), hop, parent: current };
        this.byPath.set(key, entry);
      }
      current = entry.instance;
    }
    return current;
  }

  joins(extra: (hop: JoinHop, from: TableInstance, to: TableInstance, root: TableInstance) => Expr[]): Join[] {
    // Conditions first: they add key columns to the instances, which are rendered afterwards.
    const conditions = [...this.byPath.values()].map(({ instance, hop, parent }) => {
      const left = hop.from.entities.find((entity) => entity.name === hop.entity)!;
      const right = hop.to.entities.find((entity) => entity.name === hop.entity)!;
      return and([binary(parent.use(`entity:${left.name}`, raw(left.expr)), '=', instance.use(`entity:${right.name}`, raw(right.expr))), ...extra(hop, parent, instance, this.root)])!;
    });
    return [...this.byPath.values()].map(({ instance }, index) => ({ type: 'left', item: instance.fromItem(), on: conditions[index]! }) satisfies Join);
  }
}

/** Compiles one metric query over one semantic model. */
export function compileMetricQuery(model: SemanticModel, query: MetricQuery, options: CompileOptions = {}): CompiledQuery {
  return new MetricQueryCompiler(model, options).compile(query);
}
