import type { KeyLink, KnowledgeSignal, KnowledgeSignals, SemanticSignals, TableAnnotation } from '../search/index.js';
import type { LogicalTable, SemanticModel } from './ir.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `schema.table` of a logical table's physical table. */
export function physicalName(table: LogicalTable, defaultSchema: string): string {
  return `${table.physical.schema ?? defaultSchema}.${table.physical.table}`;
}

/**
 * What schema linking learns from semantic models: names, descriptions and synonyms of tables and
 * of the columns their dimensions, measures and entities read, and the joins they declare.
 */
export function semanticSearchSignals(models: readonly SemanticModel[], defaultSchema: string): SemanticSignals {
  const tables: TableAnnotation[] = [];
  const links: KeyLink[] = [];
  for (const model of models) {
    const physical = new Map(model.tables.map((table) => [table.name, physicalName(table, defaultSchema)]));
    for (const table of model.tables) {
      const annotation: TableAnnotation = {
        table: physical.get(table.name)!,
        names: [table.name, ...(table.label ? [table.label] : [])],
        descriptions: table.description ? [table.description] : [],
        synonyms: [...table.synonyms],
        columns: [],
      };
      for (const field of [...table.dimensions, ...table.measures, ...table.entities]) {
        const words = [field.name, ...(field.label ? [field.label] : []), ...field.synonyms];
        if (IDENTIFIER.test(field.expr)) annotation.columns.push({ name: field.expr, ...(field.description ? { description: field.description } : {}), synonyms: words.filter((word) => word !== field.expr) });
        else {
          annotation.synonyms.push(...words);
          if (field.description) annotation.descriptions.push(field.description);
        }
      }
      tables.push(annotation);
    }
    for (const relationship of model.relationships) {
      const left = physical.get(relationship.leftTable);
      const right = physical.get(relationship.rightTable);
      const columns = relationship.columns.filter((pair) => IDENTIFIER.test(pair.left) && IDENTIFIER.test(pair.right));
      if (left && right && columns.length) links.push({ left, leftColumns: columns.map((pair) => pair.left), right, rightColumns: columns.map((pair) => pair.right), source: 'semantic' });
    }
  }
  return { tables, links };
}

/** Verified queries as knowledge signals: their question, attached to the tables their SQL reads. */
export function verifiedQuerySignals(models: () => readonly SemanticModel[], tablesOf: (sql: string) => Promise<string[]>): KnowledgeSignals {
  const cache = new Map<string, Promise<string[]>>();
  const tables = (sql: string) => {
    let pending = cache.get(sql);
    if (!pending) {
      pending = tablesOf(sql).catch(() => []);
      cache.set(sql, pending);
    }
    return pending;
  };
  return {
    async signals(): Promise<KnowledgeSignal[]> {
      const queries = models().flatMap((model) => model.verifiedQueries);
      return Promise.all(queries.map(async (query) => ({ question: query.question, sql: query.sql, tables: await tables(query.sql), weight: 1 })));
    },
  };
}
