import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SemanticModel, SemanticProblem } from '../../src/semantic/ir.js';
import { parseMetricFlow } from '../../src/semantic/metricflow/parse.js';
import { validateSemanticModel } from '../../src/semantic/validate.js';

/**
 * Every MetricFlow corpus in ../shared/corpora parses and validates, with catalogue counts checked
 * against the files (verified independently by counting `semantic_model:`/`metric:` documents,
 * `create_metric: true` measures and `metric_aggregation_params` metrics).
 */
const CORPORA = resolve(process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../../shared/corpora/', import.meta.url)));
const present = existsSync(join(CORPORA, 'metricflow', 'semantic_manifests'));
const OPTIONS = { refs: {}, placeholders: { source_schema: 'main', system_schema: 'main' }, defaultSchema: 'main' };

function yamlFilesUnder(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .flatMap((entry) => {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) return yamlFilesUnder(path);
      return /\.ya?ml$/i.test(entry) ? [path] : [];
    });
}

function load(folder: string, under = folder): { model: SemanticModel; problems: SemanticProblem[] } {
  const files = yamlFilesUnder(under).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const model = parseMetricFlow(files, { name: folder.split('/').at(-1)!, path: folder }, OPTIONS);
  return { model, problems: [...model.problems, ...validateSemanticModel(model)] };
}

function catalogue(model: SemanticModel) {
  const sum = (count: (table: SemanticModel['tables'][number]) => number) => model.tables.reduce((total, table) => total + count(table), 0);
  return {
    tables: model.tables.length,
    metrics: model.metrics.length,
    measures: sum((table) => table.measures.length),
    dimensions: sum((table) => table.dimensions.length),
    entities: sum((table) => table.entities.length),
    savedQueries: model.savedQueries.length,
    timeSpines: model.timeSpines.length,
  };
}

const codes = (problems: SemanticProblem[]) => problems.map((problem) => `${problem.severity}:${problem.code}`);

/** metrics = `metric:` documents + measures with create_metric (simple_manifest: 110 + 3). */
const MANIFESTS: Record<string, ReturnType<typeof catalogue>> = {
  ambiguous_resolution_manifest: { tables: 2, metrics: 16, measures: 3, dimensions: 2, entities: 2, savedQueries: 0, timeSpines: 7 },
  config_linter_manifest: { tables: 0, metrics: 0, measures: 0, dimensions: 0, entities: 0, savedQueries: 0, timeSpines: 7 },
  cyclic_join_manifest: { tables: 2, metrics: 1, measures: 1, dimensions: 3, entities: 4, savedQueries: 0, timeSpines: 7 },
  data_warehouse_validation_manifest: { tables: 1, metrics: 1, measures: 1, dimensions: 2, entities: 1, savedQueries: 0, timeSpines: 7 },
  derived_metrics_manifest: { tables: 1, metrics: 6, measures: 1, dimensions: 1, entities: 1, savedQueries: 0, timeSpines: 2 },
  extended_date_manifest: { tables: 3, metrics: 7, measures: 3, dimensions: 3, entities: 5, savedQueries: 0, timeSpines: 7 },
  join_types_manifest: { tables: 2, metrics: 1, measures: 1, dimensions: 2, entities: 3, savedQueries: 0, timeSpines: 7 },
  multi_hop_join_manifest: { tables: 5, metrics: 2, measures: 2, dimensions: 8, entities: 7, savedQueries: 0, timeSpines: 7 },
  name_edge_case_manifest: { tables: 1, metrics: 2, measures: 1, dimensions: 2, entities: 2, savedQueries: 0, timeSpines: 7 },
  non_sm_manifest: { tables: 2, metrics: 1, measures: 2, dimensions: 5, entities: 3, savedQueries: 0, timeSpines: 7 },
  partitioned_multi_hop_join_manifest: { tables: 5, metrics: 5, measures: 5, dimensions: 12, entities: 8, savedQueries: 0, timeSpines: 7 },
  scd_manifest: { tables: 7, metrics: 3, measures: 6, dimensions: 18, entities: 15, savedQueries: 0, timeSpines: 7 },
  sg_00_minimal_manifest: { tables: 1, metrics: 1, measures: 1, dimensions: 1, entities: 1, savedQueries: 0, timeSpines: 2 },
  sg_02_single_join: { tables: 2, metrics: 1, measures: 1, dimensions: 2, entities: 3, savedQueries: 0, timeSpines: 2 },
  sg_05_derived_metric: { tables: 2, metrics: 3, measures: 2, dimensions: 2, entities: 3, savedQueries: 0, timeSpines: 2 },
  simple_manifest: { tables: 12, metrics: 113, measures: 31, dimensions: 33, entities: 27, savedQueries: 5, timeSpines: 7 },
  simple_multi_hop_join_manifest: { tables: 8, metrics: 4, measures: 4, dimensions: 6, entities: 15, savedQueries: 0, timeSpines: 7 },
};

