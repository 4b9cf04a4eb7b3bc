import { describe, expect, it } from 'vitest';
import type { SemanticModel, SemanticProblem } from '../../src/semantic/ir.js';
import { parseMetricFlow } from '../../src/semantic/metricflow/parse.js';
import { describeLocation, expressionIdentifiers, templateReferences, validateSemanticModel } from '../../src/semantic/validate.js';

const ROOT = '/models/shop';

function yaml(strings: TemplateStringsArray): string {
  const lines = strings.join('').replace(/^\n/, '').split('\n');
  const indent = /^ */.exec(lines[0]!)![0].length;
  return lines.map((line) => line.slice(indent)).join('\n');
}

function parse(files: Record<string, string>): SemanticModel {
  return parseMetricFlow(
    Object.entries(files).map(([name, text]) => ({ path: `${ROOT}/${name}`, text })),
    { name: 'shop', path: ROOT },
    { refs: {}, placeholders: {}, defaultSchema: 'main' },
  );
}

function brief(problem: SemanticProblem) {
  return { severity: problem.severity, code: problem.code, message: problem.message, at: problem.location ? `${problem.location.line}:${problem.location.column}` : undefined };
}

/** Parses (which must be clean) and validates. */
function validate(files: Record<string, string>) {
  const model = parse(files);
  expect(model.problems).toEqual([]);
  return validateSemanticModel(model).map(brief);
}

const MODELS = yaml`
  semantic_models:
    - name: orders
      model: ref('orders')
      defaults:
        agg_time_dimension: ordered_at
      entities:
        - name: order
          type: primary
          expr: order_id
        - name: customer
          type: foreign
          expr: customer_id
      dimensions:
        - name: ordered_at
          type: time
          type_params:
            time_granularity: day
        - name: status
          type: categorical
      measures:
        - name: order_total
          agg: sum
          expr: amount
        - name: order_count
          agg: count
          expr: order_id
    - name: customers
      model: ref('customers')
      defaults:
        agg_time_dimension: signed_up_at
      entities:
        - name: customer
          type: primary
          expr: customer_id
      dimensions:
        - name: signed_up_at
          type: time
          type_params:
            time_granularity: day
        - name: region
          type: categorical
      measures:
        - name: customer_count
          agg: count_distinct
          expr: customer_id
`;

