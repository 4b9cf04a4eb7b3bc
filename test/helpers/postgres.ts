import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { expect, type TestContext } from 'vitest';

/**
 * The PostgreSQL test server: `STRATUM_PG_URL` (scripts/pg-test-server.sh start prints it; .ci/run
 * exports it). Without it the Postgres tests skip with this message on a laptop and fail in CI.
 * The URL connects as a superuser on purpose: the guard's claims must hold without a read-only role.
 */
export const PG_URL = process.env.STRATUM_PG_URL;
export const PG_MISSING =
  'No PostgreSQL test server: set STRATUM_PG_URL (run `scripts/pg-test-server.sh start` and export what it prints). The PostgreSQL tests are skipped.';

/** The body of each Postgres suite's first test: skip locally, fail in CI. */
export function expectPostgresServer(context: TestContext): void {
  if (!PG_URL && !process.env.CI) context.skip(PG_MISSING);
  expect(PG_URL, PG_MISSING).toBeTruthy();
}

const FIXTURE = fileURLToPath(new URL('../fixtures/postgres.sql', import.meta.url));

/** A direct superuser client, for setting up and checking state behind the connector's back. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL, application_name: 'stratum-test-admin' });
  await client.connect();
  return client;
}

/** Loads test/fixtures/postgres.sql unless the `shop` schema exists (the start script loads it already). */
export async function ensureShopSchema(): Promise<void> {
  const client = await adminClient();
  try {
    await client.query('SELECT pg_advisory_lock(4242)');
    const { rows } = await client.query<{ present: boolean }>(`SELECT to_regnamespace('shop') IS NOT NULL AS present`);
    if (!rows[0]!.present) await client.query(readFileSync(FIXTURE, 'utf8'));
  } finally {
    await client.end();
  }
}

/** The YAML flow mapping of a postgres datasource on the test server. */
export function postgresDatasource(extra = ''): string {
  return `{ type: postgres, url: ${JSON.stringify(PG_URL)}, schemas: [shop]${extra ? `, ${extra}` : ''} }`;
}
