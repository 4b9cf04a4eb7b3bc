import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SemanticRegistry } from '../../src/semantic/index.js';

const corpora = process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../../shared/corpora/', import.meta.url));
const present = existsSync(join(corpora, 'metricflow')) && existsSync(join(corpora, 'jaffle_shop'));
const options = { refs: {}, placeholders: { source_schema: 'main' }, defaultSchema: 'main', allowLocalPath: true };

describe.runIf(!present && !!process.env.CI)('registry corpora', () => {
  it('are present', () => {
    throw new Error(`Corpora not found at ${corpora}. Set STRATUM_CORPORA to the shared corpora folder.`);
  });
});

describe.skipIf(!present)('the registry on real projects', () => {
  it('serves each MetricFlow test manifest folder as one model', () => {
    const registry = new SemanticRegistry({ ...options, paths: [join(corpora, 'metricflow', 'semantic_manifests')] });
    const models = registry.list();
    expect(models).toHaveLength(17);
    const simple = registry.get('simple_manifest');
    expect([simple.tables.length, simple.metrics.length]).toEqual([12, 113]);
    expect(simple.tables.find((t) => t.name === 'bookings_source')?.physical).toMatchObject({ schema: 'main', table: 'fct_bookings' });
    expect(models.filter((m) => m.problems.some((p) => p.severity === 'error')).map((m) => m.name)).toEqual(['config_linter_manifest']);
  });

  it('serves a dbt project as one model, time spine declarations included', () => {
    const registry = new SemanticRegistry({ ...options, paths: [join(corpora, 'jaffle_shop')] });
    const summary = registry.list().map((m) => [m.name, m.tables.length, m.metrics.length, m.timeSpines.length, m.problems.filter((p) => p.severity === 'error').length]);
    expect(summary).toEqual([
      ['jaffle-shop', 6, 19, 0, 0],
      ['jaffle-sl-template', 5, 18, 1, 0],
    ]);
  });
});