describe('semantic model validation', () => {
  it('accepts a consistent model', () => {
    const metrics = yaml`
      metrics:
        - name: revenue
          type: simple
          type_params:
            measure: order_total
          filter: "{{ Dimension('customer__region') }} = 'EU' and {{ Entity('order') }} is not null"
        - name: orders
          type: simple
          type_params:
            measure: order_count
        - name: average_order_value
          type: ratio
          type_params:
            numerator: revenue
            denominator: orders
        - name: revenue_growth
          type: derived
          type_params:
            expr: (revenue - revenue_last_month) / NULLIF(revenue_last_month, 0)::double
            metrics:
              - name: revenue
              - name: revenue
                alias: revenue_last_month
                offset_window: 1 month
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([]);
  });

  it('reports an unknown measure in a metric where it is written, with a suggestion', () => {
    const metrics = yaml`
      metrics:
        - name: revenue
          type: simple
          type_params:
            measure: order_totl
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'unknown_measure',
        message: 'Unknown measure "order_totl" in metric "revenue" (shop/metrics.yml:5:16). Did you mean "order_total"?',
        at: '5:16',
      },
    ]);
  });

  it('reports an unknown input metric of a derived metric', () => {
    const metrics = yaml`
      metrics:
        - name: revenue
          type: simple
          type_params:
            measure: order_total
        - name: revenue_doubled
          type: derived
          type_params:
            expr: revenu * 2
            metrics:
              - name: revenu
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'unknown_metric',
        message: 'Unknown metric "revenu" in metric "revenue_doubled" (shop/metrics.yml:11:17). Did you mean "revenue"?',
        at: '11:17',
      },
    ]);
  });

  it('reports an unknown denominator of a ratio metric', () => {
    const metrics = yaml`
      metrics:
        - name: revenue
          type: simple
          type_params:
            measure: order_total
        - name: revenue_per_customer
          type: ratio
          type_params:
            numerator: revenue
            denominator:
              name: customers
              filter: "{{ Dimension('customer__region') }} = 'EU'"
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'unknown_metric',
        message: 'Unknown metric "customers" in metric "revenue_per_customer" (shop/metrics.yml:11:15).',
        at: '11:15',
      },
    ]);
  });

  it('reports a duplicate metric name, including one made by create_metric', () => {
    const models = MODELS.replace('        agg: count\n        expr: order_id\n', '        agg: count\n        expr: order_id\n        create_metric: true\n');
    const metrics = yaml`
      metrics:
        - name: order_count
          type: simple
          type_params:
            measure: order_count
    `;
    expect(validate({ 'models.yml': models, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'duplicate_name',
        message: 'Duplicate metric "order_count"; first defined at shop/models.yml:24:9 (shop/metrics.yml:2:5).',
        at: '2:5',
      },
    ]);
  });

  it('reports a measure name used in two semantic models', () => {
    const models = MODELS.replace('      - name: customer_count\n', '      - name: order_count\n');
    expect(validate({ 'models.yml': models })).toEqual([
      {
        severity: 'error',
        code: 'duplicate_name',
        message: 'Duplicate measure "order_count" in semantic model "customers" (also in semantic model "orders"); first defined at shop/models.yml:24:9 (shop/models.yml:43:9).',
        at: '43:9',
      },
    ]);
  });

  it('reports a duplicate dimension within a semantic model and a duplicate semantic model', () => {
    const models = MODELS.replace('      - name: status\n', '      - name: ordered_at\n').replace('- name: customers\n', '- name: orders\n');
    expect(validate({ 'models.yml': models })).toEqual([
      {
        severity: 'error',
        code: 'duplicate_name',
        message: 'Duplicate semantic model "orders"; first defined at shop/models.yml:2:5 (shop/models.yml:27:5).',
        at: '27:5',
      },
      {
        severity: 'error',
        code: 'duplicate_name',
        message: 'Duplicate dimension "ordered_at" in semantic model "orders"; first defined at shop/models.yml:14:9 (shop/models.yml:18:9).',
        at: '18:9',
      },
    ]);
  });

  it('reports an agg_time_dimension that is not a time dimension of the semantic model', () => {
    const models = MODELS.replace('agg_time_dimension: ordered_at', 'agg_time_dimension: status').replace(
      '        agg: count_distinct\n',
      '        agg: count_distinct\n        agg_time_dimension: signup_at\n',
    );
    expect(validate({ 'models.yml': models })).toEqual([
      {
        severity: 'error',
        code: 'invalid_agg_time_dimension',
        message: 'The defaults.agg_time_dimension "status" of semantic model "orders" is a categorical dimension; it must be a time dimension (shop/models.yml:2:5).',
        at: '2:5',
      },
      {
        severity: 'error',
        code: 'invalid_agg_time_dimension',
        message: 'Unknown agg_time_dimension "signup_at" of measure "customer_count" in semantic model "customers": no such dimension (shop/models.yml:43:9). Did you mean "signed_up_at"?',
        at: '43:9',
      },
    ]);
  });

  it('reports a measure with no agg_time_dimension at all', () => {
    const models = MODELS.replace('    defaults:\n      agg_time_dimension: signed_up_at\n', '');
    expect(validate({ 'models.yml': models })).toEqual([
      {
        severity: 'error',
        code: 'missing_agg_time_dimension',
        message: 'Measure "customer_count" of semantic model "customers" has no agg_time_dimension (shop/models.yml:41:9).',
        at: '41:9',
      },
    ]);
  });

  it('reports an unknown non_additive_dimension and window grouping', () => {
    const models = MODELS.replace(
      '        agg: count\n        expr: order_id\n',
      '        agg: count\n        expr: order_id\n        non_additive_dimension:\n          name: order_date\n          window_groupings: [customr]\n',
    );
    expect(validate({ 'models.yml': models })).toEqual([
      {
        severity: 'error',
        code: 'invalid_non_additive_dimension',
        message: 'Unknown non_additive_dimension "order_date" of measure "order_count" in semantic model "orders": no such dimension (shop/models.yml:24:9). Did you mean "ordered_at"?',
        at: '24:9',
      },
      {
        severity: 'error',
        code: 'unknown_entity',
        message: 'Unknown entity "customr" in window_groupings of measure "order_count" in semantic model "orders" (shop/models.yml:24:9). Did you mean "customer"?',
        at: '24:9',
      },
    ]);
  });

  it('warns about a filter that names an unknown dimension, entity or metric', () => {
    const metrics = yaml`
      metrics:
        - name: revenue
          type: simple
          type_params:
            measure:
              name: order_total
              filter: "{{ Dimension('customer__regin') }} = 'EU'"
          filter:
            - "{{ Entity('custmer') }} is not null"
            - "{{ TimeDimension('order__ordered_at', 'month') }} >= '2024-01-01'"
            - "{{ Metric('orders', group_by=['customer']) }} > 2"
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'warning',
        code: 'unresolved_filter_reference',
        message: 'Unknown entity "custmer" in the filter of metric "revenue" (shop/metrics.yml:2:5). Did you mean "customer"?',
        at: '2:5',
      },
      {
        severity: 'warning',
        code: 'unresolved_filter_reference',
        message: 'Unknown metric "orders" in the filter of metric "revenue" (shop/metrics.yml:2:5).',
        at: '2:5',
      },
      {
        severity: 'warning',
        code: 'unresolved_filter_reference',
        message: 'Unknown dimension "customer__regin" in the filter of metric "revenue" (shop/metrics.yml:6:15). Did you mean "customer__region"?',
        at: '6:15',
      },
    ]);
  });

  it("reports a derived metric whose expr uses a name that is not one of its inputs", () => {
    const metrics = yaml`
      metrics:
        - name: revenue
          type: simple
          type_params:
            measure: order_total
        - name: revenue_growth
          type: derived
          type_params:
            expr: revenue - revenue_last_mont
            metrics:
              - name: revenue
              - name: revenue
                alias: revenue_last_month
                offset_window: 1 month
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'unknown_expr_reference',
        message: 'Derived metric "revenue_growth" uses "revenue_last_mont" in its expr, but "revenue_last_mont" is not one of its input metrics (shop/metrics.yml:6:5). Did you mean "revenue_last_month" or "revenue"?',
        at: '6:5',
      },
    ]);
  });

  it('reports each cycle among derived and ratio metrics once', () => {
    const metrics = yaml`
      metrics:
        - name: a
          type: derived
          type_params:
            expr: b + 1
            metrics: [b]
        - name: b
          type: derived
          type_params:
            expr: c * 2
            metrics: [c]
        - name: c
          type: ratio
          type_params:
            numerator: a
            denominator: b
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'metric_cycle',
        message: 'Metric "a" depends on itself: a -> b -> c -> a (shop/metrics.yml:2:5).',
        at: '2:5',
      },
      {
        severity: 'error',
        code: 'metric_cycle',
        message: 'Metric "b" depends on itself: b -> c -> b (shop/metrics.yml:7:5).',
        at: '7:5',
      },
    ]);
  });

  it('reports an unknown entity in a conversion metric, and one missing from a measure\'s semantic model', () => {
    const metrics = yaml`
      metrics:
        - name: repeat_rate
          type: conversion
          type_params:
            conversion_type_params:
              base_measure: customer_count
              conversion_measure: order_count
              entity: custmer
        - name: order_rate
          type: conversion
          type_params:
            conversion_type_params:
              base_measure: customer_count
              conversion_measure: order_count
              entity: order
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'unknown_entity',
        message: 'Unknown entity "custmer" in conversion metric "repeat_rate" (shop/metrics.yml:2:5). Did you mean "customer"?',
        at: '2:5',
      },
      {
        severity: 'error',
        code: 'unknown_entity',
        message: 'Entity "order" of conversion metric "order_rate" is not an entity of semantic model "customers" (of measure "customer_count") (shop/metrics.yml:9:5).',
        at: '9:5',
      },
    ]);
  });

  it('reports an unknown metric in a saved query and warns about an unknown group-by', () => {
    const queries = yaml`
      metrics:
        - name: revenue
          type: simple
          type_params:
            measure: order_total
      saved_queries:
        - name: weekly
          query_params:
            metrics: [revenue, revenu_eu]
            group_by:
              - TimeDimension('metric_time', 'week')
              - Dimension('customer__segment')
              - order__status
            order_by: [-revenue, metric_time__week]
    `;
    expect(validate({ 'models.yml': MODELS, 'queries.yml': queries })).toEqual([
      {
        severity: 'error',
        code: 'unknown_metric',
        message: 'Unknown metric "revenu_eu" in saved query "weekly" (shop/queries.yml:7:5). Did you mean "revenue"?',
        at: '7:5',
      },
      {
        severity: 'warning',
        code: 'unresolved_filter_reference',
        message: 'Unknown dimension "customer__segment" in the group_by of saved query "weekly" (shop/queries.yml:7:5). Did you mean "customer__region"?',
        at: '7:5',
      },
    ]);
  });

  it('reports a cumulative metric over an unknown metric as an unknown measure', () => {
    const metrics = yaml`
      metrics:
        - name: revenue_mtd
          type: cumulative
          type_params:
            cumulative_type_params:
              grain_to_date: month
              metric: revenu
    `;
    expect(validate({ 'models.yml': MODELS, 'metrics.yml': metrics })).toEqual([
      {
        severity: 'error',
        code: 'unknown_measure',
        message: 'Unknown measure "revenu" in metric "revenue_mtd" (shop/metrics.yml:7:17).',
        at: '7:17',
      },
    ]);
  });

  it('checks physical tables and plain columns against a catalog, as warnings', () => {
    const catalog = {
      tables: [
        { name: 'main.orders', columns: [{ name: 'order_id' }, { name: 'customer_id' }, { name: 'amount' }, { name: 'ordered_at' }, { name: 'state' }] },
        { name: 'main.customer', columns: [{ name: 'customer_id' }] },
      ],
    };
    const model = parse({ 'models.yml': MODELS });
    expect(validateSemanticModel(model, catalog).map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'unknown_column',
        message: 'Column "status" of "status" in semantic model "orders" is not in table "main.orders" (shop/models.yml:18:9). Did you mean "state"?',
        at: '18:9',
      },
      {
        severity: 'warning',
        code: 'unknown_physical_table',
        message: 'Table "main.customers" of semantic model "customers" is not in the datasource catalog (shop/models.yml:27:5). Did you mean "main.customer"?',
        at: '27:5',
      },
    ]);
    expect(validateSemanticModel(model)).toEqual([]);
  });

  it('checks the tables and columns of declared relationships', () => {
    const model = parse({ 'models.yml': MODELS });
    const location = { file: `${ROOT}/models.yml`, line: 1, column: 1 };
    model.relationships = [
      { name: 'orders_to_stores', leftTable: 'orders', rightTable: 'stores', columns: [{ left: 'store_id', right: 'store_id' }], joinType: 'left_outer', relationshipType: 'many_to_one', origin: 'declared', location },
      { name: 'orders_to_customers', leftTable: 'orders', rightTable: 'customers', columns: [{ left: 'customer_id', right: 'cust_id' }], joinType: 'inner', relationshipType: 'many_to_one', origin: 'declared', location },
    ];
    expect(validateSemanticModel(model).map((problem) => [problem.code, problem.message])).toEqual([
      ['unknown_relationship_column', 'Unknown column "store_id" of table "orders" in relationship "orders_to_stores" (shop/models.yml:1:1).'],
      ['unknown_table', 'Unknown table "stores" in relationship "orders_to_stores" (shop/models.yml:1:1).'],
      ['unknown_relationship_column', 'Unknown column "cust_id" of table "customers" in relationship "orders_to_customers" (shop/models.yml:1:1).'],
    ]);
  });
});

