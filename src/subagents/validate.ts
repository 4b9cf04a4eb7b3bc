import type { CatalogTable } from '../connectors/index.js';
import { StratumError, closestNames, didYouMean, formatSuggestions } from '../errors.js';
import type { SemanticModel, SemanticProblem } from '../semantic/index.js';
import { tableMatcher } from './scope.js';
import type { LoadedSubagent } from './types.js';

/** What a bundle's names are checked against without touching a database. */
export interface SubagentEnvironment {
  toolNames: readonly string[];
  datasources: readonly string[];
  defaultDatasource: string;
  models: readonly SemanticModel[];
}

function problemAt(entry: LoadedSubagent, severity: SemanticProblem['severity'], code: string, message: string, hint: string | undefined, path: (string | number)[]): SemanticProblem {
  return { severity, code, message, ...(hint ? { hint } : {}), location: entry.locate(path) };
}

/** Unknown tools, datasource, semantic models and metrics (cheap: run whenever bundles load). */
export function checkReferences(entry: LoadedSubagent, environment: SubagentEnvironment): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const { bundle } = entry;
  const error = (code: string, message: string, hint: string | undefined, path: (string | number)[]) => problems.push(problemAt(entry, 'error', code, message, hint, path));
  bundle.tools.forEach((tool, index) => {
    if (!environment.toolNames.includes(tool)) error('unknown_tool', `Unknown tool "${tool}".${didYouMean(tool, environment.toolNames)}`, `Known tools: ${environment.toolNames.join(', ')}.`, ['tools', index]);
  });
  const datasource = bundle.scope.datasource;
  if (datasource !== undefined && !environment.datasources.includes(datasource)) {
    error('unknown_datasource', `Unknown datasource "${datasource}".${didYouMean(datasource, environment.datasources)}`, `Datasources in stratum.yaml: ${environment.datasources.join(', ')}.`, ['scope', 'datasource']);
  }
  const modelNames = environment.models.map((model) => model.name);
  const allowedModels: SemanticModel[] = [];
  (bundle.scope.semantic_models ?? []).forEach((name, index) => {
    const model = environment.models.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
    if (model) allowedModels.push(model);
    else error('unknown_semantic_model', `Unknown semantic model "${name}".${didYouMean(name, modelNames)}`, modelNames.length ? `Semantic models: ${modelNames.join(', ')}.` : 'No semantic models are configured (semantic_models.paths).', ['scope', 'semantic_models', index]);
  });
  if (bundle.scope.semantic_models?.length && datasource !== undefined && datasource !== environment.defaultDatasource) {
    problems.push(problemAt(entry, 'warning', 'models_on_other_datasource', `Semantic models describe the default datasource "${environment.defaultDatasource}", not "${datasource}".`, 'Scope the subagent to the default datasource, or drop semantic_models.', ['scope', 'semantic_models']));
  }
  const metricNames = (bundle.scope.semantic_models ? allowedModels : environment.models).flatMap((model) => model.metrics.map((metric) => metric.name));
  (bundle.scope.metrics ?? []).forEach((name, index) => {
    if (!metricNames.some((metric) => metric.toLowerCase() === name.toLowerCase())) {
      error('unknown_metric', `Unknown metric "${name}" in the subagent's semantic models.${didYouMean(name, metricNames)}`, undefined, ['scope', 'metrics', index]);
    }
  });
  if (!bundle.description) problems.push(problemAt(entry, 'warning', 'missing_description', 'The subagent has no description (clients show it next to the prompt).', 'Add a one-line `description`.', ['name']));
  return problems;
}

/**
 * Table patterns that match no table of the datasource, and examples whose SQL does not run inside
 * the scope (`checkSql` is the scope's own check; its refusal is reported at the example).
 */
export async function checkAgainstCatalog(
  entry: LoadedSubagent,
  tables: readonly CatalogTable[],
  defaultSchema: string,
  checkSql: (sql: string) => Promise<void>,
): Promise<SemanticProblem[]> {
  const problems: SemanticProblem[] = [];
  const names = tables.map((table) => table.name);
  (entry.bundle.scope.tables ?? []).forEach((pattern, index) => {
    const matches = tableMatcher([pattern], defaultSchema);
    if (!names.some(matches)) {
      const close = closestNames(pattern.includes('.') ? pattern : `${defaultSchema}.${pattern}`, names);
      problems.push(problemAt(entry, 'error', 'unknown_table', `Table pattern "${pattern}" matches no table of the datasource.${formatSuggestions(close)}`, 'Write schema.table names as list_tables shows them; * matches any run of characters.', ['scope', 'tables', index]));
    }
  });
  if (entry.bundle.scope.tables?.length === 0) problems.push(problemAt(entry, 'warning', 'no_tables', 'scope.tables is empty: the subagent may read no table.', 'List its tables, or remove the key to allow every table.', ['scope', 'tables']));
  for (const [index, example] of entry.bundle.examples.entries()) {
    if (!example.sql) continue;
    try {
      await checkSql(example.sql);
    } catch (error) {
      if (!(error instanceof StratumError)) throw error;
      problems.push(problemAt(entry, 'error', 'example_out_of_scope', `Example ${index + 1} ("${example.question}") does not run in the subagent's scope: ${error.message}`, error.hint, ['examples', index, 'sql']));
    }
  }
  return problems;
}
