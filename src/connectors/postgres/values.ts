import type { ClientBase } from 'pg';
import type { JsonValue } from '../types.js';

/**
 * PostgreSQL text values to JSON-safe, lossless values, with the DuckDB connector's conventions:
 * integers stay numbers while exact and become strings beyond 2^53; numeric and money are strings;
 * non-finite floats are the strings "NaN", "Infinity", "-Infinity"; dates and times are ISO strings
 * (a T between date and time); bytea is base64; arrays are JSON arrays of converted elements;
 * json/jsonb keep their exact text (a JSON number may carry more digits than a double); everything
 * else (enums, uuid, intervals, ranges, geometric, network, composite types) is the server's text.
 */
export type ValueConverter = (text: string | null) => JsonValue;

export interface PostgresType {
  oid: number;
  /** `format_type(oid, NULL)`: integer, numeric, character varying, timestamp with time zone ... */
  name: string;
  /** `pg_type.typcategory`: A array, B boolean, D date/time, N numeric, S string ... */
  category: string;
  /** Element type of an array type. */
  element: number;
  /** Array element delimiter (`,` for everything but box). */
  delimiter: string;
}

const BOOL = 16;
const BYTEA = 17;
const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const OID = 26;
const FLOAT4 = 700;
const FLOAT8 = 701;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const VOID = 2278;

const text: ValueConverter = (value) => value;

function exactInteger(value: string): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

function float(value: string): number | string {
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

/** `2024-01-31 12:00:00+00` → `2024-01-31T12:00:00+00`; `infinity` stays as it is. */
function isoTimestamp(value: string): string {
  return /^\d{4,}-\d\d-\d\d /.test(value) ? value.replace(' ', 'T') : value;
}

/** bytea's hex output (`\x0102ff`) as base64. */
function base64Bytea(value: string): string {
  return value.startsWith('\\x') ? Buffer.from(value.slice(2), 'hex').toString('base64') : Buffer.from(value, 'latin1').toString('base64');
}

const scalar = new Map<number, (value: string) => JsonValue>([
  [BOOL, (value) => value === 't'],
  [BYTEA, base64Bytea],
  [INT2, Number],
  [INT4, Number],
  [OID, Number],
  [INT8, exactInteger],
  [FLOAT4, float],
  [FLOAT8, float],
  [TIMESTAMP, isoTimestamp],
  [TIMESTAMPTZ, isoTimestamp],
  [VOID, () => null],
]);

/**
 * Parses PostgreSQL's array literal (`{1,2}`, `{{1,NULL},{"a b","c\"d"}}`, `[0:1]={1,2}`) into
 * nested arrays of element texts, converting each element.
 */
export function parseArray(literal: string, delimiter: string, element: (value: string | null) => JsonValue): JsonValue {
  let position = literal.startsWith('[') ? literal.indexOf('=') + 1 : 0;
  const parseLevel = (): JsonValue[] => {
    const items: JsonValue[] = [];
    position++; // '{'
    while (position < literal.length) {
      const char = literal[position];
      if (char === '}') {
        position++;
        return items;
      }
      if (char === delimiter) {
        position++;
        continue;
      }
      if (char === '{') {
        items.push(parseLevel());
        continue;
      }
      if (char === '"') {
        let value = '';
        position++;
        while (literal[position] !== '"') {
          if (literal[position] === '\\') position++;
          value += literal[position++];
        }
        position++;
        items.push(element(value));
        continue;
      }
      const start = position;
      while (literal[position] !== delimiter && literal[position] !== '}') position++;
      const value = literal.slice(start, position).trim();
      items.push(element(value === 'NULL' ? null : value));
    }
    return items;
  };
  return parseLevel();
}

/** The server's types by OID: loaded once from pg_type, reloaded when an unknown OID shows up. */
export class PostgresTypes {
  private types = new Map<number, PostgresType>();
  private loaded = false;

  /** Loads the catalog of types when it is not loaded yet or does not know one of `oids`. */
  async ensure(client: ClientBase, oids: readonly number[] = [], options: { reload?: boolean } = {}): Promise<void> {
    if (this.loaded && !options.reload && oids.every((oid) => this.types.has(oid))) return;
    // Relations' row types (one per table) are left out: a warehouse has thousands and a result
    // column of such a type is rare; unknown types read as text.
    const result = await client.query<{ oid: number; name: string; category: string; element: number; delimiter: string }>(
      `SELECT t.oid::int AS oid, format_type(t.oid, NULL) AS name, t.typcategory AS category, t.typelem::int AS element, t.typdelim AS delimiter
       FROM pg_catalog.pg_type t
       WHERE t.typrelid = 0 OR t.oid = ANY($1::oid[])
          OR t.typelem = ANY($1::oid[]) OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')`,
      [oids],
    );
    this.types = new Map(result.rows.map((row) => [row.oid, row]));
    this.loaded = true;
  }

  /** The column type as users write it: `integer`, `numeric(12,2)`, `character varying(100)`. */
  nameOf(oid: number, modifier = -1): string {
    const name = this.types.get(oid)?.name ?? `oid ${oid}`;
    if (modifier < 0) return name;
    if (name === 'numeric' && modifier >= 4) return `numeric(${((modifier - 4) >> 16) & 0xffff},${(modifier - 4) & 0xffff})`;
    if ((name === 'character varying' || name === 'character') && modifier >= 4) return `${name}(${modifier - 4})`;
    if (name === 'bit' || name === 'bit varying') return `${name}(${modifier})`;
    return name;
  }

  converter(oid: number): ValueConverter {
    const known = scalar.get(oid);
    if (known) return (value) => (value === null ? null : known(value));
    const type = this.types.get(oid);
    if (type?.category === 'A' && type.element !== 0) {
      const element = this.converter(type.element);
      return (value) => (value === null ? null : parseArray(value, type.delimiter, element));
    }
    return text;
  }
}
