import type { ClientBase } from 'pg';
import type { CatalogColumn, CatalogTable } from '../types.js';

/** Schemas that are PostgreSQL's own, never the user's data. */
const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

interface TableRow {
  oid: number;
  schema: string;
  name: string;
  kind: string;
  comment: string | null;
  rows: number | null;
  definition: string | null;
}

/**
 * Reads tables, partitioned and foreign tables, views and materialised views (as views, with their
 * definition and, having storage, a row estimate), columns with their declared types, comments,
 * primary and foreign keys from the system catalogs. Row counts are `pg_class.reltuples` (summed
 * over the leaves of a partitioned table); a table never analysed has none. Partitions are folded
 * into their parent, and only relations the role may read are listed.
 */
export async function introspectPostgres(client: ClientBase, database: string, schemas: readonly string[] | undefined): Promise<CatalogTable[]> {
  const schemaFilter = schemas?.length ? 'n.nspname = ANY($1::text[])' : `${SYSTEM_SCHEMAS} AND cardinality($1::text[]) = 0`;
  const tables = await client.query<TableRow>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
            obj_description(c.oid, 'pg_class') AS comment,
            CASE WHEN c.relkind = 'p' THEN (SELECT sum(greatest(l.reltuples, 0))::float8 FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
                 WHEN c.relkind IN ('r', 'm', 'f') AND c.reltuples >= 0 THEN c.reltuples::float8 END AS rows,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND ${schemaFilter}
       AND (has_table_privilege(c.oid, 'SELECT') OR has_any_column_privilege(c.oid, 'SELECT'))`,
    [schemas ?? []],
  );
  const oids = tables.rows.map((row) => row.oid);
  const [columns, constraints] = await Promise.all([
    client.query<{ oid: number; name: string; type: string; nullable: boolean; comment: string | null }>(
      `SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              col_description(a.attrelid, a.attnum) AS comment
       FROM pg_attribute a WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attrelid, a.attnum`,
      [oids],
    ),
    client.query<{ oid: number; type: string; columns: string[]; ref_schema: string | null; ref_table: string | null; ref_columns: string[] }>(
      `SELECT con.conrelid::int AS oid, con.contype::text AS type,
              ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
              rn.nspname AS ref_schema, rc.relname AS ref_table,
              ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_columns
       FROM pg_constraint con
       LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
       WHERE con.contype IN ('p', 'f') AND con.conrelid = ANY($1::oid[])
       ORDER BY con.conname`,
      [oids],
    ),
  ]);

  const byOid = new Map<number, CatalogTable>();
  for (const row of tables.rows) {
    byOid.set(row.oid, {
      name: `${row.schema}.${row.name}`,
      catalog: database,
      schema: row.schema,
      table: row.name,
      kind: row.kind === 'v' || row.kind === 'm' ? 'view' : 'table',
      comment: nonEmpty(row.comment),
      rowCount: row.rows === null ? undefined : Math.round(row.rows),
      columns: [],
      primaryKey: [],
      foreignKeys: [],
      ...(row.definition ? { definition: row.definition.trim() } : {}),
    });
  }
  for (const row of columns.rows) {
    const table = byOid.get(row.oid);
    if (!table) continue;
    const column: CatalogColumn = { name: row.name, type: row.type, nullable: row.nullable, comment: nonEmpty(row.comment), position: table.columns.length + 1 };
    table.columns.push(column);
  }
  for (const row of constraints.rows) {
    const table = byOid.get(row.oid);
    if (!table) continue;
    if (row.type === 'p') table.primaryKey = row.columns;
    else table.foreignKeys.push({ columns: row.columns, referencesTable: `${row.ref_schema}.${row.ref_table}`, referencesColumns: row.ref_columns });
  }
  return [...byOid.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function nonEmpty(value: string | null): string | undefined {
  return value !== null && value.trim() !== '' ? value : undefined;
}
