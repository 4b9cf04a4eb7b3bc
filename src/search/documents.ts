import { createHash } from 'node:crypto';
import type { CatalogTable, ColumnDocument, TableAnnotation, TableDocument } from './types.js';

/** Low-cardinality text columns: at most this many distinct values are indexed as values. */
export const MAX_DISTINCT_VALUES = 50;
const TEXT_TYPES = /^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|ENUM|character varying|text)/i;

export function isTextType(type: string): boolean {
  return TEXT_TYPES.test(type);
}

function hash(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}

const structureHashes = new WeakMap<CatalogTable, string>();

/** Hash of what the catalog says about a table: its values are re-read only when this changes. */
export function structureHash(table: CatalogTable): string {
  // Catalog snapshots are immutable, and refresh, reuse and fingerprint all ask for the same table.
  let known = structureHashes.get(table);
  if (known === undefined) {
    known = hash([table.name, table.kind, table.comment, table.columns.map((c) => [c.name, c.type, c.comment]), table.primaryKey, table.foreignKeys]);
    structureHashes.set(table, known);
  }
  return known;
}

/** Hash of every table's structure: when it changes, the index refreshes the tables that changed. */
export function catalogFingerprint(tables: readonly CatalogTable[]): string {
  return hash(tables.map(structureHash).sort());
}

/**
 * One table's document: catalog facts, the semantic models' words for it, and its sampled values
 * (`valuesRead` says they were read, even if none qualified; by default, when `values` are given).
 */
export function tableDocument(
  table: CatalogTable,
  annotations: readonly TableAnnotation[],
  values: ReadonlyMap<string, string[]> | undefined,
  valuesRead = values !== undefined,
): TableDocument {
  const foreignKeyColumns = new Set(table.foreignKeys.flatMap((foreignKey) => foreignKey.columns));
  const columnNotes = new Map<string, { descriptions: string[]; synonyms: string[] }>();
  for (const annotation of annotations) {
    for (const column of annotation.columns) {
      const key = column.name.toLowerCase();
      const notes = columnNotes.get(key) ?? { descriptions: [], synonyms: [] };
      if (column.description) notes.descriptions.push(column.description);
      notes.synonyms.push(...column.synonyms);
      columnNotes.set(key, notes);
    }
  }
  const primaryKey = new Set(table.primaryKey);
  const columns: ColumnDocument[] = table.columns.map((column) => {
    const notes = columnNotes.size ? columnNotes.get(column.name.toLowerCase()) : undefined;
    const description = notes ? [column.comment, ...notes.descriptions].filter(Boolean).join('; ') : (column.comment ?? '');
    const document: ColumnDocument = {
      name: column.name,
      type: column.type,
      synonyms: notes ? unique(notes.synonyms) : [],
      values: values?.get(column.name) ?? [],
      primaryKey: primaryKey.has(column.name),
      foreignKey: foreignKeyColumns.has(column.name),
    };
    if (description) document.description = description;
    return document;
  });
  const tableStructure = structureHash(table);
  return {
    name: table.name,
    schema: table.schema,
    table: table.table,
    kind: table.kind,
    ...(table.comment ? { description: table.comment } : {}),
    names: unique(annotations.flatMap((annotation) => annotation.names)),
    descriptions: unique(annotations.flatMap((annotation) => annotation.descriptions)),
    synonyms: unique(annotations.flatMap((annotation) => annotation.synonyms)),
    columns,
    structureHash: tableStructure,
    valuesRead,
    // The document is a function of these inputs, so their hash tells when it changed.
    hash: hash([tableStructure, table.schema, table.table, annotations, columns.map((column) => column.values), valuesRead]),
  };
}

function unique(items: string[]): string[] {
  return [...new Set(items.filter((item) => item.trim().length > 0))];
}
