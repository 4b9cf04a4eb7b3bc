import type { StatementReads, TableReference } from '../types.js';
import type { ParseTree } from './guard.js';

/** Table functions that only generate values from their arguments (arguments are still walked). */
const GENERATORS = new Set(['range', 'generate_series', 'unnest']);

/** What a parse tree reads, before the engine's catalog resolves any name. */
export interface ParsedReads {
  tables: TableReference[];
  /** Table functions called in FROM (generators included), lower case. */
  tableFunctions: string[];
  /** Scalar functions called anywhere, lower case. */
  functions: string[];
  /** `SHOW TABLES` and the like: they list the catalog rather than a table. */
  catalogListings: string[];
}

type Json = Record<string, unknown>;

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Walks DuckDB's parse tree (`json_serialize_sql`) with SQL's scoping of CTE names: a CTE hides a
 * table of the same unqualified name only inside the query that defines it (its body and the CTEs
 * after it; its own body only when it is recursive). A name that could be either counts as a table,
 * so a caller checking a scope can only over-refuse, never let a table through.
 */
export function readsOfParseTree(tree: ParseTree): ParsedReads {
  const reads: ParsedReads = { tables: [], tableFunctions: [], functions: [], catalogListings: [] };
  const visit = (node: unknown, ctes: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, ctes);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Json;
    const cteMap = record.cte_map as { map?: { key?: unknown; value?: { query?: { node?: Json } } }[] } | undefined;
    let visible = ctes;
    if (cteMap?.map?.length) {
      const defined = new Set(ctes);
      for (const entry of cteMap.map) {
        const name = typeof entry.key === 'string' ? entry.key.toLowerCase() : undefined;
        const body = entry.value?.query?.node;
        const recursive = body?.type === 'RECURSIVE_CTE_NODE' && String(body.cte_name).toLowerCase() === name;
        visit(entry.value, recursive && name ? new Set([...defined, name]) : defined);
        if (name) defined.add(name);
      }
      visible = defined;
    }
    if (record.type === 'BASE_TABLE' && typeof record.table_name === 'string') {
      const catalog = text(record.catalog_name);
      const schema = text(record.schema_name);
      if (catalog || schema || !visible.has(record.table_name.toLowerCase())) {
        reads.tables.push({ ...(catalog ? { catalog } : {}), ...(schema ? { schema } : {}), table: record.table_name });
      }
    }
    if (record.type === 'TABLE_FUNCTION') {
      const name = text((record.function as Json | undefined)?.function_name);
      reads.tableFunctions.push((name ?? '?').toLowerCase());
    } else if (record.class === 'FUNCTION' && typeof record.function_name === 'string') {
      reads.functions.push(record.function_name.toLowerCase());
    }
    if (record.type === 'SHOW_REF' && !record.query) reads.catalogListings.push(`SHOW ${String(record.table_name ?? '').replace(/"/g, '')}`.trim());
    for (const [key, value] of Object.entries(record)) if (key !== 'cte_map') visit(value, visible);
  };
  visit(tree.statements ?? [], new Set());
  return reads;
}

/**
 * What a statement reads, for scope checks: its tables as written, and everything that reads data
 * a table list cannot vouch for (table functions other than pure generators, catalog listings,
 * functions known to read tables).
 */
export function statementReads(parsed: ParsedReads, readingFunctions: ReadonlySet<string>): StatementReads {
  const opaque = new Set<string>();
  for (const name of parsed.tableFunctions) if (!GENERATORS.has(name) || readingFunctions.has(name)) opaque.add(`table function ${name}()`);
  for (const name of parsed.functions) if (readingFunctions.has(name)) opaque.add(`function ${name}() (it reads tables)`);
  for (const listing of parsed.catalogListings) opaque.add(listing);
  return { tables: parsed.tables, opaque: [...opaque] };
}

/**
 * Physical tables named in DuckDB's parse tree, as `schema.table` (unqualified names get the
 * default schema). Names that refer to a CTE in scope are not tables and are left out.
 */
export function tablesInParseTree(tree: ParseTree, defaultSchema: string): string[] {
  const names = new Map<string, string>();
  for (const reference of readsOfParseTree(tree).tables) {
    const name = `${reference.catalog ? `${reference.catalog}.` : ''}${reference.schema ?? defaultSchema}.${reference.table}`;
    names.set(name.toLowerCase(), name);
  }
  return [...names.values()].sort();
}
