import { stemmer } from 'stemmer';
import { splitWords } from './tokenizer.js';
import type { CatalogTable, JoinPath, KeyLink } from './types.js';

/**
 * Key relationships between tables: declared foreign keys, semantic-model relationships and links
 * inferred from names (`orders.customer_id` -> the table whose key is `customer_id`, or `customer.id`).
 */
export class KeyGraph {
  private readonly adjacency = new Map<string, KeyLink[]>();

  constructor(readonly links: readonly KeyLink[]) {
    for (const link of links) {
      this.add(link.left, link);
      this.add(link.right, { left: link.right, leftColumns: link.rightColumns, right: link.left, rightColumns: link.leftColumns, source: link.source });
    }
  }

  private add(table: string, link: KeyLink): void {
    const list = this.adjacency.get(table);
    if (!list) this.adjacency.set(table, [link]);
    else if (!list.some((known) => known.right === link.right && known.leftColumns.join() === link.leftColumns.join())) list.push(link);
  }

  neighbours(table: string): string[] {
    return [...new Set((this.adjacency.get(table) ?? []).map((link) => link.right))];
  }

  linksOf(table: string): readonly KeyLink[] {
    return this.adjacency.get(table) ?? [];
  }

  /** Shortest join path (fewest hops, declared keys preferred) from one table to another, within `maxHops`. */
  path(from: string, to: string, maxHops = 3): KeyLink[] | undefined {
    if (from === to) return [];
    const previous = new Map<string, KeyLink>([[from, undefined as unknown as KeyLink]]);
    let frontier = [from];
    for (let hop = 0; hop < maxHops && frontier.length > 0; hop++) {
      const next: string[] = [];
      for (const table of frontier) {
        const links = [...(this.adjacency.get(table) ?? [])].sort((a, b) => SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source]);
        for (const link of links) {
          if (previous.has(link.right)) continue;
          previous.set(link.right, link);
          if (link.right === to) return unwind(previous, from, to);
          next.push(link.right);
        }
      }
      frontier = next;
    }
    return undefined;
  }

  /** Join paths that connect the given tables: each one to the nearest table ranked above it. */
  joinPaths(tables: readonly string[]): JoinPath[] {
    const paths: JoinPath[] = [];
    for (let index = 1; index < tables.length; index++) {
      const to = tables[index]!;
      let best: KeyLink[] | undefined;
      let bestFrom = '';
      for (const from of tables.slice(0, index)) {
        const path = this.path(from, to);
        if (path && (!best || path.length < best.length)) {
          best = path;
          bestFrom = from;
        }
      }
      if (best) {
        paths.push({
          from: bestFrom,
          to,
          steps: best.map((link) => ({
            left: link.left,
            right: link.right,
            on: link.leftColumns.map((column, i) => `${link.left}.${column} = ${link.right}.${link.rightColumns[i] ?? column}`).join(' AND '),
            source: link.source,
          })),
        });
      }
    }
    return paths;
  }
}

const SOURCE_ORDER: Record<KeyLink['source'], number> = { foreign_key: 0, semantic: 1, inferred: 2 };

function unwind(previous: Map<string, KeyLink>, from: string, to: string): KeyLink[] {
  const steps: KeyLink[] = [];
  for (let at = to; at !== from; ) {
    const link = previous.get(at)!;
    steps.unshift(link);
    at = link.left;
  }
  return steps;
}

export function foreignKeyLinks(tables: readonly CatalogTable[]): KeyLink[] {
  return tables.flatMap((table) =>
    table.foreignKeys.map((foreignKey) => ({
      left: table.name,
      leftColumns: foreignKey.columns,
      right: foreignKey.referencesTable,
      rightColumns: foreignKey.referencesColumns.length ? foreignKey.referencesColumns : foreignKey.columns,
      source: 'foreign_key' as const,
    })),
  );
}

/**
 * Links a naming convention implies: a column named like another table's single-column primary key
 * (`orders.customer_id` -> `customers.customer_id`), or `x_id` -> table `x`/`xs` with an `id` column.
 * Only within one schema, and never from a column that already has a declared key.
 */
export function inferredLinks(tables: readonly CatalogTable[], declared: readonly KeyLink[]): KeyLink[] {
  const declaredColumns = new Map<string, Set<string>>();
  for (const link of declared) {
    const columns = declaredColumns.get(link.left) ?? new Set<string>();
    columns.add(link.leftColumns.join(','));
    declaredColumns.set(link.left, columns);
  }
  // Per schema: tables by their single-column key, and tables with an `id` column by their name's stem.
  const schemas = new Map<string, { byKey: Map<string, CatalogTable[]>; byStem: Map<string, CatalogTable[]> }>();
  const push = (map: Map<string, CatalogTable[]>, key: string, table: CatalogTable) => {
    const list = map.get(key);
    if (list) list.push(table);
    else map.set(key, [table]);
  };
  for (const table of tables) {
    let schema = schemas.get(table.schema);
    if (!schema) schemas.set(table.schema, (schema = { byKey: new Map(), byStem: new Map() }));
    if (table.primaryKey.length === 1 && table.primaryKey[0]!.toLowerCase() !== 'id') push(schema.byKey, table.primaryKey[0]!.toLowerCase(), table);
    if (table.columns.some((column) => column.name.toLowerCase() === 'id')) push(schema.byStem, nameStem(table.table), table);
  }
  const links: KeyLink[] = [];
  for (const table of tables) {
    const { byKey, byStem } = schemas.get(table.schema)!;
    const declaredHere = declaredColumns.get(table.name);
    const ownKey = table.primaryKey.length === 1 ? table.primaryKey[0] : undefined;
    for (const column of table.columns) {
      const lower = column.name.toLowerCase();
      if (lower === 'id' || declaredHere?.has(column.name)) continue;
      for (const target of byKey.get(lower) ?? []) {
        if (target !== table && ownKey !== column.name) links.push({ left: table.name, leftColumns: [column.name], right: target.name, rightColumns: [target.primaryKey[0]!], source: 'inferred' });
      }
      // Only a name ending in "id" (customer_id, customerId) can split into words ending in "id".
      if (byStem.size === 0 || !ENDS_IN_ID.test(lower)) continue;
      const words = splitWords(column.name);
      if (words.length >= 2 && words[words.length - 1] === 'id') {
        for (const target of byStem.get(nameStem(words.slice(0, -1).join('_'))) ?? []) {
          const idColumn = target.columns.find((c) => c.name.toLowerCase() === 'id')!;
          if (target !== table) links.push({ left: table.name, leftColumns: [column.name], right: target.name, rightColumns: [idColumn.name], source: 'inferred' });
        }
      }
    }
  }
  return links;
}

const ENDS_IN_ID = /id[^a-z0-9]*$/;
const nameStems = new Map<string, string>();

function nameStem(name: string): string {
  let known = nameStems.get(name);
  if (known === undefined) {
    known = splitWords(name).map((word) => stemmer(word)).join('_');
    if (nameStems.size > 100_000) nameStems.clear();
    nameStems.set(name, known);
  }
  return known;
}
