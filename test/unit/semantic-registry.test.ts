import { describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SemanticRegistry } from '../../src/semantic/index.js';
import { StratumError } from '../../src/errors.js';
import { tempDir } from '../helpers/fixture.js';

const options = { refs: {}, placeholders: { source_schema: 'main' }, defaultSchema: 'main', allowLocalPath: true };

const DBT_STYLE = `semantic_models:
  - name: orders
    model: ref('orders')
    defaults: { agg_time_dimension: ordered_at }
    entities:
      - { name: order, type: primary, expr: order_id }
    dimensions:
      - { name: ordered_at, type: time, type_params: { time_granularity: day } }
      - { name: status, type: categorical }
    measures:
      - { name: revenue, agg: sum, expr: amount }
metrics:
  - name: revenue
    type: simple
    type_params: { measure: revenue }
`;

const CORTEX = `name: shop
description: A shop
tables:
  - name: orders
    base_table: { database: demo, schema: main, table: orders }
    primary_key: { columns: [order_id] }
    dimensions:
      - { name: status, expr: status, data_type: VARCHAR, sample_values: [completed, cancelled] }
    facts:
      - { name: amount, expr: amount, data_type: NUMBER, default_aggregation: sum }
verified_queries:
  - name: total
    question: What is total revenue?
    sql: SELECT sum(amount) FROM main.orders
`;

const MANIFEST_SM = `semantic_model:
  name: bookings
  node_relation: { schema_name: $source_schema, alias: fct_bookings }
  defaults: { agg_time_dimension: ds }
  entities:
    - { name: booking, type: primary, expr: id }
  dimensions:
    - { name: ds, type: time, type_params: { time_granularity: day } }
  measures:
    - { name: bookings, agg: sum, expr: '1' }
`;
const MANIFEST_METRIC = `metric:
  name: bookings
  type: simple
  type_params: { measure: bookings }
`;

function workspace() {
  const root = join(tempDir(), 'semantic_models');
  mkdirSync(join(root, 'airbnb'), { recursive: true });
  writeFileSync(join(root, 'retail.yml'), DBT_STYLE);
  writeFileSync(join(root, 'shop_cortex.yaml'), CORTEX);
  writeFileSync(join(root, 'airbnb', 'bookings.yaml'), MANIFEST_SM);
  writeFileSync(join(root, 'airbnb', 'metrics.yaml'), MANIFEST_METRIC);
  writeFileSync(join(root, 'notes.yaml'), 'just: some other yaml\n');
  return root;
}

describe('semantic registry', () => {
  it('finds one model per file, and one per MetricFlow manifest folder', () => {
    const root = workspace();
    const registry = new SemanticRegistry({ ...options, paths: [root] });
    const models = registry.list().map((m) => [m.name, m.format, m.tables.length, m.metrics.length]);
    expect(models).toEqual([
      ['retail', 'metricflow', 1, 1],
      ['shop', 'cortex', 1, 0],
      ['airbnb', 'metricflow', 1, 1],
    ]);
    const airbnb = registry.get('airbnb');
    expect(airbnb.tables[0]!.physical).toMatchObject({ schema: 'main', table: 'fct_bookings' });
    expect(airbnb.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('re-reads a file when it changes and forgets a deleted one', () => {
    const root = workspace();
    const registry = new SemanticRegistry({ ...options, paths: [root] });
    expect(registry.get('retail').metrics.map((m) => m.name)).toEqual(['revenue']);
    const file = join(root, 'retail.yml');
    writeFileSync(file, DBT_STYLE + `  - name: revenue_2\n    type: simple\n    type_params: { measure: revenue }\n`);
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect(registry.get('retail').metrics.map((m) => m.name)).toEqual(['revenue', 'revenue_2']);
    writeFileSync(join(root, 'shop_cortex.yaml'), '');
    expect(registry.list().map((m) => m.name)).not.toContain('shop');
  });

  it('lists a broken file with its errors without hiding the others', () => {
    const root = workspace();
    writeFileSync(join(root, 'broken.yml'), 'semantic_models:\n  - name: x\n    model: ref(\'x\')\n    measures: [ { name: a, agg: sum\n');
    const registry = new SemanticRegistry({ ...options, paths: [root] });
    const names = registry.list().map((m) => m.name);
    expect(names).toContain('retail');
    expect(names).toContain('broken');
    const broken = registry.get('broken');
    expect(broken.problems[0]).toMatchObject({ severity: 'error', code: 'yaml_syntax' });
    expect(broken.problems[0]!.location?.line).toBeGreaterThanOrEqual(4);
  });

  it('gives a second model with a taken name its file name, and says so', () => {
    const root = workspace();
    writeFileSync(join(root, 'shop_cortex.yaml'), CORTEX.replace('name: shop', 'name: retail'));
    const registry = new SemanticRegistry({ ...options, paths: [root] });
    expect(registry.list().map((m) => m.name)).toEqual(['retail', 'shop_cortex', 'airbnb']);
    expect(registry.get('shop_cortex').problems.map((p) => p.code)).toContain('duplicate_model_name');
    // Unchanged files give the same objects on every list(), renamed ones included (readers cache per model).
    expect(registry.list().every((model, i) => model === registry.list()[i])).toBe(true);
  });

  it('suggests the closest model for an unknown name', () => {
    const registry = new SemanticRegistry({ ...options, paths: [workspace()] });
    expect(() => registry.get('retial')).toThrow(/Unknown semantic model "retial"\. Did you mean "retail"\?/);
  });

  describe('loading by path stays inside the configured roots', () => {
    it('loads a file inside a root', () => {
      const root = workspace();
      const registry = new SemanticRegistry({ ...options, paths: [root] });
      expect(registry.loadPath('semantic_models/shop_cortex.yaml', join(root, '..')).name).toBe('shop');
      expect(registry.loadPath(join(root, 'airbnb'), '/').name).toBe('airbnb');
    });

    it.each([
      ['a parent escape', (root: string) => join(root, '..', 'outside.yml')],
      ['an absolute path elsewhere', () => '/etc/passwd'],
      ['a symlink pointing out of the root', (root: string) => join(root, 'link.yml')],
      ['a symlinked folder pointing out', (root: string) => join(root, 'linked_dir')],
    ])('refuses %s', (_name, pathOf) => {
      const root = workspace();
      const outside = join(root, '..', 'outside.yml');
      writeFileSync(outside, DBT_STYLE);
      mkdirSync(join(root, '..', 'elsewhere'));
      writeFileSync(join(root, '..', 'elsewhere', 'x.yml'), DBT_STYLE);
      symlinkSync(outside, join(root, 'link.yml'));
      symlinkSync(join(root, '..', 'elsewhere'), join(root, 'linked_dir'));
      const registry = new SemanticRegistry({ ...options, paths: [root] });
      const error = (() => {
        try {
          registry.loadPath(pathOf(root), root);
        } catch (e) {
          return e;
        }
      })() as StratumError;
      expect(error).toBeInstanceOf(StratumError);
      expect(error.message).toMatch(/^Refused: .* is outside the configured semantic model folders\.$/);
    });

    it('refuses every path when allow_local_path is false', () => {
      const root = workspace();
      const registry = new SemanticRegistry({ ...options, paths: [root], allowLocalPath: false });
      expect(() => registry.loadPath(join(root, 'retail.yml'), root)).toThrow(/allow_local_path: false/);
    });
  });
});
