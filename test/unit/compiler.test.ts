import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { compileMetricQuery, type MetricQuery } from '../../src/semantic/compiler/index.js';
import { parseMetricFlow } from '../../src/semantic/metricflow/parse.js';
import { parseCortex } from '../../src/semantic/cortex/parse.js';
import type { SemanticModel } from '../../src/semantic/ir.js';
import { DIALECTS } from '../../src/semantic/sql/render.js';
import { tempDir } from '../helpers/fixture.js';
import type { StratumError } from '../../src/errors.js';

const MODEL = `
semantic_model:
  name: customers
  node_relation: { schema_name: main, alias: customers }
  entities: [{ name: customer, type: primary, expr: customer_id }]
  dimensions: [{ name: region, type: categorical }]
---
semantic_model:
  name: orders
  node_relation: { schema_name: main, alias: orders }
  defaults: { agg_time_dimension: ordered_at }
  entities:
    - { name: order, type: primary, expr: order_id }
    - { name: customer, type: foreign, expr: customer_id }
  dimensions:
    - { name: ordered_at, type: time, type_params: { time_granularity: day } }
    - { name: status, type: categorical }
  measures:
    - { name: revenue, agg: sum, expr: amount, create_metric: true }
    - { name: orders, agg: sum, expr: "1", create_metric: true }
---
semantic_model:
  name: order_items
  node_relation: { schema_name: main, alias: order_items }
  defaults: { agg_time_dimension: shipped_at }
  entities:
    - { name: item, type: primary, expr: item_id }
    - { name: order, type: foreign, expr: order_id }
  dimensions:
    - { name: shipped_at, type: time, type_params: { time_granularity: day } }
  measures:
    - { name: quantity, agg: sum, expr: qty, create_metric: true }
---
semantic_model:
  name: campaigns
  node_relation: { schema_name: main, alias: campaigns }
  defaults: { agg_time_dimension: day }
  dimensions: [{ name: day, type: time, type_params: { time_granularity: day } }]
  measures: [{ name: spend, agg: sum, create_metric: true }]
---
metric:
  name: revenue_per_order
  type: ratio
  type_params: { numerator: revenue, denominator: orders }
---
metric:
  name: completed_revenue
  type: simple
  type_params: { measure: revenue }
  filter: "{{ Dimension('order__status') }} = 'completed'"
`;

const PROFILES = `
---
semantic_model:
  name: customer_profiles
  node_relation: { schema_name: main, alias: customers }
  entities: [{ name: customer, type: primary, expr: customer_id }]
  dimensions: [{ name: region, type: categorical }]
`;

let instance: DuckDBInstance;
let connection: DuckDBConnection;
const model = (text = MODEL): SemanticModel => parseMetricFlow([{ path: '/models/shop.yml', text }], { name: 'shop', path: '/models' }, { refs: {}, placeholders: {}, defaultSchema: 'main' });

async function rows(query: MetricQuery, text?: string): Promise<Record<string, unknown>[]> {
  const compiled = compileMetricQuery(model(text), query);
  const reader = await connection.runAndReadAll(compiled.sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(join(tempDir('compiler'), 'shop.duckdb'));
  connection = await instance.connect();
  for (const statement of [
    `CREATE TABLE customers (customer_id INTEGER, region VARCHAR)`,
    `INSERT INTO customers VALUES (1, 'EU'), (2, 'US')`,
    `CREATE TABLE orders (order_id INTEGER, customer_id INTEGER, ordered_at DATE, amount DECIMAL(10,2), status VARCHAR)`,
    `INSERT INTO orders VALUES (10, 1, '2024-01-05', 100, 'completed'), (11, 1, '2024-02-03', 50, 'cancelled'), (12, 2, '2024-01-20', 30, 'completed')`,
    `CREATE TABLE order_items (item_id INTEGER, order_id INTEGER, qty INTEGER, shipped_at DATE)`,
    `INSERT INTO order_items VALUES (100, 10, 2, '2024-01-06'), (101, 10, 3, '2024-01-06'), (102, 10, 1, '2024-01-07'), (103, 12, 4, '2024-01-21')`,
    `CREATE TABLE campaigns (day DATE, spend INTEGER)`,
    `INSERT INTO campaigns VALUES ('2024-01-01', 7)`,
    `CREATE TABLE visits (user_id INTEGER, ds DATE, channel VARCHAR)`,
    `INSERT INTO visits VALUES (1, '2024-01-01', 'ads'), (1, '2024-01-05', 'email'), (2, '2024-01-02', 'ads'), (3, '2024-01-03', 'email')`,
    `CREATE TABLE buys (user_id INTEGER, ds DATE)`,
    `INSERT INTO buys VALUES (1, '2024-01-02'), (1, '2024-01-06'), (2, '2024-01-10')`,
  ]) await connection.run(statement);
});

