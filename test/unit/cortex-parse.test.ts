import { describe, expect, it } from 'vitest';
import { isCortexDocument, parseCortex } from '../../src/semantic/cortex/index.js';
import type { SemanticModel } from '../../src/semantic/ir.js';

const OPTIONS = { refs: {}, placeholders: {}, defaultSchema: 'main' };

// Line numbers in the comments are what the assertions below refer to.
const SHOP = [
  'name: shop', // 1
  'tables:', // 2
  '  - name: orders', // 3
  '    base_table: {database: db, schema: main, table: orders}', // 4
  '    primary_key:', // 5
  '      columns: [order_id]', // 6
  '    dimensions:', // 7
  '      - name: order_id', // 8
  '        expr: order_id', // 9
  '        data_type: number', // 10
  '      - name: customer_id', // 11
  '        expr: customer_id', // 12
  '    time_dimensions:', // 13
  '      - name: order_date', // 14
  '        expr: order_date', // 15
  '        data_type: DATE', // 16
  '    facts:', // 17
  '      - name: amount', // 18
  '        expr: amount', // 19
  '        default_aggregation: sum', // 20
  '  - name: customers', // 21
  '    base_table: {database: db, schema: main, table: customers}', // 22
  '    primary_key: {columns: [customer_id]}', // 23
  '    dimensions:', // 24
  '      - name: customer_id', // 25
  '        expr: customer_id', // 26
  '      - name: region', // 27
  '        expr: region', // 28
  'relationships:', // 29
  '  - name: orders_to_customers', // 30
  '    left_table: orders', // 31
  '    right_table: customers', // 32
  '    relationship_columns:', // 33
  '      - left_column: customer_id', // 34
  '        right_column: customer_id', // 35
  '    join_type: left_outer', // 36
  '    relationship_type: many_to_one', // 37
  'verified_queries:', // 38
  '  - name: revenue', // 39
  '    question: What is our revenue?', // 40
  '    sql: SELECT SUM(amount) FROM orders', // 41
  '    verified_at: 1714752498', // 42
  '',
].join('\n');

/** SHOP with whole lines replaced (1-based line -> new text), so every other line keeps its number. */
function shopWith(changes: Record<number, string>): string {
  const lines = SHOP.split('\n');
  for (const [line, text] of Object.entries(changes)) lines[Number(line) - 1] = text;
  return lines.join('\n');
}

function parse(text: string): SemanticModel {
  return parseCortex({ path: 'shop.yaml', text }, OPTIONS);
}

