import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDBConnector } from '../../src/connectors/duckdb/connector.js';
import { tempDir } from '../helpers/fixture.js';
import { DuckDBInstance } from '@duckdb/node-api';

const budget = { maxRows: 1000, maxChars: 100_000, timeoutMs: 10_000 };
let connector: DuckDBConnector;

beforeAll(async () => {
  const path = join(tempDir(), 'types.duckdb');
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run(`CREATE TYPE mood AS ENUM ('sad', 'happy')`);
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
  connector = new DuckDBConnector('types', { type: 'duckdb', path });
});

afterAll(() => connector.close());

/** [SQL expression, DuckDB type reported, JSON value expected] */
const cases: [string, string, unknown][] = [
  ['true', 'BOOLEAN', true],
  ['CAST(-7 AS TINYINT)', 'TINYINT', -7],
  ['CAST(300 AS SMALLINT)', 'SMALLINT', 300],
  ['CAST(2147483647 AS INTEGER)', 'INTEGER', 2147483647],
  ['CAST(9007199254740991 AS BIGINT)', 'BIGINT', 9007199254740991],
  ['CAST(9007199254740993 AS BIGINT)', 'BIGINT', '9007199254740993'],
  ['CAST(-9223372036854775808 AS BIGINT)', 'BIGINT', '-9223372036854775808'],
  ['CAST(255 AS UTINYINT)', 'UTINYINT', 255],
  ['CAST(65535 AS USMALLINT)', 'USMALLINT', 65535],
  ['CAST(4294967295 AS UINTEGER)', 'UINTEGER', 4294967295],
  ['CAST(18446744073709551615 AS UBIGINT)', 'UBIGINT', '18446744073709551615'],
  ['CAST(170141183460469231731687303715884105727 AS HUGEINT)', 'HUGEINT', '170141183460469231731687303715884105727'],
  ['CAST(42 AS HUGEINT)', 'HUGEINT', 42],
  ['CAST(340282366920938463463374607431768211455 AS UHUGEINT)', 'UHUGEINT', '340282366920938463463374607431768211455'],
  ['CAST(1.5 AS FLOAT)', 'FLOAT', 1.5],
  ['CAST(0.1 AS DOUBLE)', 'DOUBLE', 0.1],
  ["CAST('NaN' AS DOUBLE)", 'DOUBLE', 'NaN'],
  ["CAST('inf' AS DOUBLE)", 'DOUBLE', 'Infinity'],
  ['CAST(0.10 AS DECIMAL(5,2)) + CAST(0.20 AS DECIMAL(5,2))', 'DECIMAL(6,2)', '0.30'],
  ['CAST(12345678901234567890.1234567890 AS DECIMAL(38,10))', 'DECIMAL(38,10)', '12345678901234567890.1234567890'],
  ["DATE '2024-02-29'", 'DATE', '2024-02-29'],
  ["TIME '13:45:30.5'", 'TIME', '13:45:30.5'],
  ["TIMESTAMP '2024-02-29 13:45:30.123456'", 'TIMESTAMP', '2024-02-29T13:45:30.123456'],
  ["CAST(TIMESTAMP '2024-02-29 13:45:30' AS TIMESTAMP_S)", 'TIMESTAMP_S', '2024-02-29T13:45:30'],
  ["CAST(TIMESTAMP '2024-02-29 13:45:30.123' AS TIMESTAMP_MS)", 'TIMESTAMP_MS', '2024-02-29T13:45:30.123'],
  ["CAST('2024-02-29 13:45:30.123456789' AS TIMESTAMP_NS)", 'TIMESTAMP_NS', '2024-02-29T13:45:30.123456789'],
  ["CAST('2024-02-29 13:45:30+00' AS TIMESTAMPTZ)", 'TIMESTAMP WITH TIME ZONE', '2024-02-29T13:45:30+00'],
  ["INTERVAL '1 day 2 hours'", 'INTERVAL', '1 day 02:00:00'],
  ["'naïve café ☕'", 'VARCHAR', 'naïve café ☕'],
  ["'\\xDE\\xAD\\xBE\\xEF'::BLOB", 'BLOB', '3q2+7w=='],
  ["'6f1c2b8e-6d0a-4c2e-9a9b-0d8f5a1e2c3d'::UUID", 'UUID', '6f1c2b8e-6d0a-4c2e-9a9b-0d8f5a1e2c3d'],
  ["'happy'::mood", 'ENUM(\'sad\', \'happy\')', 'happy'],
  ['[1, 2, NULL]', 'INTEGER[]', [1, 2, null]],
  ['[9007199254740993]::BIGINT[]', 'BIGINT[]', ['9007199254740993']],
  ['array_value(1.5, 2.5)::DOUBLE[2]', 'DOUBLE[2]', [1.5, 2.5]],
  ["{'name': 'Ada', 'born': DATE '1815-12-10'}", 'STRUCT("name" VARCHAR, "born" DATE)', { name: 'Ada', born: '1815-12-10' }],
  ["MAP {'a': 1, 'b': 2}", 'MAP(VARCHAR, INTEGER)', { a: 1, b: 2 }],
  ["union_value(num := 2)::UNION(num INTEGER, str VARCHAR)", 'UNION("num" INTEGER, "str" VARCHAR)', 2],
  ["'10110'::BIT", 'BIT', '10110'],
  ['NULL', 'INTEGER', null],
  ['CAST(NULL AS INTEGER)', 'INTEGER', null],
];

describe('DuckDB values become JSON-safe and lossless', () => {
  it.each(cases)('round-trips %s', async (expression, type, expected) => {
    const result = await connector.execute(`SELECT ${expression} AS v`, budget);
    expect(result.columns).toEqual([{ name: 'v', type }]);
    expect(result.rows).toEqual([[expected]]);
    expect(JSON.parse(JSON.stringify(result.rows))).toEqual([[expected]]);
  });
});