/** Problems the deliberately odd manifests legitimately have; every other corpus has none. */
const EXPECTED_PROBLEMS: Record<string, string[]> = {
  // Two `semantic_model:` keys in one document without a `---` divider: MetricFlow's config linter case.
  config_linter_manifest: ['error:yaml_syntax'],
};

describe('MetricFlow corpora', () => {
  it('are present', (context) => {
    const message = `MetricFlow corpora not found at ${CORPORA}. Set STRATUM_CORPORA to the shared corpora folder (the one holding metricflow/ and dbt_semantic_interfaces/).`;
    if (!present && !process.env.CI) context.skip(message);
    expect(present, message).toBe(true);
  });
});

describe.skipIf(!present)('MetricFlow corpora', () => {
  const manifests = present ? readdirSync(join(CORPORA, 'metricflow', 'semantic_manifests')).sort() : [];

  it('hold the 17 MetricFlow test manifests', () => {
    expect(manifests).toEqual(Object.keys(MANIFESTS));
  });

  describe.each(Object.keys(MANIFESTS))('metricflow/semantic_manifests/%s', (name) => {
    const folder = join(CORPORA, 'metricflow', 'semantic_manifests', name);

    it('parses and validates with only the expected problems', () => {
      const { problems } = load(folder);
      expect(codes(problems)).toEqual(EXPECTED_PROBLEMS[name] ?? []);
    });

    it('has the expected catalogue', () => {
      expect(catalogue(load(folder).model)).toEqual(MANIFESTS[name]);
    });
  });

  it('reports the config linter case where it is written', () => {
    const { problems } = load(join(CORPORA, 'metricflow', 'semantic_manifests', 'config_linter_manifest'));
    expect(problems.map((problem) => [problem.message, problem.location?.file.split('/').at(-1), problem.location?.line])).toEqual([
      ['YAML syntax error: Map keys must be unique', 'multiple_semantic_models_without_divider.yml', 22],
    ]);
  });

  it('names a broken reference by its place in the manifest folder', () => {
    const folder = join(CORPORA, 'metricflow', 'semantic_manifests', 'simple_manifest');
    const files = yamlFilesUnder(folder).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    const metrics = files.find((file) => file.path.endsWith('/metrics.yaml'))!;
    metrics.text = metrics.text.replace('  type_params:\n    measure: bookings\n', '  type_params:\n    measure: bokings\n');
    const model = parseMetricFlow(files, { name: 'simple_manifest', path: folder }, OPTIONS);
    expect([...model.problems, ...validateSemanticModel(model)].map((problem) => [problem.code, problem.message])).toEqual([
      ['unknown_measure', 'Unknown measure "bokings" in metric "bookings" (simple_manifest/metrics.yaml:7:14). Did you mean "bookings"?'],
    ]);
  });

  it('reads simple_manifest references, filters and relationships faithfully', () => {
    const { model } = load(join(CORPORA, 'metricflow', 'semantic_manifests', 'simple_manifest'));
    const metric = (name: string) => model.metrics.find((candidate) => candidate.name === name);
    expect(metric('bookings_per_listing')).toMatchObject({ type: 'ratio', numerator: { name: 'bookings' }, denominator: { name: 'listings' } });
    expect(metric('trailing_2_months_revenue')).toMatchObject({ type: 'cumulative', measure: { name: 'txn_revenue' }, window: '2 month', periodAggregation: 'average' });
    expect(metric('visit_buy_conversion_rate_by_session')).toMatchObject({ type: 'conversion', entity: 'user', constantProperties: [{ base: 'session', conversion: 'session_id' }] });
    expect(metric('bookings_offset_alien_day')).toMatchObject({ type: 'derived', inputs: [{ name: 'bookings', offsetWindow: '1 alien_day' }] });
    const bookings = model.tables.find((table) => table.name === 'bookings_source')!;
    expect(bookings.physical).toEqual({ schema: 'main', table: 'fct_bookings', source: '$source_schema.fct_bookings' });
    expect(bookings.measures.find((measure) => measure.name === 'approximate_discrete_booking_value_p99')).toMatchObject({ agg: 'percentile', percentile: { value: 0.99, discrete: true, approximate: true } });
    expect(model.relationships.filter((relationship) => relationship.leftTable === 'bookings_source').map((relationship) => `${relationship.entity}->${relationship.rightTable}`)).toEqual([
      'listing->listings_latest',
      'listing->lux_listing_mapping',
    ]);
  });

  describe('dbt-semantic-interfaces fixtures', () => {
    const folder = (name: string) => join(CORPORA, 'dbt_semantic_interfaces', 'semantic_manifest_yamls', name);
    const classic = () => load(folder('simple_semantic_manifest'));
    const migrated = () => load(folder('measure_migrated_manifest'));

    it('parse and validate with no problems', () => {
      expect(codes(classic().problems)).toEqual([]);
      expect(codes(migrated().problems)).toEqual([]);
    });

    it('have the expected catalogues', () => {
      expect(catalogue(classic().model)).toEqual({ tables: 13, metrics: 59, measures: 25, dimensions: 28, entities: 31, savedQueries: 2, timeSpines: 3 });
      // the migrated spec gives each of its 30 measure-less simple metrics a measure of its own name
      expect(catalogue(migrated().model)).toEqual({ tables: 13, metrics: 59, measures: 30, dimensions: 28, entities: 31, savedQueries: 0, timeSpines: 3 });
    });

    it('classic and measure-migrated yield the same metrics, dimensions and entities', () => {
      const names = (model: SemanticModel) => ({
        metrics: model.metrics.map((metric) => metric.name).sort(),
        dimensions: model.tables.flatMap((table) => table.dimensions.map((dimension) => `${table.name}.${dimension.name}`)).sort(),
        entities: [...new Set(model.tables.flatMap((table) => table.entities.map((entity) => entity.name)))].sort(),
      });
      const before = names(classic().model);
      const after = names(migrated().model);
      expect(after).toEqual(before);
      expect([before.metrics.length, before.dimensions.length, before.entities.length]).toEqual([59, 28, 13]);
    });

    it('resolves a cumulative metric over a metric to that metric\'s measure', () => {
      const metric = migrated().model.metrics.find((candidate) => candidate.name === 'trailing_2_months_revenue');
      expect(metric).toMatchObject({ type: 'cumulative', measure: { name: 'revenue', filter: [] }, window: '2 months', periodAggregation: 'first' });
    });
  });

  describe('dbt projects', () => {
    const projects = [
      { name: 'metricflow/tutorial_project', under: '', expected: { tables: 4, metrics: 14, measures: 9, dimensions: 13, entities: 7, savedQueries: 2, timeSpines: 2 } },
      { name: 'jaffle_shop/jaffle-shop', under: 'models', expected: { tables: 6, metrics: 19, measures: 13, dimensions: 25, entities: 10, savedQueries: 3, timeSpines: 0 } },
      { name: 'jaffle_shop/jaffle-sl-template', under: 'models', expected: { tables: 5, metrics: 18, measures: 15, dimensions: 20, entities: 9, savedQueries: 4, timeSpines: 1 } },
      { name: 'cortex_analyst/semantic_model_generator_dbt_demo', under: '', expected: { tables: 1, metrics: 3, measures: 3, dimensions: 4, entities: 1, savedQueries: 1, timeSpines: 0 } },
    ];

    it.each(projects)('$name parses and validates with no problems and the expected catalogue', ({ name, under, expected }) => {
      const folder = join(CORPORA, name);
      const { model, problems } = load(folder, join(folder, under));
      expect(codes(problems)).toEqual([]);
      expect(catalogue(model)).toEqual(expected);
    });

    it('resolves the tutorial refs to the default schema and its time spines', () => {
      const folder = join(CORPORA, 'metricflow', 'tutorial_project');
      const { model } = load(folder);
      expect(model.tables.map((table) => `${table.name}=${table.physical.schema}.${table.physical.table}`).sort()).toEqual([
        'countries=main.countries',
        'customers=main.customers',
        'demo_data_types=main.demo_data_types',
        'transactions=main.transactions',
      ]);
      expect(model.timeSpines.map((spine) => `${spine.physical.schema}.${spine.physical.table}.${spine.column}:${spine.granularity}`)).toEqual(['main.all_days.date_day:day', 'main.mf_time_spine.ds:day']);
      expect(model.relationships.map((relationship) => relationship.name).sort()).toEqual(['customers__country__countries', 'transactions__customer__customers']);
    });
  });
});