/** Problems as `severity code line:column message`, the shape every assertion below checks exactly. */
function problems(text: string): string[] {
  return parse(text).problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message}`);
}

describe('parseCortex on a well-formed model', () => {
  it('reads tables, columns, relationships and verified queries into the IR with locations', () => {
    const model = parse(SHOP);
    expect(model.problems).toEqual([]);
    expect(model).toMatchObject({ name: 'shop', format: 'cortex', filters: [], savedQueries: [], timeSpines: [] });
    expect(model.path.endsWith('/shop.yaml')).toBe(true);
    const [orders, customers] = model.tables;
    expect(orders).toMatchObject({
      name: 'orders',
      location: { file: 'shop.yaml', line: 3, column: 5 },
      physical: { database: 'db', schema: 'main', table: 'orders', source: 'db.main.orders' },
      primaryKey: ['order_id'],
    });
    expect(orders!.dimensions).toEqual([
      { name: 'order_id', synonyms: [], location: { file: 'shop.yaml', line: 8, column: 9 }, kind: 'categorical', expr: 'order_id', dataType: 'number', sampleValues: [] },
      { name: 'customer_id', synonyms: [], location: { file: 'shop.yaml', line: 11, column: 9 }, kind: 'categorical', expr: 'customer_id', sampleValues: [] },
      { name: 'order_date', synonyms: [], location: { file: 'shop.yaml', line: 14, column: 9 }, kind: 'time', expr: 'order_date', dataType: 'DATE', sampleValues: [], timeGranularity: 'day' },
    ]);
    expect(orders!.measures).toEqual([{ name: 'amount', synonyms: [], location: { file: 'shop.yaml', line: 18, column: 9 }, agg: 'sum', expr: 'amount', sampleValues: [] }]);
    expect(orders!.entities).toEqual([
      { name: 'orders', type: 'primary', expr: 'order_id', synonyms: [], location: { file: 'shop.yaml', line: 6, column: 7 } },
      { name: 'customers', type: 'foreign', expr: 'customer_id', synonyms: [], location: { file: 'shop.yaml', line: 30, column: 5 } },
    ]);
    expect(customers!.entities.map((e) => `${e.type}:${e.name}=${e.expr}`)).toEqual(['primary:customers=customer_id']);
    expect(model.relationships).toEqual([
      {
        name: 'orders_to_customers',
        leftTable: 'orders',
        rightTable: 'customers',
        columns: [{ left: 'customer_id', right: 'customer_id' }],
        joinType: 'left_outer',
        relationshipType: 'many_to_one',
        origin: 'declared',
        location: { file: 'shop.yaml', line: 30, column: 5 },
      },
    ]);
    expect(model.verifiedQueries).toEqual([
      { name: 'revenue', question: 'What is our revenue?', sql: 'SELECT SUM(amount) FROM orders', verifiedAt: '2024-05-03T16:08:18.000Z', location: { file: 'shop.yaml', line: 39, column: 5 } },
    ]);
  });

  it('reads model-level metrics and filters, table metrics with filters, access modifiers and joined custom instructions', () => {
    const model = parse(
      [
        'name: m',
        'tables:',
        '  - name: sales',
        '    synonyms: [revenue lines]',
        '    base_table: {database: db, schema: s, table: sales}',
        '    facts:',
        '      - {name: amount, expr: amount, access_modifier: private_access, sample_values: [1.5, 2]}',
        '    metrics:',
        '      - name: eu_revenue',
        '        expr: SUM(amount)',
        "        filter: {expr: region = 'EU'}",
        '    filters:',
        "      - {name: eu, expr: region = 'EU', synonyms: [europe]}",
        'metrics:',
        '  - {name: revenue_per_unit, expr: sales.eu_revenue / 2, description: Derived.}',
        'filters:',
        '  - {name: recent, expr: year >= 2024}',
        'custom_instructions: Use fiscal years.',
        'module_custom_instructions:',
        '  sql_generation: Round money to 2 decimals.',
        '  question_categorization: Refuse questions about salaries.',
      ].join('\n'),
    );
    expect(model.problems).toEqual([]);
    expect(model.tables[0]!.synonyms).toEqual(['revenue lines']);
    expect(model.tables[0]!.measures[0]).toMatchObject({ name: 'amount', sampleValues: ['1.5', '2'] });
    expect(model.metrics.map(({ location: _location, ...metric }) => metric)).toEqual([
      { type: 'expression', name: 'eu_revenue', synonyms: [], expr: 'SUM(amount)', filter: ["region = 'EU'"], table: 'sales' },
      { type: 'expression', name: 'revenue_per_unit', description: 'Derived.', synonyms: [], expr: 'sales.eu_revenue / 2', filter: [] },
    ]);
    expect(model.tables[0]!.filters).toEqual([{ name: 'eu', synonyms: ['europe'], location: { file: 'shop.yaml', line: 13, column: 9 }, expr: "region = 'EU'", table: 'sales' }]);
    expect(model.filters).toEqual([{ name: 'recent', synonyms: [], location: { file: 'shop.yaml', line: 17, column: 5 }, expr: 'year >= 2024' }]);
    expect(model.customInstructions).toBe('Use fiscal years.\n\nRound money to 2 decimals.\n\nQuestion categorization: Refuse questions about salaries.');
  });

  it('reads dimension details: description, synonyms, sample values of any scalar type, is_enum, search service', () => {
    const model = parse(
      [
        'name: m',
        'tables:',
        '  - name: t',
        '    base_table: {table: t}',
        '    dimensions:',
        '      - name: status',
        '        description: >',
        '          Order status.',
        '        synonyms: [state]',
        '        expr: status',
        '        data_type: VARCHAR(16777216)',
        '        unique: false',
        '        is_enum: true',
        '        sample_values: [open, 2, true]',
        '        cortex_search_service: {database: db, schema: s, service: status_search, literal_column: status}',
      ].join('\n'),
    );
    expect(model.problems).toEqual([]);
    expect(model.tables[0]!.dimensions).toEqual([
      { name: 'status', description: 'Order status.', synonyms: ['state'], location: { file: 'shop.yaml', line: 6, column: 9 }, kind: 'categorical', expr: 'status', dataType: 'VARCHAR(16777216)', sampleValues: ['open', '2', 'true'], isEnum: true },
    ]);
  });

  it('takes a time grain from the data type: DATE is day, any TIMESTAMP is second, anything else unknown', () => {
    const model = parse(
      [
        'name: m',
        'tables:',
        '  - name: t',
        '    base_table: {table: t}',
        '    time_dimensions:',
        '      - {name: d, expr: d, data_type: date}',
        '      - {name: ts, expr: ts, data_type: TIMESTAMP_NTZ(9)}',
        '      - {name: dt, expr: dt, data_type: datetime}',
        '      - {name: y, expr: y, data_type: NUMBER}',
        '      - {name: none, expr: none}',
      ].join('\n'),
    );
    expect(model.problems).toEqual([]);
    expect(model.tables[0]!.physical).toEqual({ table: 't', source: 't' });
    expect(model.tables[0]!.dimensions.map((d) => `${d.name}:${d.timeGranularity ?? '?'}`)).toEqual(['d:day', 'ts:second', 'dt:second', 'y:?', 'none:?']);
  });

  it('resolves relationship tables case-insensitively and names a non-key join target as a unique entity', () => {
    const model = parse(
      [
        'name: m',
        'tables:',
        '  - name: SOCIAL',
        '    base_table: {table: social}',
        '    dimensions: [{name: CATEGORY, expr: category}]',
        '  - name: CAMPAIGNS',
        '    base_table: {table: campaigns}',
        '    primary_key: {columns: [campaign_id]}',
        '    dimensions: [{name: CATEGORY, expr: cat}, {name: campaign_id, expr: campaign_id}]',
        'relationships:',
        '  - {name: social_to_campaigns, left_table: social, right_table: campaigns, relationship_columns: [{left_column: category, right_column: category}], join_type: inner, relationship_type: many_to_one}',
      ].join('\n'),
    );
    expect(model.problems).toEqual([]);
    expect(model.relationships[0]).toMatchObject({ leftTable: 'SOCIAL', rightTable: 'CAMPAIGNS', columns: [{ left: 'CATEGORY', right: 'CATEGORY' }] });
    expect(model.tables.map((table) => table.entities.map((e) => `${e.type}:${e.name}=${e.expr}`))).toEqual([['foreign:social_to_campaigns=category'], ['primary:CAMPAIGNS=campaign_id', 'unique:social_to_campaigns=cat']]);
  });

  it('reads the legacy columns list by kind and table foreign_keys as many-to-one joins', () => {
    const model = parse(
      [
        'name: m',
        'tables:',
        '  - name: orders',
        '    base_table: {database: db, schema: s, table: orders}',
        '    columns:',
        '      - {name: customer_id, expr: customer_id, data_type: NUMBER, kind: dimension}',
        '      - {name: placed_at, expr: placed_at, data_type: TIMESTAMP_LTZ, kind: time_dimension}',
        '      - {name: total, expr: total, data_type: NUMBER, kind: measure, default_aggregation: avg}',
        '    foreign_keys:',
        '      - {fkey_columns: [customer_id], pkey_table: {database: db, schema: s, table: customers}, pkey_columns: [id]}',
        '  - name: clients',
        '    base_table: {database: db, schema: s, table: customers}',
        '    primary_key: {columns: [id]}',
      ].join('\n'),
    );
    expect(model.problems).toEqual([]);
    expect(model.tables[0]!.dimensions.map((d) => `${d.kind}:${d.name}:${d.timeGranularity ?? '-'}`)).toEqual(['categorical:customer_id:-', 'time:placed_at:second']);
    expect(model.tables[0]!.measures.map((m) => `${m.name}:${m.agg}`)).toEqual(['total:average']);
    expect(model.relationships).toEqual([
      { name: 'orders_to_clients', leftTable: 'orders', rightTable: 'clients', columns: [{ left: 'customer_id', right: 'id' }], joinType: 'left_outer', relationshipType: 'many_to_one', origin: 'declared', location: { file: 'shop.yaml', line: 10, column: 9 } },
    ]);
    expect(model.tables[0]!.entities.map((e) => `${e.type}:${e.name}=${e.expr}`)).toEqual(['foreign:clients=customer_id']);
  });

  it('reads a quoted value whose continuation lines sit left of its key, as Snowflake does, with a warning', () => {
    const model = parse(
      ['name: m', 'tables:', '  - name: t', '    base_table: {table: t}', 'verified_queries:', '  - name: q', '    question: How many?', '    sql: "', 'SELECT count(*)', 'FROM t', '"'].join('\n'),
    );
    expect(model.verifiedQueries[0]!.sql).toBe('SELECT count(*) FROM t');
    expect(problems(['name: m', 'tables:', '  - name: t', '    base_table: {table: t}', 'verified_queries:', '  - name: q', '    question: How many?', '    sql: "', 'SELECT 1', '"'].join('\n'))).toEqual([
      'warning yaml_lenient 8:10 The quoted value of "sql" continues on lines indented less than its key; read as Snowflake reads it.',
    ]);
  });

  it('names the model after the file when the YAML has no name', () => {
    const model = parseCortex({ path: '/models/sales_model.yml', text: 'tables:\n  - name: t\n    base_table: {table: t}\n' }, OPTIONS);
    expect(model.name).toBe('sales_model');
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
      'warning missing_key 1:1 The semantic model has no "name"; it is named "sales_model" after its file.',
    ]);
  });
});

describe('parseCortex on malformed models', () => {
  it('reports a table without base_table', () => {
    const model = parse(shopWith({ 22: '    description: Customer accounts.' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'error missing_key 21:5 Table "customers" has no "base_table". | Add base_table: {database: ..., schema: ..., table: ...} naming the physical table or view.',
    ]);
    expect(model.tables[1]!.physical).toEqual({ table: 'customers', source: 'customers' });
  });

  it('reports a base_table without table', () => {
    expect(problems(shopWith({ 4: '    base_table: {database: db, schema: main}' }))).toEqual(['error missing_key 4:17 The base_table of table "orders" has no "table".']);
  });

  it('reports a table without name, and the relationship that named it', () => {
    expect(problems(shopWith({ 21: '  - description: Customers' }))).toEqual([
      'error missing_key 21:5 Table #2 has no "name".',
      'error unknown_table 32:18 Relationship "orders_to_customers" refers to unknown table "customers" (right_table).',
    ]);
  });

  it('reports an unknown default_aggregation with the closest valid one', () => {
    const model = parse(shopWith({ 20: '        default_aggregation: summ' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'error invalid_aggregation 20:30 Unknown default_aggregation "summ" in fact "amount" of table "orders". Did you mean "sum"? | Use one of: sum, avg, median, min, max, count, count_distinct.',
    ]);
    expect(model.tables[0]!.measures[0]!.agg).toBeUndefined();
  });

  it('reports a relationship to an unknown table and leaves the relationship out', () => {
    const model = parse(shopWith({ 32: '    right_table: custmers' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'error unknown_table 32:18 Relationship "orders_to_customers" refers to unknown table "custmers" (right_table). Did you mean "customers"? | Known tables: orders, customers.',
    ]);
    expect(model.relationships).toEqual([]);
    expect(model.tables[0]!.entities.map((e) => e.name)).toEqual(['orders']);
  });

  it('reports a relationship column that is not a column of its table', () => {
    const model = parse(shopWith({ 35: '        right_column: customer_key' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'error unknown_relationship_column 35:23 Relationship "orders_to_customers" joins on "customer_key" (right_column), which is not a dimension, time dimension, fact or primary key column of table "customers". Did you mean "customer_id"? | Columns of table "customers": customer_id, region.',
    ]);
    expect(model.relationships).toEqual([]);
  });

  it('reports a duplicate dimension name and keeps the first', () => {
    const model = parse(shopWith({ 27: '      - name: Customer_ID' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
      'error duplicate_name 27:15 Duplicate name "Customer_ID" in table "customers": the dimension "customer_id" at line 25 already uses it.',
    ]);
    expect(model.tables[1]!.dimensions.map((d) => d.name)).toEqual(['customer_id']);
  });

  it('reports a fact reusing a time dimension name, since all columns share one namespace', () => {
    expect(problems(shopWith({ 18: '      - name: order_date' }))).toEqual([
      'error duplicate_name 18:15 Duplicate name "order_date" in table "orders": the time dimension "order_date" at line 14 already uses it.',
    ]);
  });

  it('reports a dimension without expr', () => {
    const model = parse(shopWith({ 9: '        description: Order key.' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual(['error missing_key 8:9 Dimension "order_id" of table "orders" has no "expr".']);
    expect(model.tables[0]!.dimensions[0]).toMatchObject({ name: 'order_id', expr: 'order_id', description: 'Order key.' });
  });

  it('reports a verified query without sql and leaves it out', () => {
    const model = parse(shopWith({ 41: '    verified_by: ana' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'error missing_key 39:5 Verified query "revenue" has no "sql". | Add sql: the verified SQL that answers the question.',
    ]);
    expect(model.verifiedQueries).toEqual([]);
  });

  it('reports a verified query without question', () => {
    expect(problems(shopWith({ 40: '    verified_by: ana' }))).toEqual(['error missing_key 39:5 Verified query "revenue" has no "question".']);
  });

  it('warns about an unknown key at the key, with did-you-mean, and keeps reading', () => {
    const model = parse(shopWith({ 10: '        data_typ: number' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'warning unknown_key 10:9 Unknown key "data_typ" in dimension "order_id" of table "orders". Did you mean "data_type"? | It is ignored. Keys the Cortex Analyst specification allows here: name, synonyms, description, expr, data_type, unique, sample_values, is_enum, cortex_search_service, cortex_search_service_name.',
    ]);
    expect(model.tables[0]!.dimensions).toHaveLength(3);
  });

  it('warns about a misspelt top-level key', () => {
    expect(problems(shopWith({ 38: 'verified_querys:' }))).toEqual(['warning unknown_key 38:1 Unknown key "verified_querys" in the semantic model. Did you mean "verified_queries"?']);
  });

  it('reports a YAML syntax error at its position', () => {
    const model = parse(shopWith({ 12: '        expr: customer_id: x' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
      'error yaml_syntax 12:15 YAML syntax error: Nested mappings are not allowed in compact mappings',
    ]);
    expect(model.tables).toEqual([]);
  });

  it('reports synonyms written as a string instead of a list, and keeps the value', () => {
    const model = parse(shopWith({ 10: '        synonyms: "order number"' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'error wrong_type 10:19 "synonyms" of dimension "order_id" of table "orders" must be a list of text values, not a string. | Write synonyms as a YAML list, e.g. synonyms: [first, second].',
    ]);
    expect(model.tables[0]!.dimensions[0]!.synonyms).toEqual(['order number']);
  });

  it('reports a boolean written as text', () => {
    expect(problems(shopWith({ 42: '    use_as_onboarding_question: "yes"' }))).toEqual(['error wrong_type 42:33 "use_as_onboarding_question" of verified query "revenue" must be true or false, not a string.']);
  });

  it('reports an unknown join_type and leaves the relationship out', () => {
    const model = parse(shopWith({ 36: '    join_type: left' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message} | ${p.hint}`)).toEqual([
      'error invalid_value 36:16 Unknown join_type "left" in relationship "orders_to_customers". Did you mean "left_outer"? | Use one of: left_outer, inner, full_outer, cross.',
    ]);
    expect(model.relationships).toEqual([]);
  });

  it('warns about a relationship without join_type and assumes left_outer', () => {
    const model = parse(shopWith({ 36: '' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
      'warning missing_key 30:5 Relationship "orders_to_customers" has no "join_type"; assuming left_outer.',
    ]);
    expect(model.relationships[0]!.joinType).toBe('left_outer');
  });

  it('reports a dimensions list written as a mapping; the join still resolves through the primary key column', () => {
    const model = parse(shopWith({ 24: '    dimensions: {name: region}', 25: '', 26: '', 27: '', 28: '' }));
    expect(model.problems.map((p) => `${p.severity} ${p.code} ${p.location?.line}:${p.location?.column} ${p.message}`)).toEqual([
      'error wrong_type 24:17 "dimensions" of table "customers" must be a list, not a mapping.',
    ]);
    expect(model.relationships.map((r) => r.columns)).toEqual([[{ left: 'customer_id', right: 'customer_id' }]]);
  });

  it('reports a model that is a list rather than a mapping', () => {
    expect(problems('- name: m\n  tables: []\n')).toEqual(['error wrong_type 1:1 A Cortex Analyst semantic model must be a mapping with name and tables.']);
  });

  it('never throws, whatever the input', () => {
    for (const text of ['', 'null', '42', '"text"', '- 1', 'tables: 5', 'tables: [1, "x", null, []]', 'tables: [{name: [1], base_table: 3, dimensions: [{name: {a: 1}}]}]', 'relationships: [{relationship_columns: 7}]', 'verified_queries: [{verified_at: [1]}]', ':\n  - ]', '\t\u0000']) {
      const model = parse(text);
      expect(model.format).toBe('cortex');
      expect(Array.isArray(model.problems)).toBe(true);
    }
  });
});

describe('isCortexDocument', () => {
  it('recognises a tables list with base_table, even when one table is broken', () => {
    expect(isCortexDocument({ name: 'm', tables: [{ name: 't', base_table: { table: 't' } }] })).toBe(true);
    expect(isCortexDocument({ tables: [{ name: 't', dimensions: [] }, 'broken'] })).toBe(true);
  });

  it('refuses MetricFlow files, other YAML and non-mappings', () => {
    expect(isCortexDocument({ semantic_models: [{ name: 'orders' }], tables: [{ base_table: {} }] })).toBe(false);
    expect(isCortexDocument({ metrics: [{ name: 'revenue', type: 'simple' }] })).toBe(false);
    expect(isCortexDocument({ tables: [{ name: 'only a name' }] })).toBe(false);
    expect(isCortexDocument({ tables: 'x' })).toBe(false);
    expect(isCortexDocument([{ tables: [] }])).toBe(false);
    expect(isCortexDocument(null)).toBe(false);
  });
});
