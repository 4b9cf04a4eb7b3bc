/** SQL identifiers shared by the connectors (both quote with double quotes). */
export function quoteIdent(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** `schema.table` (or `catalog.schema.table`) into schema and table; a bare name gets the default schema. */
export function splitTableName(table: string, defaultSchema: string): [string, string] {
  const parts = table.split('.');
  return parts.length >= 2 ? [parts[parts.length - 2]!, parts[parts.length - 1]!] : [defaultSchema, table];
}
