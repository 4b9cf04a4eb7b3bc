// Spider-format schemas (Spider, BIRD, the union settings) as Stratum catalog tables; shared by
// bench/search-corpora.mjs and the corpora tests.

/**
 * One database's tables, named `<schema>.<table>` (the database id by default, as in the union
 * settings where every database is one schema); normalised names become comments where they differ.
 */
export function catalogTables(schema, schemaName = schema.db_id) {
  const tables = schema.table_names_original.map((table, t) => {
    const normal = schema.table_names[t];
    return {
      name: `${schemaName}.${table}`,
      catalog: 'bench',
      schema: schemaName,
      table,
      kind: 'table',
      comment: differs(normal, table) ? normal : undefined,
      rowCount: undefined,
      columns: [],
      primaryKey: [],
      foreignKeys: [],
    };
  });
  schema.column_names_original.forEach(([t, column], c) => {
    if (t < 0) return;
    const normal = schema.column_names[c][1];
    tables[t].columns.push({ name: column, type: schema.column_types[c], nullable: true, comment: differs(normal, column) ? normal : undefined, position: tables[t].columns.length + 1 });
  });
  for (const key of schema.primary_keys) {
    for (const c of Array.isArray(key) ? key : [key]) {
      const [t, column] = schema.column_names_original[c];
      tables[t].primaryKey.push(column);
    }
  }
  for (const [from, to] of schema.foreign_keys) {
    const [ft, fc] = schema.column_names_original[from];
    const [tt, tc] = schema.column_names_original[to];
    tables[ft].foreignKeys.push({ columns: [fc], referencesTable: tables[tt].name, referencesColumns: [tc] });
  }
  return tables;
}

function differs(normal, original) {
  return normal.toLowerCase().replace(/[^a-z0-9]+/g, '') !== original.toLowerCase().replace(/[^a-z0-9]+/g, '');
}
