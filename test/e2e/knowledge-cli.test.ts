import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SqliteKnowledgeStore, parseCsv, type FeedbackRecord } from '../../src/knowledge/index.js';
import { SemanticRegistry } from '../../src/semantic/index.js';
import { CLI } from '../helpers/clients.js';
import { createShopDatabase, tempDir, writeConfig } from '../helpers/fixture.js';

const DEMO_MODELS = fileURLToPath(new URL('../../semantic_models/', import.meta.url));

function stratum(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('stratum feedback list, export and promote', () => {
  let dir: string;
  let config: string;
  let records: FeedbackRecord[];

  beforeAll(async () => {
    dir = tempDir();
    const { databasePath } = await createShopDatabase(dir);
    config = writeConfig(dir, databasePath);
    const store = new SqliteKnowledgeStore(join(dir, '.stratum', 'knowledge.db'));
    records = [
      (await store.addFeedback({ question: 'Revenue by channel in 2025', sql: 'SELECT channel, sum(line_total)\nFROM main.order_items GROUP BY 1', rating: 'up', kind: 'rating', datasource: 'shop' })).record,
      (await store.addFeedback({ question: 'Orders, "cancelled" ones', sql: 'SELECT 1', rating: 'down', kind: 'correction', correctedSql: "SELECT count(*) FROM orders WHERE status = 'cancelled'", comment: 'count, not 1' })).record,
      (await store.addFeedback({ comment: 'slow answer', rating: 'down', kind: 'issue' })).record,
    ];
    await store.close();
  });

  it('exports JSON lines carrying the ids record_feedback returned', () => {
    const run = stratum(['feedback', 'export', '--format', 'jsonl', '--config', config]);
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(lines.map((line) => line.id)).toEqual(records.map((record) => record.id));
    expect(lines[1]).toMatchObject({ rating: 'down', kind: 'correction', question: 'Orders, "cancelled" ones', corrected_sql: "SELECT count(*) FROM orders WHERE status = 'cancelled'", comment: 'count, not 1' });
  });

  it('exports CSV that round-trips quotes, commas and newlines', () => {
    const run = stratum(['feedback', 'export', '--format', 'csv', '--config', config, '--kind', 'rating']);
    const [header, ...rows] = parseCsv(run.stdout);
    expect(header!.slice(0, 6)).toEqual(['id', 'created_at', 'rating', 'kind', 'question', 'sql']);
    expect(rows).toHaveLength(1);
    expect(rows[0]![header!.indexOf('sql')]).toBe('SELECT channel, sum(line_total)\nFROM main.order_items GROUP BY 1');
  });

  it('lists feedback for engineers and refuses an export without a format', () => {
    const list = stratum(['feedback', 'list', '--config', config, '--rating', 'down']);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(records[2]!.id);
    expect(list.stdout).toContain('slow answer');
    expect(list.stdout.trimEnd().split('\n').at(-1)).toBe('2 feedback record(s)');
    const missing = stratum(['feedback', 'export', '--config', config]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("required option '--format <format>' not specified");
  });

  it('appends a promoted pair to a Cortex model, every other byte as written', () => {
    const models = join(dir, 'models');
    mkdirSync(models, { recursive: true });
    const file = join(models, 'retail_cortex.yaml');
    copyFileSync(join(DEMO_MODELS, 'retail_cortex.yaml'), file);
    const before = readFileSync(file, 'utf8');
    const run = stratum(['feedback', 'promote', records[0]!.id, '--to', file, '--config', config]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`Feedback ${records[0]!.id} added to the verified queries of ${file} as "revenue_by_channel_in_2025".\n`);
    const after = readFileSync(file, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toMatch(
      new RegExp(`^\\n  - name: revenue_by_channel_in_2025\\n    question: Revenue by channel in 2025\\n    sql: \\|-\\n      SELECT channel, sum\\(line_total\\)\\n      FROM main.order_items GROUP BY 1\\n    verified_at: \\d+\\n    verified_by: stratum feedback ${records[0]!.id}\\n    use_as_onboarding_question: false\\n$`),
    );
    const model = new SemanticRegistry({ paths: [models], refs: {}, placeholders: {}, defaultSchema: 'main', allowLocalPath: false }).get('retail');
    expect(model.verifiedQueries.at(-1)).toMatchObject({ name: 'revenue_by_channel_in_2025', question: 'Revenue by channel in 2025' });
    expect(model.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
  });

  it('writes a companion file for a MetricFlow model and leaves the model file alone', () => {
    const models = join(dir, 'mf');
    mkdirSync(models, { recursive: true });
    const file = join(models, 'retail.yml');
    copyFileSync(join(DEMO_MODELS, 'retail.yml'), file);
    const before = readFileSync(file, 'utf8');
    for (const record of [records[1]!, records[0]!]) expect(stratum(['feedback', 'promote', record.id, '--to', file, '--config', config]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const companion = join(models, 'retail.verified_queries.yaml');
    expect(existsSync(companion)).toBe(true);
    const entries = (parse(readFileSync(companion, 'utf8')) as { verified_queries: { name: string; sql: string }[] }).verified_queries;
    expect(entries.map((entry) => [entry.name, entry.sql])).toEqual([
      ['orders_cancelled_ones', "SELECT count(*) FROM orders WHERE status = 'cancelled'"],
      ['revenue_by_channel_in_2025', 'SELECT channel, sum(line_total)\nFROM main.order_items GROUP BY 1'],
    ]);
    const registry = new SemanticRegistry({ paths: [models], refs: {}, placeholders: {}, defaultSchema: 'main', allowLocalPath: false });
    expect(registry.list().map((model) => model.name)).toEqual(['retail']);
  });

  it('refuses to promote feedback without a right SQL', () => {
    const run = stratum(['feedback', 'promote', records[2]!.id, '--to', join(DEMO_MODELS, 'retail_cortex.yaml'), '--config', config]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`Feedback ${records[2]!.id} has no question`);
  });
});
