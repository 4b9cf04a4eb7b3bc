import type { ParseTree } from './guard.js';

interface TableReference {
  catalog: string | undefined;
  schema: string | undefined;
  table: string;
}

/**
 * Physical tables named in DuckDB's parse tree (`json_serialize_sql`), as `schema.table`.
 * Unqualified names defined by a CTE anywhere in the statement are not tables, so they are left out.
 */
export function tablesInParseTree(tree: ParseTree, defaultSchema: string): string[] {
  const references: TableReference[] = [];
  const cteNames = new Set<string>();
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'BASE_TABLE' && typeof record.table_name === 'string') {
      references.push({ catalog: text(record.catalog_name), schema: text(record.schema_name), table: record.table_name });
    }
    const cteMap = record.cte_map as { map?: { key?: unknown }[] } | undefined;
    for (const entry of cteMap?.map ?? []) if (typeof entry.key === 'string') cteNames.add(entry.key.toLowerCase());
    Object.values(record).forEach(visit);
  };
  visit(tree.statements ?? []);
  const names = new Map<string, string>();
  for (const reference of references) {
    if (!reference.schema && !reference.catalog && cteNames.has(reference.table.toLowerCase())) continue;
    const name = `${reference.catalog ? `${reference.catalog}.` : ''}${reference.schema ?? defaultSchema}.${reference.table}`;
    names.set(name.toLowerCase(), name);
  }
  return [...names.values()].sort();
}
