import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SqliteKnowledgeStore } from '../../src/knowledge/index.js';
import { CLI } from '../helpers/clients.js';
import { tempDir } from '../helpers/fixture.js';

const corpora = process.env.STRATUM_CORPORA ?? fileURLToPath(new URL('../../../shared/corpora/', import.meta.url));
const datus = join(corpora, 'datus');
const schools = join(datus, 'sample_data', 'california_schools');
const present = existsSync(join(schools, 'reference_sql')) && existsSync(join(datus, 'mf_demo', 'duck.db'));

describe.runIf(!present && !!process.env.CI)('history import corpora', () => {
  it('are present', () => {
    throw new Error(`Datus sample data not found under ${datus}. Set STRATUM_CORPORA to the shared corpora folder.`);
  });
});

describe.skipIf(!present)('stratum history import on the Datus sample data', () => {
  it('imports reference SQL and success stories with their questions and tables, and de-duplicates by fingerprint', async () => {
    const dir = tempDir();
    const config = join(dir, 'stratum.yaml');
    // The mf_demo database is the datasource: its success stories bind there; the BIRD schools SQL does not, so DuckDB's parser reads it.
    writeFileSync(config, `datasources:\n  mf_demo: { type: duckdb, path: ${JSON.stringify(join(datus, 'mf_demo', 'duck.db'))} }\n`);
    const sources = [join(schools, 'reference_sql'), join(schools, 'success_story.csv'), join(datus, 'benchmark', 'semantic_layer', 'success_story.csv')];
    const run = spawnSync(process.execPath, [CLI, 'history', 'import', ...sources, '--config', config], { encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Imported 26 statement\(s\) from 5 file\(s\) in [\d.]+ s into .*knowledge\.db: 24 new, 2 already known \(same fingerprint\)\.\n/);
    expect(run.stdout).toContain("Tables read by the mf_demo connector: 12, by DuckDB's parser: 14, by FROM/JOIN scan: 0; no table found: 0.");

    const store = new SqliteKnowledgeStore(join(dir, '.stratum', 'knowledge.db'));
    const history = await store.listHistory();
    await store.close();
    const view = (file: string) =>
      history.filter((entry) => entry.sourceFile!.endsWith(file)).map((entry) => ({ line: entry.sourceLine, tables: entry.tables, method: entry.tablesMethod, count: entry.count, question: entry.question }));
    expect(view('/california_schools_1.sql')).toEqual([
      { line: 3, tables: ['main.frpm'], method: 'duckdb_parser', count: 2, question: 'Please list the lowest three eligible free rates for students aged 5-17 in continuation schools.' },
    ]);
    expect(history.find((entry) => entry.sourceFile!.endsWith('california_schools_1.sql'))!.note).toBe('Eligible free rates for students aged 5-17 = `Free Meal Count (Ages 5-17)` / `Enrollment (Ages 5-17)`');
    expect(view('california_schools_2.sql').map((entry) => entry.tables)).toEqual([['main.frpm', 'main.schools']]);
    expect(view('/schools_1.sql').map((entry) => [entry.line, entry.tables.join(' ')])).toEqual([
      [2, 'main.frpm main.satscores'],
      [5, 'main.frpm main.schools'],
      [8, 'main.frpm main.satscores'],
      [11, 'main.satscores main.schools'],
      [13, 'main.frpm main.schools'],
      [15, 'main.satscores main.schools'],
      [17, 'main.satscores main.schools'],
      [20, 'main.satscores main.schools'],
      [22, 'main.frpm main.satscores'],
      [24, 'main.satscores main.schools'],
    ]);
    const stories = view('semantic_layer/success_story.csv');
    expect(stories).toHaveLength(12);
    expect(stories.every((entry) => entry.method === 'connector')).toBe(true);
    expect(stories.map((entry) => entry.tables.join(' '))).toEqual(['mf_demo.mf_demo_customers', ...Array(11).fill('mf_demo.mf_demo_transactions')]);
    expect(stories[0]!.question).toBe('How many customers have been added per day?');

    const again = spawnSync(process.execPath, [CLI, 'history', 'import', sources[0]!, '--config', config], { encoding: 'utf8', timeout: 120_000 });
    expect(again.stdout).toContain('Imported 12 statement(s) from 3 file(s)');
    expect(again.stdout).toContain(': 0 new, 12 already known (same fingerprint).');
  });
});
