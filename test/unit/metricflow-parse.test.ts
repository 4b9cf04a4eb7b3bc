import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParseOptions, SemanticModel, SemanticProblem } from '../../src/semantic/ir.js';
import { isMetricFlowDocument, parseMetricFlow } from '../../src/semantic/metricflow/parse.js';
import { validateSemanticModel } from '../../src/semantic/validate.js';

const ROOT = '/models/shop';
const OPTIONS: ParseOptions = { refs: {}, placeholders: {}, defaultSchema: 'main' };

/** Strips the indentation of the first line from every line, so fixtures can sit indented in the test. */
function yaml(strings: TemplateStringsArray): string {
  const lines = strings.join('').replace(/^\n/, '').split('\n');
  const indent = /^ */.exec(lines[0]!)![0].length;
  return lines.map((line) => line.slice(indent)).join('\n');
}

function parse(files: Record<string, string>, options: Partial<ParseOptions> = {}): SemanticModel {
  return parseMetricFlow(
    Object.entries(files).map(([name, text]) => ({ path: `${ROOT}/${name}`, text })),
    { name: 'shop', path: ROOT },
    { ...OPTIONS, ...options },
  );
}

function brief(problem: SemanticProblem) {
  return { severity: problem.severity, code: problem.code, message: problem.message, at: problem.location ? `${problem.location.line}:${problem.location.column}` : undefined };
}

const ORDERS = yaml`
  semantic_models:
    - name: orders
      description: One row per order.
      label: Orders
      model: ref('orders')
      config:
        meta:
          synonyms: [purchases, baskets]
      defaults:
        agg_time_dimension: ordered_at
      entities:
        - name: order
          type: primary
          expr: order_id
        - name: customer
          type: foreign
          expr: customer_id
        - name: coupon
          type: foreign
      dimensions:
        - name: ordered_at
          type: time
          type_params:
            time_granularity: day
        - name: status
          type: categorical
          label: Order status
        - name: is_large
          type: categorical
          expr: amount > 100
      measures:
        - name: order_total
          agg: SUM
          expr: amount
        - name: order_count
          agg: count
          expr: "1"
          create_metric: true
        - name: p90_amount
          agg: percentile
          expr: amount
          agg_params:
            percentile: 0.9
            use_discrete_percentile: true
        - name: balance
          agg: sum
          non_additive_dimension:
            name: ordered_at
            window_choice: max
            window_groupings: [customer]
    - name: customers
      model: ref('customers')
      entities:
        - name: customer
          type: primary
          expr: customer_id
      dimensions:
        - name: region
          type: categorical
`;

