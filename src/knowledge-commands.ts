import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { findConfigFile, loadConfigFile } from './config/index.js';
import { AppContext } from './context.js';
import { StratumError } from './errors.js';
import type { FeedbackFilter, FeedbackKind, Knowledge, Rating } from './knowledge/index.js';
import { createLogger } from './logger.js';

type KnowledgeModule = typeof import('./knowledge/index.js');

/** Runs a command against the workspace's knowledge store, closing everything afterwards. The store code loads only here. */
async function withKnowledge<T>(configOption: string | undefined, work: (knowledge: Knowledge, context: AppContext, module: KnowledgeModule) => Promise<T>): Promise<T> {
  const config = loadConfigFile(findConfigFile(configOption));
  const context = new AppContext(config, createLogger(process.env.STRATUM_LOG_LEVEL ?? 'warn'));
  try {
    return await work(await context.knowledge(), context, await import('./knowledge/index.js'));
  } finally {
    await context.close();
  }
}

const progressLine = (text: string) => process.stderr.write(text);

/**
 * `stratum history import` and `stratum feedback list|export|promote`. Results go through `write`,
 * which the CLI owns (stdout is the protocol channel when serving, so this module never touches it).
 */
export function registerKnowledgeCommands(program: Command, write: (text: string) => void): void {
  const history = program.command('history').description('SQL history in the knowledge store');
  history
    .command('import')
    .description('Import SQL history: .sql files (the comment above each statement is its question), question,sql .csv files, or folders of them')
    .argument('<paths...>', '.sql / .csv files or folders')
    .option('-c, --config <file>', 'path to stratum.yaml')
    .option('--datasource <name>', 'datasource the statements ran on (tables are read with its engine); the default one otherwise')
    .action(async (paths: string[], options: { config?: string; datasource?: string }) => {
      await withKnowledge(options.config, async (knowledge, context, { importHistory }) => {
        const datasource = context.datasourceName(options.datasource);
        const started = performance.now();
        let shown = false;
        const report = await importHistory(
          paths.map((path) => resolve(path)),
          {
            store: knowledge.store,
            tables: await knowledge.tableExtractor(datasource),
            datasource,
            onProgress: (done, total) => {
              if (total < 1000) return;
              shown = true;
              progressLine(`\r  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} statements`);
            },
          },
        );
        if (shown) progressLine('\n');
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        write(
          `Imported ${report.statements} statement(s) from ${report.files} file(s) in ${seconds} s into ${knowledge.store.location}: ` +
            `${report.inserted} new, ${report.merged} already known (same fingerprint).\n` +
            `Tables read by the ${datasource} connector: ${report.tablesBy.connector}, by DuckDB's parser: ${report.tablesBy.duckdb_parser}, by FROM/JOIN scan: ${report.tablesBy.regex}; no table found: ${report.withoutTables}.\n`,
        );
      });
    });

  const feedback = program.command('feedback').description('Feedback recorded by record_feedback, for engineers');
  const filters = (command: Command) =>
    command
      .option('-c, --config <file>', 'path to stratum.yaml')
      .addOption(new Option('--kind <kind>', 'only this kind').choices(['success_story', 'issue', 'correction', 'rating']))
      .addOption(new Option('--rating <rating>', 'only this rating').choices(['up', 'down']))
      .option('--subagent <name>', 'only feedback on this subagent')
      .option('--since <iso-date>', 'only feedback recorded at or after this time')
      .addOption(new Option('--limit <n>', 'at most this many').argParser((value) => Number.parseInt(value, 10)));
  type FilterOptions = { config?: string; kind?: FeedbackKind; rating?: Rating; subagent?: string; since?: string; limit?: number };
  const filterOf = (options: FilterOptions): FeedbackFilter => ({
    ...(options.kind ? { kind: options.kind } : {}),
    ...(options.rating ? { rating: options.rating } : {}),
    ...(options.subagent ? { subagent: options.subagent } : {}),
    ...(options.since ? { since: new Date(options.since).toISOString() } : {}),
    ...(options.limit ? { limit: options.limit } : {}),
  });

  filters(feedback.command('list').description('List feedback, oldest first'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'jsonl']).default('table'))
    .action(async (options: FilterOptions & { format: 'table' | 'csv' | 'jsonl' }) => {
      await withKnowledge(options.config, async (knowledge, _context, { feedbackCsv, feedbackJsonl }) => {
        const records = await knowledge.store.listFeedback(filterOf(options));
        if (options.format === 'csv') return write(feedbackCsv(records));
        if (options.format === 'jsonl') return write(feedbackJsonl(records));
        const clip = (text: string | undefined, width: number) => {
          const flat = (text ?? '').replace(/\s+/g, ' ');
          return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
        };
        for (const record of records) {
          write(`${record.id}  ${record.createdAt.slice(0, 19)}  ${record.rating.padEnd(4)}  ${record.kind.padEnd(13)}  ${(record.outcome ?? '').padEnd(12)}  ${clip(record.question ?? record.comment, 70)}\n`);
        }
        write(`${records.length} feedback record(s)\n`);
      });
    });

  filters(feedback.command('export').description('Export feedback as CSV or JSON lines (each with the id record_feedback returned)'))
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).makeOptionMandatory())
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(async (options: FilterOptions & { format: 'csv' | 'jsonl'; out?: string }) => {
      await withKnowledge(options.config, async (knowledge, _context, { feedbackCsv, feedbackJsonl }) => {
        const records = await knowledge.store.listFeedback(filterOf(options));
        const text = options.format === 'csv' ? feedbackCsv(records) : feedbackJsonl(records);
        if (!options.out) return write(text);
        writeFileSync(options.out, text);
        progressLine(`${records.length} feedback record(s) written to ${resolve(options.out)}\n`);
      });
    });

  feedback
    .command('promote')
    .description("Append a feedback record's question and SQL to a semantic model's verified queries (a Cortex file, or a MetricFlow model's companion file)")
    .argument('<id>', 'feedback id (from record_feedback or feedback list)')
    .requiredOption('--to <file>', 'the semantic model YAML file')
    .option('-c, --config <file>', 'path to stratum.yaml')
    .action(async (id: string, options: { to: string; config?: string }) => {
      await withKnowledge(options.config, async (knowledge, _context, { promoteFeedback }) => {
        const record = await knowledge.store.getFeedback(id);
        if (!record) throw new StratumError('INVALID_ARGUMENT', `No feedback with id ${id}.`, 'List ids with `stratum feedback list`.');
        const promoted = promoteFeedback(record, resolve(options.to));
        await knowledge.promoted(record);
        write(`Feedback ${id} added to the verified queries of ${promoted.file} as "${promoted.name}".\n`);
      });
    });
}
