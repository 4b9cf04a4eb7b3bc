/**
 * The types of schema linking. The search index reads plain inputs (catalog tables, annotations
 * from semantic models, knowledge signals) through these ports and never imports their producers.
 */
import type { CatalogSnapshot, CatalogTable, JsonValue } from '../connectors/index.js';

/** A join the index knows about, between two `schema.table` names. */
export interface KeyLink {
  left: string;
  leftColumns: string[];
  right: string;
  rightColumns: string[];
  source: 'foreign_key' | 'semantic' | 'inferred';
}

/** What a semantic model says about one physical table. */
export interface TableAnnotation {
  /** `schema.table` of the physical table. */
  table: string;
  names: string[];
  descriptions: string[];
  synonyms: string[];
  columns: { name: string; description?: string; synonyms: string[] }[];
}

export interface SemanticSignals {
  tables: TableAnnotation[];
  links: KeyLink[];
}

/** A question known to need some tables: a verified query, SQL history or feedback. */
export interface KnowledgeSignal {
  question: string;
  sql?: string;
  /** `schema.table` names the SQL reads. */
  tables: string[];
  /** 1 for a verified query; lower for plain history, higher for promoted feedback. */
  weight: number;
  /** How the question is known, for the reason shown ("a verified query", "SQL history"); "a known question" by default. */
  label?: string;
}

/** A recorded question found like the asked one at query time, with how alike they are. */
export interface KnowledgeMatch extends KnowledgeSignal {
  /** In [0, 1]: 1 is the same question. */
  similarity: number;
}

/**
 * The port the knowledge store (or anything else) implements to feed questions into ranking:
 * `signals` are indexed with the tables (re-read every few seconds); `similar` is asked at each
 * search, for sources that keep their own question index and know when it changed.
 */
export interface KnowledgeSignals {
  signals(datasource: string): Promise<KnowledgeSignal[]>;
  similar?(datasource: string, question: string): Promise<KnowledgeMatch[]>;
}

/** Restricts results to some tables: `schema.table` patterns with `*` globs, or a predicate. */
export type TableFilter = readonly string[] | ((table: string) => boolean);

export type SampleValues = (table: string, column: string, limit: number) => Promise<JsonValue[]>;

export interface ColumnDocument {
  name: string;
  type: string;
  description?: string;
  synonyms: string[];
  /** Distinct values of a low-cardinality text column. */
  values: string[];
  primaryKey: boolean;
  foreignKey: boolean;
}

/** Everything the index knows about one table; persisted, so plain JSON. */
export interface TableDocument {
  name: string;
  schema: string;
  table: string;
  kind: CatalogTable['kind'];
  description?: string;
  names: string[];
  descriptions: string[];
  synonyms: string[];
  columns: ColumnDocument[];
  /** Hash of the catalog structure of the table: values are re-sampled only when it changes. */
  structureHash: string;
  /** Whether its text columns' values were read (a refresh reads a bounded number; the rest wait for the next). */
  valuesRead: boolean;
  /** Hash of the whole document, for incremental refresh. */
  hash: string;
}

export interface SearchOptions {
  /** Tables to return; 8 by default. */
  topK?: number;
  /** Columns listed per table at most; 12 by default. */
  maxColumns?: number;
  filter?: TableFilter;
}

export interface ColumnMatch {
  name: string;
  type: string;
  description?: string;
  matched: boolean;
}

export interface TableMatch {
  name: string;
  score: number;
  description?: string;
  columns: ColumnMatch[];
  reasons: string[];
}

export interface JoinStep {
  left: string;
  right: string;
  /** `left.col = right.col [AND ...]` with qualified names. */
  on: string;
  source: KeyLink['source'];
}

export interface JoinPath {
  from: string;
  to: string;
  steps: JoinStep[];
}

export interface SearchResult {
  tables: TableMatch[];
  joinPaths: JoinPath[];
}

export interface RefreshReport {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  tables: number;
  elapsedMs: number;
}

export type Progress = (done: number, total: number, message: string) => void;

export type { CatalogSnapshot, CatalogTable };