describe('MetricFlow parsing: dbt project style', () => {
  it('recognises dbt project and manifest documents and nothing else', () => {
    expect(isMetricFlowDocument({ semantic_models: [] })).toBe(true);
    expect(isMetricFlowDocument({ metrics: [] })).toBe(true);
    expect(isMetricFlowDocument({ saved_queries: [] })).toBe(true);
    expect(isMetricFlowDocument({ semantic_model: {} })).toBe(true);
    expect(isMetricFlowDocument({ metric: {} })).toBe(true);
    expect(isMetricFlowDocument({ saved_query: {} })).toBe(true);
    expect(isMetricFlowDocument({ project_configuration: {} })).toBe(true);
    expect(isMetricFlowDocument({ models: [{ name: 'x' }] })).toBe(false);
    expect(isMetricFlowDocument({ tables: [] })).toBe(false);
    expect(isMetricFlowDocument([{ metrics: [] }])).toBe(false);
    expect(isMetricFlowDocument('metrics')).toBe(false);
    expect(isMetricFlowDocument(null)).toBe(false);
  });

  it('reads semantic models with entities, dimensions, measures, labels and synonyms', () => {
    const model = parse({ 'orders.yml': ORDERS });
    expect(model.problems).toEqual([]);
    expect(model.format).toBe('metricflow');
    expect(model.files).toEqual(['/models/shop/orders.yml']);
    const [orders, customers] = model.tables;
    expect(orders).toMatchObject({
      name: 'orders',
      description: 'One row per order.',
      label: 'Orders',
      synonyms: ['purchases', 'baskets'],
      physical: { schema: 'main', table: 'orders', source: "ref('orders')" },
      primaryKey: ['order_id'],
      defaultAggTimeDimension: 'ordered_at',
      location: { file: '/models/shop/orders.yml', line: 2, column: 5 },
    });
    expect(orders!.entities.map((entity) => [entity.name, entity.type, entity.expr])).toEqual([
      ['order', 'primary', 'order_id'],
      ['customer', 'foreign', 'customer_id'],
      ['coupon', 'foreign', 'coupon'],
    ]);
    expect(orders!.dimensions).toEqual([
      { name: 'ordered_at', synonyms: [], location: { file: '/models/shop/orders.yml', line: 21, column: 9 }, kind: 'time', expr: 'ordered_at', sampleValues: [], timeGranularity: 'day' },
      { name: 'status', label: 'Order status', synonyms: [], location: { file: '/models/shop/orders.yml', line: 25, column: 9 }, kind: 'categorical', expr: 'status', sampleValues: [] },
      { name: 'is_large', synonyms: [], location: { file: '/models/shop/orders.yml', line: 28, column: 9 }, kind: 'categorical', expr: 'amount > 100', sampleValues: [] },
    ]);
    expect(orders!.measures.map(({ location: _location, ...measure }) => measure)).toEqual([
      { name: 'order_total', synonyms: [], expr: 'amount', sampleValues: [], agg: 'sum' },
      { name: 'order_count', synonyms: [], expr: '1', sampleValues: [], agg: 'count', createMetric: true },
      { name: 'p90_amount', synonyms: [], expr: 'amount', sampleValues: [], agg: 'percentile', percentile: { value: 0.9, discrete: true, approximate: false } },
      { name: 'balance', synonyms: [], expr: 'balance', sampleValues: [], agg: 'sum', nonAdditiveDimension: { name: 'ordered_at', windowChoice: 'max', windowGroupings: ['customer'] } },
    ]);
    expect(customers!.physical).toEqual({ schema: 'main', table: 'customers', source: "ref('customers')" });
  });

  it('synthesises a simple metric for a measure with create_metric', () => {
    const model = parse({ 'orders.yml': ORDERS });
    expect(model.metrics).toEqual([
      {
        name: 'order_count',
        synonyms: [],
        location: { file: '/models/shop/orders.yml', line: 35, column: 9 },
        type: 'simple',
        filter: [],
        measure: { name: 'order_count', filter: [] },
      },
    ]);
  });

  it('derives many-to-one relationships from shared entities', () => {
    const model = parse({ 'orders.yml': ORDERS });
    expect(model.relationships).toEqual([
      {
        name: 'orders__customer__customers',
        leftTable: 'orders',
        rightTable: 'customers',
        columns: [{ left: 'customer_id', right: 'customer_id' }],
        joinType: 'left_outer',
        relationshipType: 'many_to_one',
        origin: 'entity',
        entity: 'customer',
        location: { file: '/models/shop/orders.yml', line: 15, column: 9 },
      },
    ]);
  });

  it('resolves ref() through semantic_models.refs, else to the default schema', () => {
    const text = yaml`
      semantic_models:
        - name: a
          model: ref('orders')
        - name: b
          model: 'ref("customers")'
        - name: c
          model: ref('analytics', 'stores')
        - name: d
          model: ref('unmapped')
    `;
    const model = parse({ 'm.yml': text }, { refs: { orders: 'sales.fct_orders', customers: 'WH.crm.dim_customers', stores: 'retail.stores' }, defaultSchema: 'staging' });
    expect(model.tables.map((table) => table.physical)).toEqual([
      { schema: 'sales', table: 'fct_orders', source: "ref('orders')" },
      { database: 'WH', schema: 'crm', table: 'dim_customers', source: 'ref("customers")' },
      { schema: 'retail', table: 'stores', source: "ref('analytics', 'stores')" },
      { schema: 'staging', table: 'unmapped', source: "ref('unmapped')" },
    ]);
  });

  it('reads every metric type with its options', () => {
    const metrics = yaml`
      metrics:
        - name: revenue
          label: Revenue
          description: Order revenue.
          type: simple
          type_params:
            measure:
              name: order_total
              filter: "{{ Dimension('order__status') }} = 'paid'"
              alias: paid_total
              fill_nulls_with: 0
              join_to_timespine: true
          filter:
            - "{{ Dimension('customer__region') }} = 'EU'"
            - "{{ TimeDimension('metric_time', 'day') }} >= '2024-01-01'"
          config:
            meta:
              synonyms: sales
        - name: revenue_per_order
          type: ratio
          type_params:
            numerator:
              name: revenue
              filter: "{{ Dimension('order__is_large') }}"
              alias: large_revenue
            denominator: order_count
        - name: revenue_growth
          type: derived
          type_params:
            expr: revenue - revenue_last_month
            metrics:
              - revenue
              - name: revenue
                alias: revenue_last_month
                offset_window: 1 month
              - name: order_count
                offset_to_grain: Year
        - name: revenue_7d
          type: cumulative
          type_params:
            measure: order_total
            window: 7 days
        - name: revenue_mtd
          type: cumulative
          type_params:
            measure: order_total
            cumulative_type_params:
              grain_to_date: month
              period_agg: last
        - name: checkout_rate
          type: conversion
          type_params:
            conversion_type_params:
              base_measure: order_count
              conversion_measure:
                name: order_total
                fill_nulls_with: 0
              entity: customer
              window: 7 days
              constant_properties:
                - base_property: coupon
                  conversion_property: coupon
    `;
    const model = parse({ 'orders.yml': ORDERS, 'metrics.yml': metrics });
    expect(model.problems).toEqual([]);
    const byName = (name: string) => model.metrics.find((metric) => metric.name === name);
    const at = (line: number, column: number) => ({ file: '/models/shop/metrics.yml', line, column });
    expect(byName('revenue')).toEqual({
      name: 'revenue',
      description: 'Order revenue.',
      label: 'Revenue',
      synonyms: ['sales'],
      location: at(2, 5),
      filter: ["{{ Dimension('customer__region') }} = 'EU'", "{{ TimeDimension('metric_time', 'day') }} >= '2024-01-01'"],
      type: 'simple',
      measure: { name: 'order_total', filter: ["{{ Dimension('order__status') }} = 'paid'"], alias: 'paid_total', fillNullsWith: 0, joinToTimespine: true, location: at(8, 15) },
    });
    expect(byName('revenue_per_order')).toMatchObject({
      type: 'ratio',
      numerator: { name: 'revenue', filter: ["{{ Dimension('order__is_large') }}"], alias: 'large_revenue', location: at(23, 15) },
      denominator: { name: 'order_count', filter: [], location: at(26, 20) },
    });
    expect(byName('revenue_growth')).toMatchObject({
      type: 'derived',
      expr: 'revenue - revenue_last_month',
      inputs: [
        { name: 'revenue', filter: [] },
        { name: 'revenue', filter: [], alias: 'revenue_last_month', offsetWindow: '1 month' },
        { name: 'order_count', filter: [], offsetToGrain: 'year' },
      ],
    });
    expect(byName('revenue_7d')).toMatchObject({ type: 'cumulative', measure: { name: 'order_total', filter: [] }, window: '7 days' });
    expect(byName('revenue_7d')).not.toHaveProperty('grainToDate');
    expect(byName('revenue_mtd')).toMatchObject({ type: 'cumulative', measure: { name: 'order_total' }, grainToDate: 'month', periodAggregation: 'last' });
    expect(byName('checkout_rate')).toMatchObject({
      type: 'conversion',
      baseMeasure: { name: 'order_count', filter: [] },
      conversionMeasure: { name: 'order_total', filter: [], fillNullsWith: 0 },
      entity: 'customer',
      calculation: 'conversion_rate',
      window: '7 days',
      constantProperties: [{ base: 'coupon', conversion: 'coupon' }],
    });
    expect(validateSemanticModel(model)).toEqual([]);
  });

  it('reads saved queries and dbt model time spines, ignoring other dbt properties', () => {
    const text = yaml`
      version: 2
      models:
        - name: all_days
          description: dbt docs are not ours
          time_spine:
            standard_granularity_column: date_day
            custom_granularities:
              - name: fiscal_quarter
                column_name: fq
          columns:
            - name: date_day
              granularity: day
      saved_queries:
        - name: revenue_by_region
          description: Revenue per region.
          query_params:
            metrics: [order_count]
            group_by:
              - TimeDimension('metric_time', 'month')
              - Dimension('customer__region')
            where: "{{ Dimension('order__status') }} = 'paid'"
            order_by: [-order_count]
            limit: 10
          exports:
            - name: revenue_by_region
              config: { export_as: table }
    `;
    const model = parse({ 'orders.yml': ORDERS, 'queries.yml': text }, { refs: { all_days: 'util.all_days' } });
    expect(model.problems).toEqual([]);
    expect(model.savedQueries).toEqual([
      {
        name: 'revenue_by_region',
        description: 'Revenue per region.',
        synonyms: [],
        location: { file: '/models/shop/queries.yml', line: 14, column: 5 },
        metrics: ['order_count'],
        groupBy: ["TimeDimension('metric_time', 'month')", "Dimension('customer__region')"],
        where: ["{{ Dimension('order__status') }} = 'paid'"],
        orderBy: ['-order_count'],
        limit: 10,
      },
    ]);
    expect(model.timeSpines).toEqual([
      { physical: { schema: 'util', table: 'all_days', source: "ref('all_days')" }, column: 'date_day', granularity: 'day', customGranularities: [{ name: 'fiscal_quarter', column: 'fq' }] },
    ]);
    expect(validateSemanticModel(model)).toEqual([]);
  });
});

