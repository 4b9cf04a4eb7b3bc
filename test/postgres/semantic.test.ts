import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startV2Client, type StartedClient } from '../helpers/clients.js';
import { tempDir, writeDatasourceConfig } from '../helpers/fixture.js';
import { PG_URL, adminClient, ensureShopSchema, expectPostgresServer, postgresDatasource } from '../helpers/postgres.js';

describe('metric queries on a PostgreSQL datasource: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
});

const MODEL = `
semantic_model:
  name: customers
  node_relation: { schema_name: shop, alias: customers }
  entities: [{ name: customer, type: primary, expr: customer_id }]
  dimensions: [{ name: state, type: categorical }, { name: segment, type: categorical }]
---
semantic_model:
  name: orders
  node_relation: { schema_name: shop, alias: orders }
  defaults: { agg_time_dimension: order_date }
  entities:
    - { name: order, type: primary, expr: order_id }
    - { name: customer, type: foreign, expr: customer_id }
  dimensions:
    - { name: order_date, type: time, type_params: { time_granularity: day } }
    - { name: status, type: categorical }
  measures:
    - { name: revenue, agg: sum, expr: amount, create_metric: true }
    - { name: cancelled_orders, agg: sum_boolean, expr: "status = 'cancelled'", create_metric: true }
    - { name: order_count, agg: count, expr: order_id, create_metric: true }
---
metric:
  name: cancellation_rate
  type: ratio
  type_params: { numerator: cancelled_orders, denominator: order_count }
`;

type ToolResult = { structuredContent?: Record<string, unknown>; isError?: boolean; content: { text: string }[] };

/**
 * generate_sql compiles for the datasource's engine: on PostgreSQL the SQL uses its dialect (a
 * hashable null-safe full join, booleans summed as integers), is validated by EXPLAIN there, and
 * run_sql returns what a hand-written query over the same tables returns.
 */
describe.skipIf(!PG_URL)('metric queries on a PostgreSQL datasource', () => {
  let server: StartedClient<Client>;
  let admin: pg.Client;
  const call = async (name: string, args: Record<string, unknown>) => (await server.client.callTool({ name, arguments: args })) as ToolResult;

  beforeAll(async () => {
    await ensureShopSchema();
    admin = await adminClient();
    const dir = tempDir('stratum-pg-semantic-');
    mkdirSync(join(dir, 'semantic_models'));
    writeFileSync(join(dir, 'semantic_models', 'shop.yaml'), MODEL);
    const config = writeDatasourceConfig(dir, postgresDatasource());
    appendFileSync(config, 'semantic_models: { paths: [./semantic_models] }\n');
    server = await startV2Client(config);
  });

  afterAll(async () => {
    await server?.close();
    await admin?.end();
  });

  it('compiles metrics across a join for PostgreSQL, validates them there, and runs them to the hand-written answer', async () => {
    const generated = await call('generate_sql', { metrics: ['revenue', 'cancellation_rate'], group_by: ['metric_time__quarter', 'customer__state'], order_by: ['metric_time__quarter', 'customer__state'] });
    expect(generated.isError).toBeFalsy();
    const { sql, validated, source } = generated.structuredContent as { sql: string; validated: boolean; source: string };
    expect({ validated, source }).toEqual({ validated: true, source: 'semantic_compiler' });
    expect(sql).toContain('JSONB_BUILD_ARRAY(');
    expect(sql).toContain('AS INTEGER)');
    expect(sql).toContain("DATE_TRUNC('quarter', CAST(");

    const ran = await call('run_sql', { sql });
    expect(ran.isError).toBeFalsy();
    const expected = await admin.query({
      rowMode: 'array',
      text: `SELECT to_char(date_trunc('quarter', o.order_date), 'YYYY-MM-DD"T"HH24:MI:SS'), c.state, sum(o.amount)::text,
                    (sum((o.status = 'cancelled')::int)::float8 / count(o.order_id))
             FROM shop.orders o LEFT JOIN shop.customers c USING (customer_id)
             GROUP BY 1, 2 ORDER BY 1, 2`,
    });
    const rows = ran.structuredContent!.rows as unknown[][];
    expect(rows).toEqual(expected.rows);
    expect(rows.length).toBeGreaterThanOrEqual(8);
  });

  it('lists dimension values through the PostgreSQL dialect', async () => {
    const values = await call('get_dimension_values', { dimension: 'customer__state' });
    expect(values.structuredContent).toMatchObject({ dimension: 'customer__state', values: ['California', 'Texas'], truncated: false });
  });
});
