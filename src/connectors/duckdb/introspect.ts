import type { DuckDBConnection } from '@duckdb/node-api';
import type { CatalogColumn, CatalogTable, ForeignKey } from '../types.js';

type Row = Record<string, unknown>;

async function rows(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Row[];
}

const USER_OBJECTS = "database_name NOT IN ('system', 'temp') AND NOT internal";

/** Reads tables, views, columns, comments and key constraints from DuckDB's catalog functions. */
export async function introspectDuckDB(connection: DuckDBConnection): Promise<CatalogTable[]> {
  const [tableRows, viewRows, columnRows, constraintRows] = await Promise.all([
    rows(connection, `SELECT database_name, schema_name, table_name AS name, comment, estimated_size FROM duckdb_tables() WHERE ${USER_OBJECTS} AND NOT temporary`),
    rows(connection, `SELECT database_name, schema_name, view_name AS name, comment, sql FROM duckdb_views() WHERE ${USER_OBJECTS} AND NOT temporary`),
    rows(connection, `SELECT database_name, schema_name, table_name, column_name, column_index, comment, is_nullable, data_type FROM duckdb_columns() WHERE ${USER_OBJECTS} ORDER BY database_name, schema_name, table_name, column_index`),
    rows(connection, `SELECT database_name, schema_name, table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names FROM duckdb_constraints() WHERE database_name NOT IN ('system', 'temp') AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')`),
  ]);

  const catalogs = new Set([...tableRows, ...viewRows].map((row) => String(row.database_name)));
  const qualify = (database: unknown, schema: unknown, name: unknown) =>
    `${catalogs.size > 1 ? `${String(database)}.` : ''}${String(schema)}.${String(name)}`;

  const tables = new Map<string, CatalogTable>();
  const add = (row: Row, kind: 'table' | 'view') => {
    const name = qualify(row.database_name, row.schema_name, row.name);
    tables.set(name, {
      name,
      catalog: String(row.database_name),
      schema: String(row.schema_name),
      table: String(row.name),
      kind,
      comment: nonEmpty(row.comment),
      rowCount: kind === 'table' && row.estimated_size !== null ? Number(row.estimated_size) : undefined,
      columns: [],
      primaryKey: [],
      foreignKeys: [],
      ...(kind === 'view' && typeof row.sql === 'string' ? { definition: row.sql } : {}),
    });
  };
  tableRows.forEach((row) => add(row, 'table'));
  viewRows.forEach((row) => add(row, 'view'));

  for (const row of columnRows) {
    const table = tables.get(qualify(row.database_name, row.schema_name, row.table_name));
    if (!table) continue;
    const column: CatalogColumn = {
      name: String(row.column_name),
      type: String(row.data_type),
      nullable: Boolean(row.is_nullable),
      comment: nonEmpty(row.comment),
      position: Number(row.column_index),
    };
    table.columns.push(column);
  }

  for (const row of constraintRows) {
    const table = tables.get(qualify(row.database_name, row.schema_name, row.table_name));
    if (!table) continue;
    const columns = (row.constraint_column_names as string[] | null) ?? [];
    if (row.constraint_type === 'PRIMARY KEY') table.primaryKey = columns;
    else if (row.referenced_table) {
      const foreignKey: ForeignKey = {
        columns,
        referencesTable: qualify(row.database_name, row.schema_name, row.referenced_table),
        referencesColumns: (row.referenced_column_names as string[] | null) ?? [],
      };
      table.foreignKeys.push(foreignKey);
    }
  }
  return [...tables.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