const MANIFEST_MODEL = yaml`
  semantic_model:
    name: bookings_source
    node_relation:
      schema_name: $source_schema
      alias: fct_bookings
    defaults:
      agg_time_dimension: ds
    primary_entity: booking
    entities:
      - name: listing
        type: foreign
        expr: listing_id
    dimensions:
      - name: ds
        type: time
        type_params:
          time_granularity: day
      - name: valid_from
        type: time
        type_params:
          time_granularity: day
          validity_params:
            is_start: true
      - name: is_instant
        type: categorical
        is_partition: true
  ---
  semantic_model:
    name: listings
    node_relation:
      schema_name: analytics
      alias: dim_listings
      database: WH
    entities:
      - name: listing
        type: natural
        expr: listing_id
    dimensions:
      - name: country
        type: categorical
`;

describe('MetricFlow parsing: manifest style', () => {
  it('reads one object per document and substitutes schema placeholders', () => {
    const model = parse({ 'bookings.yaml': MANIFEST_MODEL }, { placeholders: { source_schema: 'main' } });
    expect(model.problems).toEqual([]);
    expect(model.tables.map((table) => table.physical)).toEqual([
      { schema: 'main', table: 'fct_bookings', source: '$source_schema.fct_bookings' },
      { database: 'WH', schema: 'analytics', table: 'dim_listings', source: 'WH.analytics.dim_listings' },
    ]);
    const [bookings] = model.tables;
    // primary_entity names the rows without a column to join on
    expect(bookings!.entities.map((entity) => [entity.name, entity.type, entity.expr])).toEqual([
      ['listing', 'foreign', 'listing_id'],
      ['booking', 'primary', ''],
    ]);
    expect(bookings!.primaryKey).toEqual([]);
    expect(bookings!.dimensions.map((dimension) => [dimension.name, dimension.validity, dimension.isPartition])).toEqual([
      ['ds', undefined, undefined],
      ['valid_from', 'start', undefined],
      ['is_instant', undefined, true],
    ]);
    expect(model.relationships.map((relationship) => [relationship.name, relationship.relationshipType])).toEqual([['bookings_source__listing__listings', 'many_to_one']]);
  });

  it('warns once per unmapped placeholder and keeps the schema as written', () => {
    const model = parse({ 'bookings.yaml': MANIFEST_MODEL + '\n---\nproject_configuration:\n  time_spine_table_configurations:\n    - location: $source_schema.mf_time_spine\n      column_name: ds\n      grain: day\n' });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'unmapped_placeholder',
        message: 'Schema placeholder "$source_schema" has no value (shop/bookings.yaml:4:18).',
        at: '4:18',
      },
    ]);
    expect(model.tables[0]!.physical.schema).toBe('$source_schema');
    expect(model.timeSpines).toEqual([{ physical: { schema: '$source_schema', table: 'mf_time_spine', source: '$source_schema.mf_time_spine' }, column: 'ds', granularity: 'day', customGranularities: [] }]);
  });

  it('reads time spines from project_configuration, dropping a legacy entry that repeats a current one', () => {
    const text = yaml`
      project_configuration:
        time_spine_table_configurations:
          - location: $source_schema.mf_time_spine
            column_name: ds
            grain: day
          - location: legacy.days
            column_name: day_start
            grain: DAY
        time_spines:
          - node_relation:
              alias: mf_time_spine
              schema_name: $source_schema
            primary_column:
              name: ds
              time_granularity: day
            custom_granularities:
              - name: alien_day
              - name: fiscal_year
                column_name: fy
    `;
    const model = parse({ 'project_configuration.yaml': text }, { placeholders: { source_schema: 'main' } });
    expect(model.problems).toEqual([]);
    expect(model.timeSpines).toEqual([
      {
        physical: { schema: 'main', table: 'mf_time_spine', source: '$source_schema.mf_time_spine' },
        column: 'ds',
        granularity: 'day',
        customGranularities: [
          { name: 'alien_day', column: 'alien_day' },
          { name: 'fiscal_year', column: 'fy' },
        ],
      },
      { physical: { schema: 'legacy', table: 'days', source: 'legacy.days' }, column: 'day_start', granularity: 'day', customGranularities: [] },
    ]);
  });

  it('accepts a custom granularity of the time spine in an offset window', () => {
    const text = yaml`
      project_configuration:
        time_spines:
          - node_relation: { alias: spine, schema_name: main }
            primary_column: { name: ds, time_granularity: day }
            custom_granularities: [{ name: alien_day }]
      ---
      metric:
        name: bookings_alien
        type: derived
        type_params:
          expr: bookings
          metrics:
            - name: bookings
              offset_window: 2 alien_days
            - name: bookings
              alias: bookings_month
              offset_window: 1 mnth
    `;
    const model = parse({ 'metrics.yaml': text });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'invalid_window',
        message: 'Cannot read offset_window "1 mnth" in input metric "bookings" of derived metric "bookings_alien" (shop/metrics.yaml:17:24).',
        at: '17:24',
      },
    ]);
  });
});

