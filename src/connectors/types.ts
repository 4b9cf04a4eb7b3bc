/** What every datasource offers the tools: catalog, guarded execution, planning, table references. */

export type Dialect = 'duckdb' | 'postgres';

export type TableKind = 'table' | 'view';

export interface CatalogColumn {
  name: string;
  type: string;
  nullable: boolean;
  comment: string | undefined;
  /** Ordinal position, 1-based. */
  position: number;
}

export interface ForeignKey {
  columns: string[];
  referencesTable: string;
  referencesColumns: string[];
}

export interface CatalogTable {
  /** `schema.table` (a catalog prefix only when several catalogs exist). */
  name: string;
  catalog: string;
  schema: string;
  table: string;
  kind: TableKind;
  comment: string | undefined;
  /** Approximate; from engine statistics, not a COUNT(*). */
  rowCount: number | undefined;
  columns: CatalogColumn[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
  /** For views: the defining SQL. */
  definition?: string;
}

export interface CatalogSnapshot {
  datasource: string;
  dialect: Dialect;
  tables: CatalogTable[];
  introspectedAt: string;
}

export interface ResultColumn {
  name: string;
  type: string;
}

/** A JSON-safe value: lossless (big integers and decimals as strings), dates as ISO strings. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface QueryResult {
  columns: ResultColumn[];
  rows: JsonValue[][];
  rowCount: number;
  truncated: boolean;
  elapsedMs: number;
  warning?: string;
}

export interface ExecuteOptions {
  maxRows: number;
  maxChars: number;
  timeoutMs: number;
  /** Aborting interrupts the running statement (MCP cancellation). */
  signal?: AbortSignal;
}

export interface ExplainResult {
  /** The engine's plan, as text. */
  plan: string;
}

/** A table as a statement names it, before resolution (unqualified parts absent). */
export interface TableReference {
  catalog?: string;
  schema?: string;
  table: string;
}

/** What one statement reads, for scope checks (subagents). */
export interface StatementReads {
  /** Tables and views it names (CTE names excluded). */
  tables: TableReference[];
  /** What it reads that no table list can vouch for (table functions, catalog listings, functions that read tables). */
  opaque: string[];
}

export interface Connector {
  readonly name: string;
  readonly dialect: Dialect;
  introspect(): Promise<CatalogSnapshot>;
  /** Runs one read-only statement within row, character and time budgets. Throws StratumError. */
  execute(sql: string, options: ExecuteOptions): Promise<QueryResult>;
  /** Plans a statement without running it; the same read-only guard applies. */
  explain(sql: string, options?: { timeoutMs?: number }): Promise<ExplainResult>;
  /** Physical tables a statement reads, as `schema.table`, CTE names excluded. */
  referencedTables(sql: string): Promise<string[]>;
  /** Everything a statement reads, from the engine's own parse or plan; the same read-only guard applies. */
  statementReads(sql: string): Promise<StatementReads>;
  /** A few frequent non-null values of a column, for catalog samples and value search. */
  sampleValues(table: string, column: string, limit: number): Promise<JsonValue[]>;
  close(): Promise<void>;
}
