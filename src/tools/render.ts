import type { JsonValue } from '../connectors/index.js';

const MAX_CELL = 80;

function cell(value: JsonValue): string {
  if (value === null) return 'NULL';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const flat = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/** A compact pipe table: what a model reads most cheaply and a person can still scan. */
export function renderTable(headers: string[], rows: JsonValue[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function formatCount(value: number | undefined): string {
  if (value === undefined) return '?';
  return value.toLocaleString('en-US');
}