describe('MetricFlow parsing: the measure-less spec', () => {
  const models = yaml`
    semantic_model:
      name: bookings_source
      node_relation: { schema_name: main, alias: fct_bookings }
      defaults:
        agg_time_dimension: ds
      primary_entity: booking
      dimensions:
        - name: ds
          type: time
          type_params:
            time_granularity: day
        - name: paid_at
          type: time
          type_params:
            time_granularity: day
  `;
  const metrics = yaml`
    metric:
      name: booking_value
      description: Booking value.
      type: simple
      type_params:
        expr: amount
        metric_aggregation_params:
          semantic_model: bookings_source
          agg: sum
          agg_time_dimension: paid_at
      filter: "{{ Dimension('booking__is_instant') }}"
    ---
    metric:
      name: p99_value
      type: simple
      type_params:
        expr: amount
        metric_aggregation_params:
          semantic_model: bookings_source
          agg: percentile
          agg_params: { percentile: 0.99, use_approximate_percentile: true }
    ---
    metric:
      name: bookings
      type: simple
      semantic_model: bookings_source
      agg: count
      expr: booking_id
    ---
    metric:
      name: booking_value_mtd
      type: cumulative
      type_params:
        cumulative_type_params:
          grain_to_date: month
          period_agg: first
          metric:
            name: booking_value
  `;

  it('gives each metric a measure of its own name in its semantic model', () => {
    const model = parse({ 'models.yaml': models, 'metrics.yaml': metrics });
    expect(model.problems).toEqual([]);
    expect(model.tables[0]!.measures.map(({ location: _location, ...measure }) => measure)).toEqual([
      { name: 'booking_value', description: 'Booking value.', synonyms: [], expr: 'amount', sampleValues: [], agg: 'sum', aggTimeDimension: 'paid_at', createMetric: true },
      { name: 'p99_value', synonyms: [], expr: 'amount', sampleValues: [], agg: 'percentile', percentile: { value: 0.99, discrete: false, approximate: true }, createMetric: true },
      { name: 'bookings', synonyms: [], expr: 'booking_id', sampleValues: [], agg: 'count', createMetric: true },
    ]);
    expect(model.metrics.map((metric) => [metric.name, metric.type, 'measure' in metric ? metric.measure.name : undefined])).toEqual([
      ['booking_value', 'simple', 'booking_value'],
      ['p99_value', 'simple', 'p99_value'],
      ['bookings', 'simple', 'bookings'],
      ['booking_value_mtd', 'cumulative', 'booking_value'],
    ]);
  });

  it('accumulates a metric through its measure, keeping the metric filter', () => {
    const model = parse({ 'models.yaml': models, 'metrics.yaml': metrics });
    expect(model.metrics[3]).toMatchObject({
      type: 'cumulative',
      grainToDate: 'month',
      periodAggregation: 'first',
      measure: { name: 'booking_value', filter: ["{{ Dimension('booking__is_instant') }}"], location: { file: '/models/shop/metrics.yaml', line: 38, column: 15 } },
    });
  });

  it('reports an unknown semantic model in metric_aggregation_params', () => {
    const model = parse({ 'models.yaml': models, 'metrics.yaml': metrics.replace('semantic_model: bookings_source\n      agg: sum', 'semantic_model: booking_source\n      agg: sum') });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'unknown_semantic_model',
        message: 'Unknown semantic model "booking_source" in metric "booking_value" (shop/metrics.yaml:8:23). Did you mean "bookings_source"?',
        at: '8:23',
      },
    ]);
  });
});

