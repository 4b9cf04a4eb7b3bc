import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { findConfigFile, loadConfigFile } from './config/index.js';
import { AppContext } from './context.js';
import { StratumError } from './errors.js';
import { createLogger } from './logger.js';
import { subagentPromptContext } from './prompts/subagents.js';
import { formatProblem } from './semantic/index.js';
import { checkAgainstCatalog, createToolScope, renderSubagentPrompt, scaffoldSubagent, type LoadedSubagent } from './subagents/index.js';
import { TOOL_NAMES } from './tools/index.js';

async function withContext<T>(configOption: string | undefined, work: (context: AppContext) => Promise<T>): Promise<T> {
  const config = loadConfigFile(findConfigFile(configOption));
  const context = new AppContext(config, createLogger(process.env.STRATUM_LOG_LEVEL ?? 'warn'));
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}

/** Catalog checks of one bundle (table patterns, examples run inside the scope); none when its datasource is unknown. */
async function catalogProblems(context: AppContext, entry: LoadedSubagent) {
  const requested = entry.bundle.scope.datasource;
  if (requested !== undefined && !(requested in context.config.datasources)) return [];
  const datasource = context.datasourceName(requested);
  const defaultSchema = context.defaultSchema(datasource);
  try {
    const catalog = await context.catalog(datasource);
    const snapshot = await catalog.load();
    const scope = createToolScope(entry.bundle, { datasource, defaultSchema, catalog: async () => snapshot });
    const connector = await context.connector(datasource);
    return await checkAgainstCatalog(entry, snapshot.tables, defaultSchema, (sql) => scope.checkSql(sql, connector));
  } catch (error) {
    if (!(error instanceof StratumError)) throw error;
    return [{ severity: 'warning' as const, code: 'datasource_unavailable', message: `Tables and examples not checked: ${error.message}`, location: entry.locate(['scope']) }];
  }
}

/**
 * `stratum subagent add|list|show|validate`. Output goes through `write`, which the CLI owns
 * (stdout is the protocol channel when serving, so this module never touches it).
 */
export function registerSubagentCommands(program: Command, write: (text: string) => void): void {
  const subagent = program.command('subagent').description('Subagents: domain bundles served as MCP prompts and scoped servers');

  subagent
    .command('add')
    .description('Scaffold subagents/NAME.yaml with comments (refuses to overwrite)')
    .argument('<name>', 'subagent name (letters, digits, - and _)')
    .option('-c, --config <file>', 'path to stratum.yaml')
    .action(async (name: string, options: { config?: string }) => {
      if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name)) throw new StratumError('INVALID_ARGUMENT', `"${name}" is not a subagent name.`, 'Use letters, digits, - and _, starting with a letter.');
      await withContext(options.config, async (context) => {
        const existing = context.subagents.all().find((entry) => entry.bundle.name.toLowerCase() === name.toLowerCase());
        if (existing) throw new StratumError('INVALID_ARGUMENT', `Subagent "${name}" already exists in ${existing.bundle.file}.`, 'Edit that file, or pick another name.');
        const folder = resolve(context.config.subagents.paths[0] ?? './subagents');
        const file = join(folder, `${name}.yaml`);
        if (existsSync(file)) throw new StratumError('INVALID_ARGUMENT', `${file} already exists; not overwriting it.`, 'Pick another name or remove the file.');
        mkdirSync(folder, { recursive: true });
        writeFileSync(
          file,
          scaffoldSubagent(name, {
            datasource: context.config.defaultDatasource,
            defaultSchema: context.defaultSchema(),
            models: context.semantic.list().map((model) => model.name),
            tools: TOOL_NAMES,
          }),
          { flag: 'wx' },
        );
        write(`${file}\nNext: narrow scope.tables, then stratum subagent validate${options.config ? ` --config ${options.config}` : ''}\n`);
      });
    });

  subagent
    .command('list')
    .description('List the subagents with their tools and scope')
    .option('-c, --config <file>', 'path to stratum.yaml')
    .action(async (options: { config?: string }) => {
      await withContext(options.config, async (context) => {
        const entries = context.subagents.all();
        if (entries.length === 0) write(`No subagents under ${context.config.subagents.paths.join(', ')}. stratum subagent add NAME scaffolds one.\n`);
        for (const { bundle, problems } of entries) {
          const errors = problems.filter((problem) => problem.severity === 'error').length;
          write(
            `${bundle.name || '(unnamed)'}${errors ? ` [${errors} error(s): not served]` : ''}${bundle.description ? ` — ${bundle.description}` : ''}\n` +
              `  tools: ${bundle.tools.join(', ') || 'none'}\n` +
              `  scope: datasource ${bundle.scope.datasource ?? context.config.defaultDatasource}; tables ${bundle.scope.tables?.join(', ') ?? 'all'}; semantic models ${bundle.scope.semantic_models?.join(', ') ?? 'all'}${bundle.scope.metrics ? `; metrics ${bundle.scope.metrics.join(', ')}` : ''}\n` +
              `  file: ${relative(process.cwd(), bundle.file) || bundle.file}\n`,
          );
        }
      });
    });

  subagent
    .command('show')
    .description('Print a subagent as its MCP prompt renders it (instructions, rules, scope, specification, examples)')
    .argument('<name>', 'subagent name')
    .option('-c, --config <file>', 'path to stratum.yaml')
    .option('--question <text>', 'add a question, as prompts/get does')
    .action(async (name: string, options: { config?: string; question?: string }) => {
      await withContext(options.config, async (context) => {
        const scope = context.toolScope(name);
        const messages = renderSubagentPrompt(scope.subagent, await subagentPromptContext(context, scope, options.question));
        write(`${messages.map((message) => message.content.text).join('\n\n---\n\n')}\n`);
      });
    });

  subagent
    .command('validate')
    .description('Check every subagent: YAML, keys, tools, datasource, tables, semantic models, metrics, examples (file:line:col; exit 1 on errors)')
    .option('-c, --config <file>', 'path to stratum.yaml')
    .action(async (options: { config?: string }) => {
      process.exitCode = await withContext(options.config, async (context) => {
        const { errors } = await validateSubagents(context, (line) => write(`${line}\n`));
        return errors > 0 ? 1 : 0;
      });
    });
}

/**
 * Checks every subagent bundle (YAML, keys, tools, datasource, tables, models, metrics, examples),
 * printing one line per bundle and its problems as file:line:col; `stratum validate` and
 * `stratum subagent validate` both report through it.
 */
export async function validateSubagents(context: AppContext, print: (line: string) => void): Promise<{ count: number; errors: number; warnings: number }> {
  let errors = 0;
  let warnings = 0;
  const entries = context.subagents.all();
  for (const entry of entries) {
    const problems = [...entry.problems, ...(await catalogProblems(context, entry))];
    const bundleErrors = problems.filter((problem) => problem.severity === 'error').length;
    errors += bundleErrors;
    warnings += problems.length - bundleErrors;
    print(`${bundleErrors ? 'FAIL' : 'ok  '} ${entry.bundle.name || '(unnamed)'} ${relative(process.cwd(), entry.bundle.file) || entry.bundle.file}`);
    for (const problem of problems) print(`  ${formatProblem(problem, process.cwd())}`);
  }
  if (entries.length === 0) print(`No subagents found under ${context.config.subagents.paths.join(', ')}.`);
  print(`${entries.length} subagent(s), ${errors} error(s), ${warnings} warning(s)`);
  return { count: entries.length, errors, warnings };
}