afterAll(() => {
  connection?.closeSync();
  instance?.closeSync();
});

describe('compileMetricQuery', () => {
  it('does not inflate a measure when another metric of the query lives on a many-side table', async () => {
    const result = await rows({ metrics: ['revenue', 'quantity'], groupBy: ['customer__region'], orderBy: ['customer__region'] });
    // A naive orders JOIN order_items would count order 10 (100.00) three times: EU revenue 350.
    expect(result).toEqual([
      { customer__region: 'EU', revenue: '150.00', quantity: '6' },
      { customer__region: 'US', revenue: '30.00', quantity: '4' },
    ]);
  });

  it('names a two-hop dimension by its full entity path', () => {
    expect(compileMetricQuery(model(), { metrics: ['quantity'], groupBy: ['customer__region'] }).columns).toEqual(['order__customer__region', 'quantity']);
  });

  it('truncates metric_time to the grain asked for and applies inclusive time bounds', async () => {
    expect(await rows({ metrics: ['revenue'], groupBy: ['metric_time__month'], orderBy: ['metric_time__month'] })).toEqual([
      { metric_time__month: '2024-01-01 00:00:00', revenue: '130.00' },
      { metric_time__month: '2024-02-01 00:00:00', revenue: '50.00' },
    ]);
    expect(await rows({ metrics: ['revenue'], startTime: '2024-01-20', endTime: '2024-01-20' })).toEqual([{ revenue: '30.00' }]);
  });

  it('computes ratio and filtered metrics', async () => {
    expect(await rows({ metrics: ['revenue_per_order', 'completed_revenue'], groupBy: ['customer__region'], orderBy: ['customer__region'] })).toEqual([
      { customer__region: 'EU', revenue_per_order: 75, completed_revenue: '100.00' },
      { customer__region: 'US', revenue_per_order: 30, completed_revenue: '30.00' },
    ]);
  });

  it('applies where filters in template and plain form alike', async () => {
    const template = await rows({ metrics: ['revenue'], where: ["{{ Dimension('customer__region') }} = 'EU'"] });
    const plain = await rows({ metrics: ['revenue'], where: ["customer__region = 'EU'"] });
    expect(template).toEqual([{ revenue: '150.00' }]);
    expect(plain).toEqual(template);
  });

  it('lists dimension values when no metric is asked for', async () => {
    expect(await rows({ groupBy: ['customer__region'], orderBy: ['-customer__region'] })).toEqual([{ customer__region: 'US' }, { customer__region: 'EU' }]);
  });

  it('is deterministic and renders PostgreSQL intervals differently from DuckDB', () => {
    const query: MetricQuery = { metrics: ['revenue', 'quantity'], groupBy: ['metric_time__week', 'customer__region'], startTime: '2024-01-01' };
    expect(compileMetricQuery(model(), query).sql).toBe(compileMetricQuery(model(), query).sql);
    const duck = compileMetricQuery(model(), { ...query, endTime: '2024-02-01' }).sql;
    const pg = compileMetricQuery(model(), { ...query, endTime: '2024-02-01' }, { dialect: DIALECTS.postgres }).sql;
    expect(duck).toContain('+ INTERVAL 7 day');
    expect(pg).toContain("+ INTERVAL '7 day'");
  });

  it('suggests the metric a typo meant', () => {
    expect(() => compileMetricQuery(model(), { metrics: ['revnue'] })).toThrow('Unknown metric "revnue" in semantic model shop. Did you mean "revenue"?');
  });

  it('suggests the dimension a typo meant', () => {
    expect(() => compileMetricQuery(model(), { metrics: ['revenue'], groupBy: ['customer__regoin'] })).toThrow('Unknown dimension or entity "customer__regoin". Did you mean "customer" or "customer__region"?');
  });

  it('refuses a dimension no join path reaches from a metric', () => {
    expect(() => compileMetricQuery(model(), { metrics: ['spend'], groupBy: ['customer__region'] })).toThrow(
      '"customer__region" cannot be reached from metric spend (measure spend of campaigns): no chain of many-to-one joins (at most 2) leads from it to that dimension.',
    );
  });

  it('refuses an ambiguous dimension and names both paths', () => {
    expect(() => compileMetricQuery(model(MODEL + PROFILES), { metrics: ['revenue'], groupBy: ['customer__region'] })).toThrow(
      '"customer__region" is ambiguous: it can be reached as customer__region (semantic model customers) or customer__region (semantic model customer_profiles).',
    );
  });

  it('refuses invalid grains', () => {
    expect(() => compileMetricQuery(model(), { metrics: ['revenue'], groupBy: ['customer__region__month'] })).toThrow('"customer__region__month": customer__region is not a time dimension, so it takes no grain or date part.');
    expect(() => compileMetricQuery(model(), { metrics: ['revenue'], groupBy: ['order__ordered_at__hour'] })).toThrow('"order__ordered_at__hour" asks for hour, finer than order__ordered_at holds (day).');
    expect(() => compileMetricQuery(model(), { metrics: ['revenue'], groupBy: ['metric_time__extract_fortnight'] })).toThrow('Unknown date part "fortnight" in "metric_time__extract_fortnight".');
  });

  it('refuses an order_by that is not in the query', () => {
    expect(() => compileMetricQuery(model(), { metrics: ['revenue'], orderBy: ['-quantity'] })).toThrow('Cannot order by "quantity": it is not a metric or group-by item of the query.');
  });

  it('credits each conversion to the latest base event of the same entity inside the window', async () => {
    const funnel = `
semantic_model:
  name: visits
  node_relation: { schema_name: main, alias: visits }
  defaults: { agg_time_dimension: ds }
  entities: [{ name: visit, type: primary, expr: "CAST(user_id AS VARCHAR) || '-' || CAST(ds AS VARCHAR)" }, { name: user, type: foreign, expr: user_id }]
  dimensions: [{ name: ds, type: time, type_params: { time_granularity: day } }, { name: channel, type: categorical }]
  measures: [{ name: visits, agg: sum, expr: "1" }]
---
semantic_model:
  name: buys
  node_relation: { schema_name: main, alias: buys }
  defaults: { agg_time_dimension: ds }
  entities: [{ name: user, type: foreign, expr: user_id }]
  dimensions: [{ name: ds, type: time, type_params: { time_granularity: day } }]
  measures: [{ name: buys, agg: sum, expr: "1" }]
---
metric:
  name: buy_rate_3d
  type: conversion
  type_params: { conversion_type_params: { base_measure: visits, conversion_measure: buys, entity: user, window: 3 days, calculation: conversion_rate } }
---
metric:
  name: buy_rate
  type: conversion
  type_params: { conversion_type_params: { base_measure: visits, conversion_measure: buys, entity: user, calculation: conversion_rate } }
---
metric:
  name: buys_3d
  type: conversion
  type_params: { conversion_type_params: { base_measure: visits, conversion_measure: { name: buys, fill_nulls_with: 0 }, entity: user, window: 3 days, calculation: conversions } }
`;
    // User 1 buys on 01-02 (after the ads visit) and 01-06 (after the email visit); user 2 buys 8 days after an ads visit.
    expect(await rows({ metrics: ['buy_rate_3d', 'buy_rate', 'buys_3d'], groupBy: ['visit__channel'], orderBy: ['visit__channel'] }, funnel)).toEqual([
      { visit__channel: 'ads', buy_rate_3d: 0.5, buy_rate: 1, buys_3d: '1' },
      { visit__channel: 'email', buy_rate_3d: 0.5, buy_rate: 0.5, buys_3d: '1' },
    ]);
    expect(await rows({ metrics: ['buys_3d'], groupBy: ['metric_time__day'], orderBy: ['metric_time__day'] }, funnel)).toEqual([
      { metric_time__day: '2024-01-01 00:00:00', buys_3d: '1' },
      { metric_time__day: '2024-01-02 00:00:00', buys_3d: '0' },
      { metric_time__day: '2024-01-03 00:00:00', buys_3d: '0' },
      { metric_time__day: '2024-01-05 00:00:00', buys_3d: '1' },
    ]);
  });

  it('compiles Cortex table metrics, facts with a default aggregation and relationships', async () => {
    const cortex = parseCortex(
      {
        path: '/models/shop_cortex.yaml',
        text: `
name: shop_cortex
tables:
  - name: orders
    base_table: { database: shop, schema: main, table: orders }
    primary_key: { columns: [order_id] }
    dimensions:
      - { name: order_id, expr: order_id, data_type: number }
      - { name: customer_id, expr: customer_id, data_type: number }
      - { name: status, expr: status, data_type: varchar }
    time_dimensions: [{ name: ordered_at, expr: ordered_at, data_type: date }]
    facts: [{ name: amount, expr: amount, data_type: number, default_aggregation: sum }]
    metrics:
      - { name: completed_share, expr: "AVG(CASE WHEN status = 'completed' THEN 1.0 ELSE 0.0 END)" }
      - { name: order_count, expr: COUNT(DISTINCT order_id) }
  - name: customers
    base_table: { database: shop, schema: main, table: customers }
    primary_key: { columns: [customer_id] }
    dimensions: [{ name: customer_id, expr: customer_id, data_type: number }, { name: region, expr: region, data_type: varchar }]
relationships:
  - name: orders_to_customers
    left_table: orders
    right_table: customers
    relationship_columns: [{ left_column: customer_id, right_column: customer_id }]
    join_type: left_outer
    relationship_type: many_to_one
`,
      },
      { refs: {}, placeholders: {}, defaultSchema: 'main' },
    );
    const compiled = compileMetricQuery(cortex, { metrics: ['order_count', 'completed_share', 'amount'], groupBy: ['customers__region', 'metric_time__month'], orderBy: ['customers__region', 'metric_time__month'] });
    expect((await connection.runAndReadAll(compiled.sql)).getRowObjectsJson()).toEqual([
      { customers__region: 'EU', metric_time__month: '2024-01-01 00:00:00', order_count: '1', completed_share: 1, amount: '100.00' },
      { customers__region: 'EU', metric_time__month: '2024-02-01 00:00:00', order_count: '1', completed_share: 0, amount: '50.00' },
      { customers__region: 'US', metric_time__month: '2024-01-01 00:00:00', order_count: '1', completed_share: 1, amount: '30.00' },
    ]);
    expect(() => compileMetricQuery(cortex, { metrics: ['status'] })).toThrow('Unknown metric "status" in semantic model shop_cortex.');
  });

  it('refuses each malformed query with a message that says what to do', () => {
    const extra = `${MODEL}---
metric:
  name: revenue_to_date
  type: cumulative
  type_params: { measure: revenue, window: 3 fortnights }
---
metric:
  name: revenue_shifted
  type: derived
  type_params: { expr: revenue, metrics: [{ name: revenue, offset_window: 1 fortnight }] }
`;
    const cases: [MetricQuery, string, string?][] = [
      [{}, 'The query names no metrics and no group-by items.'],
      [{ metrics: ['revenu'] }, 'Unknown metric "revenu" in semantic model shop. Did you mean "revenue" or "completed_revenue" or "revenue_per_order"?'],
      [{ savedQuery: 'weekly' }, 'Unknown saved query "weekly".', 'Semantic model shop defines no saved queries.'],
      [{ metrics: ['revenue'], groupBy: [{ name: 'metric_time', grain: 'month', datePart: 'month' }] }, '"metric_time" has both a grain and a date part.'],
      [{ metrics: ['revenue'], groupBy: [{ name: 'metric_time', grain: 'fortnight' }] }, 'Unknown grain "fortnight" for "metric_time".'],
      [{ metrics: ['revenue'], groupBy: ['metric_time__fortnight'] }, 'Unknown dimension or entity "metric_time__fortnight". Did you mean "metric_time"?'],
      [{ metrics: ['revenue_to_date'], groupBy: ['metric_time'] }, 'Cumulative metric revenue_to_date: window "3 fortnights" is not supported yet.'],
      [{ metrics: ['revenue_shifted'], groupBy: ['metric_time'] }, 'offset_window "1 fortnight" of revenue is not supported.'],
    ];
    for (const [query, message, hint] of cases) {
      const error = (() => {
        try {
          compileMetricQuery(model(extra), query);
        } catch (caught) {
          return caught as StratumError;
        }
      })();
      expect(error?.message, JSON.stringify(query)).toBe(message);
      expect(error?.hint, JSON.stringify(query)).toBeTruthy();
      if (hint) expect(error?.hint).toBe(hint);
    }
  });

  it('applies where filters before a cumulative metric takes each period\'s value', async () => {
    await connection.run(`CREATE TABLE IF NOT EXISTS spine AS SELECT CAST(d AS DATE) AS ds FROM range(DATE '2024-01-01', DATE '2024-03-01', INTERVAL 1 DAY) t(d)`);
    const text = `${MODEL}---
project_configuration:
  time_spines: [{ node_relation: { schema_name: main, alias: spine }, primary_column: { name: ds, time_granularity: day } }]
---
metric:
  name: revenue_to_date
  type: cumulative
  type_params: { measure: revenue, cumulative_type_params: { period_agg: last } }
`;
    const query = (where: string[]) => rows({ metrics: ['revenue_to_date'], groupBy: ['metric_time__month'], where, orderBy: ['metric_time__month'] }, text);
    // Orders: 100 on 01-05 (completed), 30 on 01-20 (completed), 50 on 02-03 (cancelled). A month's
    // value is the running total on its last day: 130 on 01-31, 180 on 02-29.
    expect(await query([])).toEqual([
      { metric_time__month: '2024-01-01 00:00:00', revenue_to_date: '130.00' },
      { metric_time__month: '2024-02-01 00:00:00', revenue_to_date: '180.00' },
    ]);
    // Only completed orders: February's running total leaves out the cancelled 50.
    expect(await query(["{{ Dimension('order__status') }} = 'completed'"])).toEqual([
      { metric_time__month: '2024-01-01 00:00:00', revenue_to_date: '130.00' },
      { metric_time__month: '2024-02-01 00:00:00', revenue_to_date: '130.00' },
    ]);
  });

  it('says when a time feature needs a time spine the model lacks', () => {
    const text = `${MODEL}---\nmetric:\n  name: revenue_last_week\n  type: derived\n  type_params:\n    expr: revenue\n    metrics: [{ name: revenue, offset_window: 7 days }]\n`;
    expect(() => compileMetricQuery(model(text), { metrics: ['revenue_last_week'], groupBy: ['metric_time'] })).toThrow('declares no time spine at day grain or finer');
  });
});
