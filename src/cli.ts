#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { AppContext } from './context.js';
import { ConfigError, findConfigFile, loadConfigFile, type StratumConfig } from './config/index.js';
import { StratumError } from './errors.js';
import { registerKnowledgeCommands } from './knowledge-commands.js';
import { registerSubagentCommands } from './subagent-commands.js';
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
  .description('Serve MCP over stdio (the default command), or over HTTP with --http')
  .option('-c, --config <file>', 'path to stratum.yaml (default: ./stratum.yaml)')
  .option('--subagent <name>', 'serve only one subagent (its scope enforced)')
  .option('--http', 'serve Streamable HTTP (/mcp) and legacy SSE (/sse) instead of stdio')
  .option('--host <host>', 'HTTP bind address (default: server.http.host, 127.0.0.1)')
  .addOption(new Option('--port <port>', 'HTTP port').argParser(parseNumber))
  .action(async (options: { config?: string; subagent?: string; http?: boolean; host?: string; port?: number }) => {
    const config = loadConfig(options.config);
    const logger = createLogger(process.env.STRATUM_LOG_LEVEL ?? config.log_level ?? 'info');
    if (options.http) {
      const { resolveHttpSettings, runHttpServer, subagentScope } = await import('./transports/http.js');
      const settings = resolveHttpSettings(config, { host: options.host, port: options.port });
      const context = new AppContext(config, logger);
      await runHttpServer(context, settings, options.subagent ? subagentScope(context, options.subagent) : undefined);
      return;
    }
    const { runStdioServer } = await import('./transports/stdio.js');
    await runStdioServer(new AppContext(config, logger), options.subagent);
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

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];

program
  .command('query')
  .description('Compile a metric query over a semantic model and run it (or print the SQL)')
  .option('-c, --config <file>', 'path to stratum.yaml')
  .option('--metrics <names>', 'metric names, comma separated', list)
  .option('--group-by <items>', 'entity__dimension, metric_time__month, ... (comma separated)', list)
  .option('--where <filter>', 'a filter; repeat for several', (value: string, previous: string[] = []) => [...previous, value])
  .option('--order-by <items>', 'output names, -name for descending (comma separated)', list)
  .addOption(new Option('--limit <n>', 'rows').argParser(parseNumber))
  .option('--start-time <time>', 'inclusive lower bound on metric_time')
  .option('--end-time <time>', 'inclusive upper bound on metric_time')
  .option('--saved-query <name>', 'run a saved query')
  .option('--semantic-model <name>', 'model name (default: the first)')
  .option('--sql-only', 'print the SQL without running it')
  .action(async (options: { config?: string; metrics?: string[]; groupBy?: string[]; where?: string[]; orderBy?: string[]; limit?: number; startTime?: string; endTime?: string; savedQuery?: string; semanticModel?: string; sqlOnly?: boolean }) => {
    const config = loadConfig(options.config);
    const context = new AppContext(config, createLogger(process.env.STRATUM_LOG_LEVEL ?? 'warn'));
    try {
      const { generateSql } = await import('./generation/index.js');
      const generated = await generateSql({ semantic: context.semantic, connector: () => context.connector() }, {
        ...(options.metrics ? { metrics: options.metrics } : {}),
        ...(options.groupBy ? { groupBy: options.groupBy } : {}),
        ...(options.where ? { where: options.where } : {}),
        ...(options.orderBy ? { orderBy: options.orderBy } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.startTime ? { startTime: options.startTime } : {}),
        ...(options.endTime ? { endTime: options.endTime } : {}),
        ...(options.savedQuery ? { savedQuery: options.savedQuery } : {}),
        ...(options.semanticModel ? { semanticModel: options.semanticModel } : {}),
      });
      if (options.sqlOnly) {
        process.stdout.write(`${generated.sql}\n`);
        return;
      }
      const { renderTable } = await import('./tools/render.js');
      const connector = await context.connector();
      const result = await connector.execute(generated.sql!, { maxRows: config.limits.max_rows, maxChars: config.limits.max_chars, timeoutMs: config.limits.timeout_ms });
      process.stdout.write(`${renderTable(result.columns.map((column) => column.name), result.rows)}\n`);
      process.stderr.write(`${result.rowCount} row${result.rowCount === 1 ? '' : 's'}${result.truncated ? ' (truncated)' : ''} in ${result.elapsedMs} ms\n${result.warning ? `Warning: ${result.warning}\n` : ''}`);
    } finally {
      await context.close();
    }
  });
registerKnowledgeCommands(program, (text) => process.stdout.write(text));
registerSubagentCommands(program, (text) => process.stdout.write(text));

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
    process.exit(error instanceof ConfigError || error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_NOT_FOUND' || error.code === 'INVALID_ARGUMENT' || error.code === 'NOT_IMPLEMENTED' || error.code === 'SUBAGENT_UNKNOWN' || error.code === 'SUBAGENT_INVALID' ? EXIT_USAGE : 1);
  }
  process.stderr.write(`stratum: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
