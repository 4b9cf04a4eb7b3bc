import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES } from '../../src/semantic/sql/render.js';
import { tempDir } from '../helpers/fixture.js';
import { PG_URL, adminClient, expectPostgresServer } from '../helpers/postgres.js';
import { MISSING, duckdbCorpusEngine, expectedFailureDrift, passTable, present, readCaseList, rowsDiffer, runCorpus, sourceTables, type CaseOutcome, type CorpusEngine } from './metricflow-cases.js';

/**
 * MetricFlow's integration cases compiled for PostgreSQL and run on the test server, in a fresh
 * database holding the corpus tables in schema `main` (so the same models compile unchanged).
 * The Postgres failures are DuckDB's expected failures adjusted by metricflow-expected-failures-postgres.txt
 * (checked both ways), and every case both engines answer must give the same rows, except where an
 * engine's own approximation is the difference.
 */
const postgresDelta = readCaseList('metricflow-expected-failures-postgres.txt');
const expectedFailures = new Set([...readCaseList('metricflow-expected-failures.txt'), ...[...postgresDelta].filter((key) => !key.startsWith('!'))]);
for (const key of postgresDelta) if (key.startsWith('!')) expectedFailures.delete(key.slice(1));
/** DuckDB's approx_quantile against PostgreSQL's exact PERCENTILE_CONT. */
const ENGINE_DIFFERENCES = new Set(['itest_measure_aggregations/approximate_continuous_percentile_agg']);

const PG_TYPES: Record<string, string> = { VARCHAR: 'text', TIMESTAMP: 'timestamp', BIGINT: 'bigint', BOOLEAN: 'boolean', DOUBLE: 'double precision', INTEGER: 'integer', DATE: 'date' };
/** Dates and times stay the server's text, so no time zone of this process shifts them. */
const TEXT_TYPES = new Set([1082, 1083, 1114, 1184, 1266]);
const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (TEXT_TYPES.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig;

describe('MetricFlow integration cases on PostgreSQL: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
  it('has the corpus', (context) => {
    if (!present && !process.env.CI) context.skip(MISSING);
    expect(present, MISSING).toBe(true);
  });
});

describe.skipIf(!PG_URL || !present)('MetricFlow integration cases on PostgreSQL', () => {
  const database = `stratum_mf_${randomBytes(4).toString('hex')}`;
  let duckdb: Awaited<ReturnType<typeof duckdbCorpusEngine>>;
  let client: pg.Client;
  let onDuckdb = new Map<string, CaseOutcome>();
  let onPostgres = new Map<string, CaseOutcome>();

  beforeAll(async () => {
    duckdb = await duckdbCorpusEngine(tempDir('mf-corpus-pg'));
    const admin = await adminClient();
    await admin.query(`CREATE DATABASE ${database}`).finally(() => admin.end());
    const url = new URL(PG_URL!);
    url.pathname = `/${database}`;
    client = new pg.Client({ connectionString: url.toString(), types, application_name: 'stratum-mf-corpus' });
    await client.connect();
    await client.query(`CREATE SCHEMA main; SET search_path = main; SET statement_timeout = '30s'`);
    for (const table of sourceTables()) {
      await client.query(`CREATE TABLE main.${table.table_name} (${table.columns.map((column) => `"${column.name}" ${PG_TYPES[column.duckdb_type]}`).join(', ')})`);
      const reader = await duckdb.connection.runAndReadAll(`SELECT ${table.columns.map((column) => `CAST("${column.name}" AS VARCHAR)`).join(', ')} FROM main.${table.table_name}`);
      const rows = reader.getRows();
      const width = table.columns.length;
      for (let start = 0; start < rows.length; start += 500) {
        const batch = rows.slice(start, start + 500);
        const values = batch.map((_, row) => `(${table.columns.map((__, column) => `$${row * width + column + 1}`).join(', ')})`).join(', ');
        await client.query(`INSERT INTO main.${table.table_name} VALUES ${values}`, batch.flat() as unknown[]);
      }
    }
    const engine: CorpusEngine = {
      name: 'PostgreSQL',
      dialect: POSTGRES,
      async run(sql) {
        const result = await client.query({ text: sql, rowMode: 'array' });
        return { columns: result.fields.map((field) => field.name), rows: result.rows as unknown[][] };
      },
    };
    onPostgres = await runCorpus(engine);
    onDuckdb = await runCorpus(duckdb);
  }, 300_000);

  afterAll(async () => {
    duckdb?.close();
    await client?.end();
    const admin = await adminClient();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).finally(() => admin.end());
  });

  it('pass at least 90% of the runnable cases (pass table by feature file on stderr)', () => {
    const { text, passed } = passTable('PostgreSQL', onPostgres);
    process.stderr.write(text);
    expect(onPostgres.size).toBe(265);
    expect(passed / onPostgres.size).toBeGreaterThanOrEqual(0.9);
  });

  it('fail exactly the cases listed as expected failures for PostgreSQL', () => {
    expect(expectedFailureDrift(onPostgres, expectedFailures)).toEqual({ unexpected: [], nowPassing: [], unknown: [] });
  });

  it('give the same rows as DuckDB for every case both engines answer', () => {
    const answered = [...onPostgres].filter(([key, outcome]) => outcome.rows && onDuckdb.get(key)?.rows);
    const differ = answered.filter(([key, outcome]) => rowsDiffer(outcome.rows!, onDuckdb.get(key)!.rows!));
    process.stderr.write(`PostgreSQL and DuckDB: ${answered.length - differ.length} of ${answered.length} answered cases give the same rows\n`);
    expect(answered.length).toBeGreaterThanOrEqual(245);
    expect(differ.filter(([key]) => !ENGINE_DIFFERENCES.has(key)).map(([key, outcome]) => `${key}: ${rowsDiffer(outcome.rows!, onDuckdb.get(key)!.rows!)}`)).toEqual([]);
    expect(differ.map(([key]) => key)).toEqual([...ENGINE_DIFFERENCES]);
  });
});
