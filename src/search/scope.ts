import type { TableFilter } from './types.js';

/** A predicate over `schema.table` names from a filter; globs use `*` for any run of characters. */
export function tablePredicate(filter: TableFilter | undefined): ((table: string) => boolean) | undefined {
  if (!filter) return undefined;
  if (typeof filter === 'function') return filter;
  const patterns = filter.map((pattern) => new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i'));
  return (table) => patterns.some((pattern) => pattern.test(table));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
