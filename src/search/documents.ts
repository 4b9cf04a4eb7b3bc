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

/** Hash of what the catalog says about a table: its values are re-read only when this changes. */
export function structureHash(table: CatalogTable): string {
  return hash([table.name, table.kind, table.comment, table.columns.map((c) => [c.name, c.type, c.comment]), table.primaryKey, table.foreignKeys]);
}

/** Hash of every table's structure: when it changes, the index refreshes the tables that changed. */
export function catalogFingerprint(tables: readonly CatalogTable[]): string {
  return hash(tables.map(structureHash).sort());
}

/** One table's document: catalog facts, the semantic models' words for it, and its sampled values. */
export function tableDocument(table: CatalogTable, annotations: readonly TableAnnotation[], values: ReadonlyMap<string, string[]> | undefined): TableDocument {
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
  const columns: ColumnDocument[] = table.columns.map((column) => {
    const notes = columnNotes.get(column.name.toLowerCase());
    const description = [column.comment, ...(notes?.descriptions ?? [])].filter(Boolean).join('; ');
    return {
      name: column.name,
      type: column.type,
      ...(description ? { description } : {}),
      synonyms: unique(notes?.synonyms ?? []),
      values: values?.get(column.name) ?? [],
      primaryKey: table.primaryKey.includes(column.name),
      foreignKey: foreignKeyColumns.has(column.name),
    };
  });
  const document: Omit<TableDocument, 'hash'> = {
    name: table.name,
    schema: table.schema,
    table: table.table,
    kind: table.kind,
    ...(table.comment ? { description: table.comment } : {}),
    names: unique(annotations.flatMap((annotation) => annotation.names)),
    descriptions: unique(annotations.flatMap((annotation) => annotation.descriptions)),
    synonyms: unique(annotations.flatMap((annotation) => annotation.synonyms)),
    columns,
    structureHash: structureHash(table),
  };
  return { ...document, hash: hash(document) };
}

function unique(items: string[]): string[] {
  return [...new Set(items.filter((item) => item.trim().length > 0))];
}

/** The text of each lexical field of a document. */
export function documentFields(document: TableDocument): Record<'name' | 'schema' | 'description' | 'synonyms' | 'columns' | 'values', string> {
  return {
    name: [document.table, ...document.names].join(' '),
    schema: document.schema,
    description: [document.description ?? '', ...document.descriptions].join(' '),
    synonyms: [...document.synonyms, ...document.columns.flatMap((column) => column.synonyms)].join(' '),
    columns: document.columns.map((column) => `${column.name} ${column.description ?? ''}`).join(' '),
    values: document.columns.flatMap((column) => column.values).join(' '),
  };
}
