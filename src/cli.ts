#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { AppContext } from './context.js';
import { ConfigError, findConfigFile, loadConfigFile, type StratumConfig } from './config/index.js';
import { StratumError } from './errors.js';
import { createLogger } from './logger.js';
import { CLIENT_CONFIG_LOCATIONS, mcpClientConfig, type ClientName } from './mcp-config.js';
import { VERSION } from './version.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 bad config or usage. */
const EXIT_USAGE = 2;

function loadConfig(path: string | undefined): StratumConfig {
  return loadConfigFile(findConfigFile(path));
}

function parseNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number)) throw new InvalidArgumentError('not a number');
  return number;
}

const program = new Command()
  .name('stratum')
  .description('Stratum: a governed MCP server for data work (semantic models, schema linking, guarded SQL).')
  .version(VERSION)
  .showHelpAfterError();

program
  .command('serve', { isDefault: true })
  .description('Serve MCP over stdio (the default command)')
  .option('-c, --config <file>', 'path to stratum.yaml (default: ./stratum.yaml)')
  .option('--subagent <name>', 'serve only one subagent (its scope enforced)')
  .option('--http', 'serve Streamable HTTP instead of stdio')
  .option('--host <host>', 'HTTP bind address')
  .addOption(new Option('--port <port>', 'HTTP port').argParser(parseNumber))
  .action(async (options: { config?: string; subagent?: string; http?: boolean }) => {
    if (options.http) throw new StratumError('NOT_IMPLEMENTED', 'The HTTP transport is not available in this version yet.', 'Serve over stdio (omit --http).');
    if (options.subagent) throw new StratumError('NOT_IMPLEMENTED', 'Subagents are not available in this version yet.', 'Serve without --subagent.');
    const config = loadConfig(options.config);
    const logger = createLogger(process.env.STRATUM_LOG_LEVEL ?? config.log_level ?? 'info');
    const { runStdioServer } = await import('./transports/stdio.js');
    await runStdioServer(new AppContext(config, logger));
  });

program
  .command('init')
  .description('Create a demo workspace: stratum.yaml, a generated DuckDB retail database, semantic models and a subagent')
  .argument('[dir]', 'target directory', '.')
  .addOption(new Option('--scale <n>', 'data size; 1 = about 1M order items').argParser(parseNumber).default(1))
  .option('--force', 'overwrite an existing stratum.yaml and demo files')
  .option('-c, --config <file>', 'accepted for symmetry; init writes <dir>/stratum.yaml')
  .action(async (dir: string, options: { scale: number; force?: boolean }) => {
    const { createDemoWorkspace } = await import('./demo/workspace.js');
    const started = performance.now();
    const workspace = await createDemoWorkspace(dir, { scale: options.scale, force: options.force, onProgress: (step) => process.stderr.write(`  ${step}\n`) });
    const rows = Object.entries(workspace.generation.tables).map(([table, count]) => `${table}=${count.toLocaleString('en-US')}`);
    process.stderr.write(`Demo workspace ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${workspace.dir}\n  ${rows.join(', ')}\n`);
    process.stdout.write(`${workspace.configPath}\nNext: stratum mcp-config --client claude --config ${workspace.configPath}\n`);
  });

program
  .command('validate')
  .description('Check stratum.yaml and the semantic models (those under semantic_models.paths, or the given files and folders)')
  .argument('[paths...]', 'semantic model files or folders to check instead of the configured ones')
  .option('-c, --config <file>', 'path to stratum.yaml')
  .action(async (paths: string[], options: { config?: string }) => {
    const { validateWorkspace } = await import('./validate-command.js');
    process.exitCode = await validateWorkspace(paths, options.config, (line) => process.stdout.write(`${line}\n`));
  });

program
  .command('index')
  .description('Build or refresh the search index (schema linking) of every datasource, or of one')
  .option('-c, --config <file>', 'path to stratum.yaml')
  .option('--datasource <name>', 'only this datasource')
  .action(async (options: { config?: string; datasource?: string }) => {
    const config = loadConfig(options.config);
    const { indexDatasources } = await import('./index-command.js');
    const context = new AppContext(config, createLogger(process.env.STRATUM_LOG_LEVEL ?? config.log_level ?? 'warn'));
    try {
      await indexDatasources(context, options.datasource, process.stderr, (line) => process.stdout.write(`${line}\n`));
    } finally {
      await context.close();
    }
  });

program
  .command('mcp-config')
  .description('Print the JSON block to paste into an MCP client config')
  .addOption(new Option('--client <client>', 'which client').choices(['claude', 'cursor', 'vscode']).default('claude'))
  .option('-c, --config <file>', 'path to stratum.yaml')
  .option('--name <name>', 'server name in the client', 'stratum')
  .action((options: { client: ClientName; config?: string; name: string }) => {
    const config = loadConfig(options.config);
    process.stderr.write(`Paste into ${CLIENT_CONFIG_LOCATIONS[options.client]}:\n`);
    process.stdout.write(`${JSON.stringify(mcpClientConfig(options.client, config.configPath!, options.name), null, 2)}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof StratumError) {
    process.stderr.write(`stratum: ${error.toText()}\n`);
    process.exit(error instanceof ConfigError || error.code === 'CONFIG_NOT_FOUND' || error.code === 'INVALID_ARGUMENT' || error.code === 'NOT_IMPLEMENTED' ? EXIT_USAGE : 1);
  }
  process.stderr.write(`stratum: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
