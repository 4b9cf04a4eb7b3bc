import { describe, expect, it } from 'vitest';
import { col, sameValue, type Select } from '../../src/semantic/sql/ast.js';
import { DIALECTS, renderSelect } from '../../src/semantic/sql/render.js';

/** Two aggregated metric nodes combined on a key that may be NULL, as the compiler combines metrics. */
const combined: Select = {
  columns: [{ expr: { kind: 'call', name: 'COALESCE', args: [col('a', 'region'), col('b', 'region')] }, alias: 'region' }, { expr: { kind: 'aggregate', fn: 'sum', expr: { kind: 'cast', expr: col('a', 'is_paid'), type: 'integer' } }, alias: 'paid' }],
  from: { kind: 'table', schema: 'main', name: 'a', alias: 'a' },
  joins: [
    { type: 'full', item: { kind: 'table', schema: 'main', name: 'b', alias: 'b' }, on: sameValue(col('a', 'region'), col('b', 'region')) },
    { type: 'left', item: { kind: 'table', schema: 'main', name: 'c', alias: 'c' }, on: sameValue(col('a', 'region'), col('c', 'region')) },
  ],
  groupBy: [col('a', 'region')],
};

describe('SQL dialects', () => {
  it('full-joins on a hashable null-safe equality in PostgreSQL and keeps IS NOT DISTINCT FROM elsewhere', () => {
    expect(renderSelect(combined, DIALECTS.postgres)).toBe(
      [
        'SELECT',
        '  COALESCE(a.region, b.region) AS region',
        '  , SUM(CAST(a.is_paid AS INTEGER)) AS paid',
        'FROM main.a a',
        'FULL OUTER JOIN main.b b',
        '  ON (JSONB_BUILD_ARRAY(a.region) = JSONB_BUILD_ARRAY(b.region))',
        'LEFT OUTER JOIN main.c c',
        '  ON a.region IS NOT DISTINCT FROM c.region',
        'GROUP BY',
        '  a.region',
      ].join('\n'),
    );
  });

  it('renders DuckDB full joins as written and casts booleans to BIGINT', () => {
    const sql = renderSelect(combined, DIALECTS.duckdb);
    expect(sql).toContain('FULL OUTER JOIN main.b b\n  ON a.region IS NOT DISTINCT FROM b.region');
    expect(sql).toContain('SUM(CAST(a.is_paid AS BIGINT)) AS paid');
  });

  it('truncates PostgreSQL periods on a timestamp, so a date column does not become a zone-dependent timestamptz', () => {
    const select: Select = { columns: [{ expr: { kind: 'dateTrunc', grain: 'month', expr: col('o', 'order_date') }, alias: 'month' }], from: { kind: 'table', name: 'orders', alias: 'o' } };
    expect(renderSelect(select, DIALECTS.postgres)).toBe("SELECT\n  DATE_TRUNC('month', CAST(o.order_date AS TIMESTAMP)) AS month\nFROM orders o");
    expect(renderSelect(select, DIALECTS.duckdb)).toBe("SELECT\n  DATE_TRUNC('month', o.order_date) AS month\nFROM orders o");
  });
});