describe('MetricFlow parsing: mistakes are reported where they are written', () => {
  it('reports YAML syntax errors and still reads the other files', () => {
    const model = parse({ 'broken.yml': 'metrics:\n  - name: a\n    type: [simple\n', 'orders.yml': ORDERS });
    expect(model.problems.map((problem) => [problem.code, problem.severity, problem.location?.file, problem.location?.line])).toEqual([['yaml_syntax', 'error', '/models/shop/broken.yml', 4]]);
    expect(model.tables.map((table) => table.name)).toEqual(['orders', 'customers']);
  });

  it('reports an unknown aggregation with a suggestion', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('agg: SUM', 'agg: summ') });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'invalid_aggregation',
        message: 'Unknown agg "summ" in measure "order_total" of semantic model "orders" (shop/orders.yml:33:14). Did you mean "sum"?',
        at: '33:14',
      },
    ]);
    expect(model.problems[0]!.hint).toBe('Use one of: sum, min, max, count, count_distinct, sum_boolean, average, percentile, median.');
    expect(model.tables[0]!.measures.map((measure) => measure.name)).toEqual(['order_count', 'p90_amount', 'balance']);
  });

  it('reports an unknown time granularity', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('time_granularity: day', 'time_granularity: dya') });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'invalid_granularity',
        message: 'Unknown time_granularity "dya" in type_params of dimension "ordered_at" of semantic model "orders" (shop/orders.yml:24:29). Did you mean "day"?',
        at: '24:29',
      },
    ]);
  });

  it('reports a time dimension without a granularity', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('        type_params:\n          time_granularity: day\n', '') });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'missing_key',
        message: 'Missing type_params.time_granularity in time dimension "ordered_at" of semantic model "orders" (shop/orders.yml:21:9).',
        at: '21:9',
      },
    ]);
  });

  it('reports a semantic model without a name and skips it', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('  - name: customers\n', '  - label: customers\n') });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'missing_key',
        message: 'Missing required "name" in a semantic model (shop/orders.yml:51:5).',
        at: '51:5',
      },
    ]);
    expect(model.tables.map((table) => table.name)).toEqual(['orders']);
  });

  it('warns about an unknown key at the key, with a suggestion', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('    measures:\n', '    mesures:\n') });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'unknown_key',
        message: 'Unknown key "mesures" in semantic model "orders" (shop/orders.yml:31:5). Did you mean "measures"?',
        at: '31:5',
      },
    ]);
  });

  it('warns about a misspelled top-level key that would hide a whole document', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('semantic_models:', 'semantic_modles:'), 'dbt_project.yml': 'name: shop\nversion: 1.0.0\nmodels:\n  shop:\n    +materialized: table\n' });
    expect(model.problems.map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'unknown_key',
        message: 'Unknown top-level key "semantic_modles" (shop/orders.yml:1:1). Did you mean "semantic_model" or "semantic_models"?',
        at: '1:1',
      },
    ]);
    expect(model.tables).toEqual([]);
  });

  it('accepts keys MetricFlow allows that Stratum does not use', () => {
    const text = yaml`
      metrics:
        - name: revenue
          type: simple
          time_granularity: month
          group: finance
          config: { meta: { owner: finance }, enabled: true }
          type_params:
            measure: order_total
            is_private: false
    `;
    const model = parse({ 'orders.yml': ORDERS, 'metrics.yml': text });
    expect(model.problems).toEqual([]);
  });

  it('reports a metric without a type, and an unknown metric type', () => {
    const text = yaml`
      metrics:
        - name: revenue
          type_params:
            measure: order_total
        - name: revenue_2
          type: simpel
          type_params:
            measure: order_total
    `;
    const model = parse({ 'metrics.yml': text });
    expect(model.problems.map(brief)).toEqual([
      { severity: 'error', code: 'missing_key', message: 'Missing required "type" in metric "revenue" (shop/metrics.yml:2:5).', at: '2:5' },
      { severity: 'error', code: 'invalid_metric_type', message: 'Unknown type "simpel" in metric "revenue_2" (shop/metrics.yml:6:11). Did you mean "simple"?', at: '6:11' },
    ]);
    expect(model.metrics).toEqual([]);
  });

  it('reports an unknown entity type and an entity without a type', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('type: primary\n        expr: order_id', 'type: primay\n        expr: order_id').replace('      - name: coupon\n        type: foreign\n', '      - name: coupon\n') });
    expect(model.problems.map(brief)).toEqual([
      { severity: 'error', code: 'invalid_entity_type', message: 'Unknown type "primay" in entity "order" of semantic model "orders" (shop/orders.yml:13:15). Did you mean "primary"?', at: '13:15' },
      { severity: 'error', code: 'missing_key', message: 'Missing required "type" in entity "coupon" of semantic model "orders" (shop/orders.yml:18:9).', at: '18:9' },
    ]);
  });

  it('reports a percentile measure without its percentile', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('        agg_params:\n          percentile: 0.9\n          use_discrete_percentile: true\n', '') });
    expect(model.problems.map(brief)).toEqual([{ severity: 'error', code: 'missing_key', message: 'Missing agg_params.percentile in measure "p90_amount" of semantic model "orders" (shop/orders.yml:39:9).', at: '39:9' }]);
  });

  it('reports a measure without agg, and a dbt model that is not a ref()', () => {
    const model = parse({ 'orders.yml': ORDERS.replace('      - name: balance\n        agg: sum\n', '      - name: balance\n').replace("model: ref('customers')", 'model: customers') });
    expect(model.problems.map(brief)).toEqual([
      { severity: 'error', code: 'missing_key', message: 'Missing required "agg" in measure "balance" of semantic model "orders" (shop/orders.yml:45:9).', at: '45:9' },
      { severity: 'error', code: 'invalid_model_reference', message: 'Cannot read model "customers" in semantic model "customers" (shop/orders.yml:51:12).', at: '51:12' },
    ]);
  });

  it('reports a cumulative metric with both window and grain_to_date, and an unknown period_agg', () => {
    const text = yaml`
      metrics:
        - name: revenue_running
          type: cumulative
          type_params:
            measure: order_total
            window: 7 days
            cumulative_type_params:
              grain_to_date: month
              period_agg: median
    `;
    const model = parse({ 'orders.yml': ORDERS, 'metrics.yml': text });
    expect(model.problems.map(brief)).toEqual([
      { severity: 'error', code: 'invalid_value', message: 'Cumulative metric "revenue_running" has both window and grain_to_date (shop/metrics.yml:8:24).', at: '8:24' },
      { severity: 'error', code: 'invalid_value', message: 'Unknown period_agg "median" in cumulative metric "revenue_running" (shop/metrics.yml:9:21).', at: '9:21' },
    ]);
  });

  it('reports a value of the wrong shape without throwing', () => {
    const text = yaml`
      metrics:
        - name: revenue
          type: simple
          description: [not, text]
          type_params:
            measure: order_total
            fill_nulls_with: zero
        - just a string
    `;
    const model = parse({ 'orders.yml': ORDERS, 'metrics.yml': text });
    expect(model.problems.map(brief)).toEqual([
      { severity: 'error', code: 'invalid_value', message: 'Expected text for "description" in metric "revenue", got a list (shop/metrics.yml:4:18).', at: '4:18' },
      { severity: 'error', code: 'invalid_value', message: 'Expected a number for "fill_nulls_with" in type_params of metric "revenue", got text "zero" (shop/metrics.yml:7:24).', at: '7:24' },
      { severity: 'error', code: 'invalid_value', message: 'Expected a mapping for a metric (shop/metrics.yml:8:5).', at: '8:5' },
    ]);
    expect(model.metrics.map((metric) => metric.name)).toEqual(['order_count', 'revenue']);
  });

  it('reports a file that could not be read', () => {
    const model = parseMetricFlow([{ path: '/models/shop/gone.yml', text: '', error: 'ENOENT: no such file' }], { name: 'shop', path: ROOT }, OPTIONS);
    expect(model.problems.map(brief)).toEqual([
      { severity: 'error', code: 'unreadable_file', message: 'Cannot read /models/shop/gone.yml: ENOENT: no such file (shop/gone.yml:1:1).', at: '1:1' },
    ]);
  });
});

