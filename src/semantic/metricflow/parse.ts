import { closestNames } from '../../errors.js';
import type { LogicalTable, Metric, ParseOptions, SavedQuery, SemanticModel, SemanticProblem, TimeSpine } from '../ir.js';
import { withLocation } from '../validate.js';
import { parseYamlFile } from '../yaml.js';
import { readMetric, type GranularityCheck, type ParsedMetric } from './metric.js';
import { readDbtModelTimeSpines, readProjectConfiguration, readSavedQuery } from './project.js';
import { ParseContext, YamlValue } from './reader.js';
import { deriveRelationships } from './relationships.js';
import { readSemanticModel } from './semantic-model.js';

/** dbt project style: lists in a properties file. */
const PROJECT_KEYS = ['semantic_models', 'metrics', 'saved_queries'] as const;
/** Manifest style: one object per YAML document. */
const MANIFEST_KEYS = ['semantic_model', 'metric', 'saved_query', 'project_configuration'] as const;
/** Other keys of a dbt properties file: dbt's business, not ours. */
const DBT_PROPERTY_KEYS = ['version', 'models', 'sources', 'seeds', 'snapshots', 'macros', 'exposures', 'analyses', 'groups', 'unit_tests', 'data_tests', 'tests', 'functions'];
const KNOWN_TOP_LEVEL = [...PROJECT_KEYS, ...MANIFEST_KEYS, ...DBT_PROPERTY_KEYS];

/** True for a YAML document that defines MetricFlow objects, in either the dbt project or the manifest style. */
export function isMetricFlowDocument(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return [...PROJECT_KEYS, ...MANIFEST_KEYS].some((key) => key in value);
}

export interface MetricFlowSourceFile {
  path: string;
  text: string;
  /** Set when the file could not be read; reported as a problem. */
  error?: string;
}

/**
 * Reads MetricFlow YAML (dbt project files, manifest documents, or a mix) into one semantic model.
 * Never throws for bad input: every problem is collected, with its file, line and column.
 */
export function parseMetricFlow(files: MetricFlowSourceFile[], model: { name: string; path: string }, options: ParseOptions): SemanticModel {
  const context = new ParseContext(options, model.path);
  const tables: LogicalTable[] = [];
  const parsedMetrics: ParsedMetric[] = [];
  const metrics: Metric[] = [];
  const savedQueries: SavedQuery[] = [];
  const timeSpines: TimeSpine[] = [];
  const customGranularities = new Set<string>();
  const checks: GranularityCheck[] = [];

  const addSemanticModel = (node: YamlValue) => {
    const parsed = readSemanticModel(node);
    if (!parsed) return;
    tables.push(parsed.table);
    metrics.push(...parsed.metrics);
  };
  const addMetric = (node: YamlValue) => {
    const parsed = readMetric(node, checks);
    if (!parsed) return;
    parsedMetrics.push(parsed);
    metrics.push(parsed.metric);
  };
  const addSavedQuery = (node: YamlValue) => {
    const parsed = readSavedQuery(node);
    if (parsed) savedQueries.push(parsed);
  };
  const addTimeSpines = (spines: TimeSpine[]) => {
    for (const spine of spines) {
      timeSpines.push(spine);
      for (const custom of spine.customGranularities) customGranularities.add(custom.name.toLowerCase());
    }
  };

  for (const file of files) {
    if (file.error !== undefined) {
      context.error('unreadable_file', `Cannot read ${file.path}: ${file.error}`, { file: file.path, line: 1, column: 1 }, 'Check that the file exists and is readable.');
      continue;
    }
    const parsed = parseYamlFile(file.path, file.text);
    context.problems.push(...parsed.problems);
    for (const document of parsed.documents) {
      const root = new YamlValue(context, document, [], document.value);
      if (!isMetricFlowDocument(document.value)) {
        // A dbt properties file without semantic objects may still declare the time spine model.
        const models = root.get('models');
        if (models && Array.isArray(models.value)) addTimeSpines(readDbtModelTimeSpines(models));
        warnAboutMisspelledKeys(context, root);
        continue;
      }
      for (const key of root.keys()) {
        const child = root.get(key);
        if (!child) continue;
        switch (key) {
          case 'semantic_model':
            addSemanticModel(child);
            break;
          case 'metric':
            addMetric(child);
            break;
          case 'saved_query':
            addSavedQuery(child);
            break;
          case 'project_configuration':
            addTimeSpines(readProjectConfiguration(child).timeSpines);
            break;
          case 'semantic_models':
            root.list(key, 'the file').forEach(addSemanticModel);
            break;
          case 'metrics':
            root.list(key, 'the file').forEach(addMetric);
            break;
          case 'saved_queries':
            root.list(key, 'the file').forEach(addSavedQuery);
            break;
          case 'models':
            if (Array.isArray(child.value)) addTimeSpines(readDbtModelTimeSpines(child));
            break;
          default:
            if (!DBT_PROPERTY_KEYS.includes(key)) {
              context.warning('unknown_key', `Unknown top-level key "${key}"`, root.keyAt(key), `MetricFlow files hold ${[...PROJECT_KEYS, ...MANIFEST_KEYS].join(', ')}.`, closestNames(key, KNOWN_TOP_LEVEL));
            }
        }
      }
    }
  }

  attachOwnMeasures(context, parsedMetrics, tables);
  resolveMetricInputs(context, parsedMetrics, metrics);
  for (const check of checks) check(customGranularities);

  return {
    name: model.name,
    format: 'metricflow',
    path: model.path,
    files: files.map((file) => file.path),
    tables,
    metrics,
    relationships: deriveRelationships(tables),
    filters: [],
    verifiedQueries: [],
    savedQueries,
    timeSpines,
    problems: inFileOrder(context.problems, files.map((file) => file.path)),
  };
}

