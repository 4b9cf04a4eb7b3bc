import type { CatalogSnapshot, CatalogTable, Connector, TableReference } from '../connectors/index.js';
import { StratumError } from '../errors.js';
import type { SubagentBundle, ToolScope } from './types.js';

/** What a scope needs from the process: its datasource (resolved) and that datasource's catalog. */
export interface ScopeServices {
  /** The subagent's datasource name (its `scope.datasource`, else the default one). */
  datasource: string;
  /** Schema of unqualified names: `main` on DuckDB, `public` on PostgreSQL. */
  defaultSchema: string;
  catalog(): Promise<CatalogSnapshot>;
}

/**
 * A predicate over `schema.table` (or `catalog.schema.table`) names from table patterns: `*` is any
 * run of characters, matching ignores case, an unqualified pattern means the default schema.
 * No patterns (`undefined`) allow every table; an empty list allows none.
 */
export function tableMatcher(patterns: readonly string[] | undefined, defaultSchema: string): (name: string) => boolean {
  if (!patterns) return () => true;
  const regexps = patterns.map((pattern) => {
    const qualified = pattern.includes('.') ? pattern : `${defaultSchema}.${pattern}`;
    return new RegExp(`^${qualified.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  });
  return (name) => regexps.some((regexp) => regexp.test(name) || regexp.test(withoutCatalog(name)));
}

function withoutCatalog(name: string): string {
  const parts = name.split('.');
  return parts.length > 2 ? parts.slice(-2).join('.') : name;
}

const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * The catalog table a reference names, resolved the way the engine binds it: `catalog.schema.table`;
 * `schema.table` (or `catalog.table` in the catalog's default schema); a bare name in the default
 * schema. Undefined when nothing or more than one table fits (the caller refuses it).
 */
export function resolveTable(reference: TableReference, tables: readonly CatalogTable[], defaultSchema: string): CatalogTable | undefined {
  const named = tables.filter((table) => same(table.table, reference.table));
  let found: CatalogTable[];
  if (reference.catalog) found = named.filter((table) => same(table.catalog, reference.catalog) && same(table.schema, reference.schema ?? defaultSchema));
  else if (reference.schema) {
    found = named.filter((table) => same(table.schema, reference.schema));
    if (found.length === 0) found = named.filter((table) => same(table.catalog, reference.schema) && same(table.schema, defaultSchema));
  } else found = named.filter((table) => same(table.schema, defaultSchema));
  return found.length === 1 ? found[0] : undefined;
}

export function writtenName(reference: TableReference): string {
  return [reference.catalog, reference.schema, reference.table].filter(Boolean).join('.');
}

/** The scope a subagent's server enforces in every tool. */
export function createToolScope(bundle: SubagentBundle, services: ScopeServices): ToolScope {
  const allowsTable = tableMatcher(bundle.scope.tables, services.defaultSchema);
  const models = bundle.scope.semantic_models?.map((name) => name.toLowerCase());
  const metrics = bundle.scope.metrics?.map((name) => name.toLowerCase());
  const allowsModel = (name: string) => !models || models.includes(name.toLowerCase());
  const violation = (message: string, hint: string) => new StratumError('SCOPE_VIOLATION', message, hint);
  const tablesHint = () =>
    bundle.scope.tables ? `The "${bundle.name}" subagent may read: ${bundle.scope.tables.join(', ')} (list_tables shows them).` : `list_tables shows the tables the "${bundle.name}" subagent may read.`;
  return {
    subagent: bundle,
    datasource(requested) {
      if (requested !== undefined && requested !== services.datasource) {
        throw violation(`Datasource "${requested}" is outside the "${bundle.name}" subagent's scope.`, `Omit datasource; this subagent works on "${services.datasource}".`);
      }
      return services.datasource;
    },
    allowsTable,
    allowsModel,
    allowsMetric: (model, metric) => allowsModel(model) && (!metrics || metrics.includes(metric.toLowerCase())),
    async checkSql(sql: string, connector: Connector) {
      const reads = await connector.statementReads(sql);
      const opaque = reads.opaque[0];
      if (opaque !== undefined) {
        throw violation(`The query reads ${opaque}, which the "${bundle.name}" subagent's scope cannot vouch for.`, `Query the scoped tables directly. ${tablesHint()}`);
      }
      const snapshot = await services.catalog();
      for (const reference of reads.tables) {
        const table = resolveTable(reference, snapshot.tables, services.defaultSchema);
        if (!table) {
          throw violation(`The query reads "${writtenName(reference)}", which is not a table the "${bundle.name}" subagent may read.`, tablesHint());
        }
        if (!allowsTable(table.name)) throw violation(`The query reads table ${table.name}, which is outside the "${bundle.name}" subagent's scope.`, tablesHint());
      }
    },
  };
}

/**
 * A connector whose `execute` and `explain` first check the statement against the scope, so SQL
 * a tool builds itself (dimension values, compiled metrics) keeps to the scope like run_sql does.
 */
export function scopedConnector(connector: Connector, scope: ToolScope): Connector {
  return Object.assign(Object.create(connector) as Connector, {
    async execute(sql: string, options: Parameters<Connector['execute']>[1]) {
      await scope.checkSql(sql, connector);
      return connector.execute(sql, options);
    },
    async explain(sql: string, options?: Parameters<Connector['explain']>[1]) {
      await scope.checkSql(sql, connector);
      return connector.explain(sql, options);
    },
  });
}
