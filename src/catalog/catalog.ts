import { StratumError, closestNames, formatSuggestions } from '../errors.js';
import type { CatalogSnapshot, CatalogTable, Connector, JsonValue } from '../connectors/index.js';

export interface TableSummary {
  name: string;
  kind: CatalogTable['kind'];
  comment: string | undefined;
  rowCount: number | undefined;
  columnCount: number;
}

export interface ColumnDetail {
  name: string;
  type: string;
  nullable: boolean;
  comment: string | undefined;
  primaryKey: boolean;
  /** `schema.table.column` this column references, when a foreign key says so. */
  references: string | undefined;
  samples: JsonValue[];
}

export interface TableDetail {
  name: string;
  kind: CatalogTable['kind'];
  comment: string | undefined;
  rowCount: number | undefined;
  primaryKey: string[];
  foreignKeys: CatalogTable['foreignKeys'];
  /** Tables whose foreign keys point at this one. */
  referencedBy: { table: string; columns: string[] }[];
  columns: ColumnDetail[];
  definition?: string;
}

const TEXT_TYPES = /^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|ENUM|character varying|text)/i;
const SAMPLE_COUNT = 5;

/**
 * The introspected catalog of one datasource: read once on first use, cached, refreshed on demand.
 * Sample values are read per table when it is first described.
 */
export class Catalog {
  private snapshot: Promise<CatalogSnapshot> | undefined;
  private readonly samples = new Map<string, Promise<Map<string, JsonValue[]>>>();

  constructor(private readonly connector: Connector) {}

  get datasource(): string {
    return this.connector.name;
  }

  async load(options: { refresh?: boolean } = {}): Promise<CatalogSnapshot> {
    if (options.refresh) {
      this.snapshot = undefined;
      this.samples.clear();
    }
    if (!this.snapshot) {
      this.snapshot = this.connector.introspect().catch((error: unknown) => {
        this.snapshot = undefined;
        throw error;
      });
    }
    return this.snapshot;
  }

  async listTables(options: { schema?: string; search?: string; refresh?: boolean } = {}): Promise<TableSummary[]> {
    const { tables } = await this.load({ refresh: options.refresh });
    const search = options.search?.toLowerCase();
    return tables
      .filter((table) => !options.schema || table.schema.toLowerCase() === options.schema.toLowerCase())
      .filter(
        (table) =>
          !search ||
          table.name.toLowerCase().includes(search) ||
          (table.comment ?? '').toLowerCase().includes(search) ||
          table.columns.some((column) => column.name.toLowerCase().includes(search)),
      )
      .map((table) => ({ name: table.name, kind: table.kind, comment: table.comment, rowCount: table.rowCount, columnCount: table.columns.length }));
  }

  /** Finds a table by `schema.table`, `table` (any schema, if unique) or case-insensitively. */
  async resolveTable(name: string): Promise<CatalogTable> {
    const { tables } = await this.load();
    const wanted = name.trim().replace(/"/g, '').toLowerCase();
    const exact = tables.find((table) => table.name.toLowerCase() === wanted);
    if (exact) return exact;
    const byShortName = tables.filter((table) => table.table.toLowerCase() === wanted || `${table.catalog}.${table.schema}.${table.table}`.toLowerCase() === wanted);
    if (byShortName.length === 1) return byShortName[0]!;
    if (byShortName.length > 1) {
      throw new StratumError('TABLE_UNKNOWN', `Table name "${name}" is ambiguous: ${byShortName.map((t) => t.name).join(', ')}.`, 'Qualify it as schema.table.');
    }
    // Match typos against both the short and the qualified name, but always suggest the qualified one.
    const qualifiedBy = new Map<string, string>();
    for (const table of tables) {
      qualifiedBy.set(table.table, table.name);
      qualifiedBy.set(table.name, table.name);
    }
    const suggestions = [...new Set(closestNames(name, qualifiedBy.keys()).map((candidate) => qualifiedBy.get(candidate)!))];
    throw new StratumError(
      'TABLE_UNKNOWN',
      `Unknown table "${name}" in datasource "${this.datasource}".${formatSuggestions(suggestions)}`,
      'Call list_tables to see the available tables.',
    );
  }

  async describeTable(name: string): Promise<TableDetail> {
    const table = await this.resolveTable(name);
    const { tables } = await this.load();
    const samples = await this.samplesOf(table);
    const referenceOf = new Map<string, string>();
    for (const foreignKey of table.foreignKeys) {
      foreignKey.columns.forEach((column, index) => referenceOf.set(column, `${foreignKey.referencesTable}.${foreignKey.referencesColumns[index] ?? column}`));
    }
    const referencedBy = tables.flatMap((other) =>
      other.foreignKeys.filter((foreignKey) => foreignKey.referencesTable === table.name).map((foreignKey) => ({ table: other.name, columns: foreignKey.columns })),
    );
    return {
      name: table.name,
      kind: table.kind,
      comment: table.comment,
      rowCount: table.rowCount,
      primaryKey: table.primaryKey,
      foreignKeys: table.foreignKeys,
      referencedBy,
      columns: table.columns.map((column) => ({
        name: column.name,
        type: column.type,
        nullable: column.nullable,
        comment: column.comment,
        primaryKey: table.primaryKey.includes(column.name),
        references: referenceOf.get(column.name),
        samples: samples.get(column.name) ?? [],
      })),
      ...(table.definition ? { definition: table.definition } : {}),
    };
  }

  /** A few frequent values of each text column; a failure to sample never fails a describe. */
  private samplesOf(table: CatalogTable): Promise<Map<string, JsonValue[]>> {
    let pending = this.samples.get(table.name);
    if (!pending) {
      pending = (async () => {
        const result = new Map<string, JsonValue[]>();
        for (const column of table.columns.filter((c) => TEXT_TYPES.test(c.type))) {
          try {
            result.set(column.name, await this.connector.sampleValues(table.name, column.name, SAMPLE_COUNT));
          } catch {
            result.set(column.name, []);
          }
        }
        return result;
      })();
      this.samples.set(table.name, pending);
    }
    return pending;
  }
}