/** `semantic_modles:` would otherwise make a whole document silently not MetricFlow. */
function warnAboutMisspelledKeys(context: ParseContext, root: YamlValue): void {
  const semanticKeys = [...PROJECT_KEYS, ...MANIFEST_KEYS];
  for (const key of root.keys()) {
    if (KNOWN_TOP_LEVEL.includes(key)) continue;
    const close = closestNames(key, semanticKeys);
    if (close.length === 0) continue;
    context.warning('unknown_key', `Unknown top-level key "${key}"`, root.keyAt(key), `MetricFlow files hold ${semanticKeys.join(', ')}; this document is not read.`, close);
  }
}

/** Measure-less metrics: their aggregation becomes a measure of the semantic model they name. */
function attachOwnMeasures(context: ParseContext, parsedMetrics: ParsedMetric[], tables: LogicalTable[]): void {
  for (const { metric, ownMeasure } of parsedMetrics) {
    if (!ownMeasure) continue;
    const table = tables.find((candidate) => candidate.name === ownMeasure.table);
    if (table) {
      table.measures.push(ownMeasure.measure);
      continue;
    }
    context.error(
      'unknown_semantic_model',
      `Unknown semantic model "${ownMeasure.table}" in metric "${metric.name}"`,
      ownMeasure.tableLocation,
      `metric_aggregation_params.semantic_model names the semantic model the metric aggregates. Known: ${tables.map((candidate) => candidate.name).join(', ') || '(none)'}.`,
      closestNames(ownMeasure.table, tables.map((candidate) => candidate.name)),
    );
  }
}

/**
 * `cumulative_type_params.metric` and conversion `base_metric`/`conversion_metric` name a simple metric;
 * the IR wants its measure, so the reference takes the simple metric's measure and filters.
 */
function resolveMetricInputs(context: ParseContext, parsedMetrics: ParsedMetric[], metrics: Metric[]): void {
  const byName = new Map(metrics.map((metric) => [metric.name, metric]));
  for (const input of parsedMetrics.flatMap((parsed) => parsed.metricInputs)) {
    const target = byName.get(input.metric);
    if (!target) {
      // Unknown: left to the validator, which reports the unknown measure with suggestions.
      input.assign(withLocation({ name: input.metric, filter: input.filter }, input.location));
      continue;
    }
    if (target.type !== 'simple') {
      context.error(
        'invalid_metric_input',
        `Metric "${input.metric}" used by ${input.owner} is a ${target.type} metric; only a simple metric can be used here`,
        input.location,
        'Accumulate or convert a simple metric (one measure or one aggregation).',
      );
      input.assign(withLocation({ name: input.metric, filter: input.filter }, input.location));
      continue;
    }
    const { measure } = target;
    const fillNullsWith = measure.fillNullsWith ?? target.fillNullsWith;
    const joinToTimespine = measure.joinToTimespine ?? target.joinToTimespine;
    input.assign(
      withLocation(
        {
          name: measure.name,
          filter: [...target.filter, ...measure.filter, ...input.filter],
          ...(fillNullsWith !== undefined ? { fillNullsWith } : {}),
          ...(joinToTimespine !== undefined ? { joinToTimespine } : {}),
        },
        input.location,
      ),
    );
  }
}

/** Problems in reading order: by file as given, then line and column. */
function inFileOrder(problems: SemanticProblem[], files: string[]): SemanticProblem[] {
  const rank = (problem: SemanticProblem) => (problem.location ? files.indexOf(problem.location.file) : -1);
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => {
      const x = a.problem.location;
      const y = b.problem.location;
      return rank(a.problem) - rank(b.problem) || (x && y ? x.line - y.line || x.column - y.column : 0) || a.index - b.index;
    })
    .map(({ problem }) => problem);
}
