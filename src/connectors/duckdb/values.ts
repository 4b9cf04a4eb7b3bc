import {
  DuckDBBlobValue,
  DuckDBTypeId,
  arrayFromArrayValue,
  arrayFromListValue,
  booleanFromValue,
  createDuckDBValueConverter,
  fromVariantValue,
  jsonNumberFromValue,
  numberFromValue,
  objectArrayFromMapValue,
  objectFromStructValue,
  objectFromUnionValue,
  stringFromValue,
  unsupportedConverter,
  nullConverter,
  type DuckDBValue,
  type DuckDBValueConverter,
} from '@duckdb/node-api';
import type { JsonValue } from '../types.js';

/** Integers stay numbers while exact; beyond 2^53 they become strings so no digit is lost. */
function exactInteger(value: DuckDBValue): number | string {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  return typeof value === 'number' ? value : String(value);
}

/** DuckDB prints timestamps as `2024-01-31 12:00:00`; ISO 8601 puts a T between date and time. */
function isoTimestamp(value: DuckDBValue): string {
  const text = String(value);
  return /^-?\d{4,}-\d\d-\d\d /.test(text) ? text.replace(' ', 'T') : text;
}

function base64Blob(value: DuckDBValue): string {
  return value instanceof DuckDBBlobValue ? Buffer.from(value.bytes).toString('base64') : String(value);
}

/** Maps with scalar keys read naturally as JSON objects; other keys keep the [{key, value}] form. */
function mapAsJson(value: DuckDBValue, type: Parameters<DuckDBValueConverter<JsonValue>>[1], converter: DuckDBValueConverter<JsonValue>): JsonValue {
  const entries = objectArrayFromMapValue(value, type, converter);
  if (entries.every((entry) => typeof entry.key === 'string' || typeof entry.key === 'number')) {
    return Object.fromEntries(entries.map((entry) => [String(entry.key), entry.value]));
  }
  return entries.map((entry) => ({ key: entry.key, value: entry.value }));
}

function unionAsJson(value: DuckDBValue, type: Parameters<DuckDBValueConverter<JsonValue>>[1], converter: DuckDBValueConverter<JsonValue>): JsonValue {
  return objectFromUnionValue(value, type, converter).value;
}

const converters: Record<DuckDBTypeId, DuckDBValueConverter<JsonValue> | undefined> = {
  [DuckDBTypeId.INVALID]: unsupportedConverter,
  [DuckDBTypeId.BOOLEAN]: booleanFromValue,
  [DuckDBTypeId.TINYINT]: numberFromValue,
  [DuckDBTypeId.SMALLINT]: numberFromValue,
  [DuckDBTypeId.INTEGER]: numberFromValue,
  [DuckDBTypeId.BIGINT]: exactInteger,
  [DuckDBTypeId.UTINYINT]: numberFromValue,
  [DuckDBTypeId.USMALLINT]: numberFromValue,
  [DuckDBTypeId.UINTEGER]: numberFromValue,
  [DuckDBTypeId.UBIGINT]: exactInteger,
  [DuckDBTypeId.HUGEINT]: exactInteger,
  [DuckDBTypeId.UHUGEINT]: exactInteger,
  [DuckDBTypeId.BIGNUM]: exactInteger,
  [DuckDBTypeId.FLOAT]: jsonNumberFromValue,
  [DuckDBTypeId.DOUBLE]: jsonNumberFromValue,
  // DECIMAL keeps every digit as a string: a double would turn 0.10 + 0.20 into 0.30000000000000004.
  [DuckDBTypeId.DECIMAL]: stringFromValue,
  [DuckDBTypeId.DATE]: stringFromValue,
  [DuckDBTypeId.TIME]: stringFromValue,
  [DuckDBTypeId.TIME_NS]: stringFromValue,
  [DuckDBTypeId.TIME_TZ]: stringFromValue,
  [DuckDBTypeId.TIMESTAMP]: isoTimestamp,
  [DuckDBTypeId.TIMESTAMP_S]: isoTimestamp,
  [DuckDBTypeId.TIMESTAMP_MS]: isoTimestamp,
  [DuckDBTypeId.TIMESTAMP_NS]: isoTimestamp,
  [DuckDBTypeId.TIMESTAMP_TZ]: isoTimestamp,
  [DuckDBTypeId.INTERVAL]: stringFromValue,
  [DuckDBTypeId.VARCHAR]: stringFromValue,
  [DuckDBTypeId.BLOB]: base64Blob,
  [DuckDBTypeId.ENUM]: stringFromValue,
  [DuckDBTypeId.UUID]: stringFromValue,
  [DuckDBTypeId.BIT]: stringFromValue,
  [DuckDBTypeId.GEOMETRY]: stringFromValue,
  [DuckDBTypeId.LIST]: arrayFromListValue,
  [DuckDBTypeId.ARRAY]: arrayFromArrayValue,
  [DuckDBTypeId.STRUCT]: objectFromStructValue,
  [DuckDBTypeId.MAP]: mapAsJson,
  [DuckDBTypeId.UNION]: unionAsJson,
  [DuckDBTypeId.VARIANT]: fromVariantValue,
  [DuckDBTypeId.SQLNULL]: nullConverter,
  [DuckDBTypeId.ANY]: unsupportedConverter,
  [DuckDBTypeId.STRING_LITERAL]: stringFromValue,
  [DuckDBTypeId.INTEGER_LITERAL]: exactInteger,
};

/** Converts DuckDB values to JSON-safe, lossless values. */
export const jsonValueConverter: DuckDBValueConverter<JsonValue> = createDuckDBValueConverter(converters);
