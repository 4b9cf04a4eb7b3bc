import { resolve } from 'node:path';
import { configFromObject, findConfigFile, loadConfigFile, type StratumConfig } from './config/index.js';
import { AppContext } from './context.js';
import { StratumError } from './errors.js';
import { createLogger } from './logger.js';
import { SemanticRegistry, formatProblem } from './semantic/index.js';
import { validateSubagents } from './subagent-commands.js';

/**
 * `stratum validate [paths]`: checks the config, then every semantic model (and, for a workspace,
 * every subagent bundle), writing a report line by line (the CLI passes stdout; a server must
 * never). Each problem reads file:line:col.
 * Returns the exit code: 0 clean (warnings allowed), 1 when any model or subagent has errors.
 */
export async function validateWorkspace(paths: string[], configOption: string | undefined, print: (line: string) => void): Promise<number> {
  let config: StratumConfig;
  try {
    config = loadConfigFile(findConfigFile(configOption));
    print(`config OK: ${config.configPath} (${Object.keys(config.datasources).length} datasource(s), default "${config.defaultDatasource}")`);
  } catch (error) {
    // Checking loose model files needs no workspace; a broken config still fails.
    if (!(error instanceof StratumError && error.code === 'CONFIG_NOT_FOUND' && paths.length > 0)) throw error;
    config = configFromObject({ datasources: { none: { type: 'duckdb', path: ':memory:' } } }, process.cwd());
  }
  const context = new AppContext(config, createLogger('silent'));
  const settings = config.semantic_models;
  const registry = paths.length
    ? new SemanticRegistry({ paths: paths.map((path) => resolve(path)), refs: settings.refs, placeholders: settings.placeholders, defaultSchema: 'main', allowLocalPath: false })
    : context.semantic;
  const models = registry.list();
  let errors = 0;
  let warnings = 0;
  for (const model of models) {
    const catalogWarnings = config.configPath && !paths.length ? await registry.catalogWarnings(model).catch(() => []) : [];
    const problems = [...model.problems, ...catalogWarnings];
    const modelErrors = problems.filter((p) => p.severity === 'error').length;
    errors += modelErrors;
    warnings += problems.length - modelErrors;
    const counts = `${model.tables.length} tables, ${model.metrics.length} metrics, ${model.verifiedQueries.length} verified queries`;
    print(`${modelErrors ? 'FAIL' : 'ok  '} ${model.name} (${model.format}, ${counts}) ${model.path}`);
    for (const problem of problems) print(`  ${formatProblem(problem, process.cwd())}`);
  }
  if (models.length === 0) print(`No semantic models found under ${(paths.length ? paths : settings.paths).join(', ')}.`);
  print(`${models.length} model(s), ${errors} error(s), ${warnings} warning(s)`);
  // A workspace check covers its subagent bundles too (checked against these models and the catalog).
  if (config.configPath && !paths.length) errors += (await validateSubagents(context, print)).errors;
  await context.close();
  return errors > 0 ? 1 : 0;
}