describe('validation helpers', () => {
  it('names files relative to the folder that holds the model', () => {
    expect(describeLocation({ file: '/m/simple_manifest/metrics.yaml', line: 41, column: 15 }, '/m/simple_manifest')).toBe('simple_manifest/metrics.yaml:41:15');
    expect(describeLocation({ file: '/m/retail.yml', line: 3, column: 1 }, '/m/retail.yml')).toBe('retail.yml:3:1');
    expect(describeLocation({ file: '/elsewhere/x.yml', line: 3, column: 1 }, '/m/retail.yml')).toBe('/elsewhere/x.yml:3:1');
  });

  it('finds the names an expression uses, not its functions, keywords, literals or types', () => {
    expect(expressionIdentifiers("(bookings - ref_bookings) * 1.0 / NULLIF(bookings, 0) + CAST(x AS DOUBLE) + y::float + \"Quoted Name\" + 'text' + 1e3")).toEqual([
      'bookings',
      'ref_bookings',
      'bookings',
      'x',
      'y',
      'Quoted Name',
    ]);
    expect(expressionIdentifiers('CASE WHEN a > 0 THEN b ELSE NULL END')).toEqual(['a', 'b']);
  });

  it('reads MetricFlow template references with their arguments', () => {
    expect(
      templateReferences(
        "{{ Dimension('country__region', entity_path=['customer']) }} = 'NA' and {{ TimeDimension('metric_time', 'day') }} and {{ Metric('bookings', group_by=['listing']) }} > 2 and {{ Entity('listing') }} and TimeDimension('metric_time', 'day').descending(True)",
      ),
    ).toEqual([
      { kind: 'Dimension', name: 'country__region', lists: ['customer'] },
      { kind: 'TimeDimension', name: 'metric_time', lists: [] },
      { kind: 'Metric', name: 'bookings', lists: ['listing'] },
      { kind: 'Entity', name: 'listing', lists: [] },
      { kind: 'TimeDimension', name: 'metric_time', lists: [] },
    ]);
  });
});