describe('the demo model', () => {
  it('parses semantic_models/retail.yml with no problems', () => {
    const path = fileURLToPath(new URL('../../semantic_models/retail.yml', import.meta.url));
    const model = parseMetricFlow([{ path, text: readFileSync(path, 'utf8') }], { name: 'retail', path }, { refs: {}, placeholders: {}, defaultSchema: 'main' });
    expect([...model.problems, ...validateSemanticModel(model)]).toEqual([]);
    expect({
      tables: model.tables.length,
      measures: model.tables.reduce((sum, table) => sum + table.measures.length, 0),
      dimensions: model.tables.reduce((sum, table) => sum + table.dimensions.length, 0),
      entities: model.tables.reduce((sum, table) => sum + table.entities.length, 0),
      metrics: model.metrics.length,
      relationships: model.relationships.length,
      savedQueries: model.savedQueries.length,
    }).toEqual({ tables: 9, measures: 19, dimensions: 33, entities: 16, metrics: 20, relationships: 7, savedQueries: 1 });
    expect(model.metrics.map((metric) => metric.type).reduce<Record<string, number>>((counts, type) => ({ ...counts, [type]: (counts[type] ?? 0) + 1 }), {})).toEqual({
      simple: 11,
      ratio: 4,
      derived: 2,
      cumulative: 3,
    });
    expect(model.tables.every((table) => table.physical.schema === 'main' && table.physical.table === table.name)).toBe(true);
  });
});
