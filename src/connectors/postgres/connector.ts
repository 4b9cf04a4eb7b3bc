import pg from 'pg';
import type { FieldDef, PoolClient } from 'pg';
import type { PostgresDatasourceConfig } from '../../config/index.js';
import { StratumError } from '../../errors.js';
import { logger } from '../../logger.js';
import { ResultBudget } from '../budget.js';
import { quoteIdent, splitTableName } from '../names.js';
import type { CatalogSnapshot, Connector, ExecuteOptions, ExplainResult, JsonValue, QueryResult, StatementReads } from '../types.js';
import { translatePostgresError } from './errors.js';
import { beginReadOnly, classify, openPortal } from './guard.js';
import { introspectPostgres } from './introspect.js';
import { planRelations } from './plan.js';
import { FetchRows, queryExtended } from './portal.js';
import { PostgresTypes } from './values.js';

const PORTAL = 'stratum_result';
/** Rows per fetch: enough to amortise the round trip, few enough that a cut result costs little. */
const FETCH_ROWS = 1000;
/** Catalog reads and samples are ours, not the user's, but get a bound too. */
const INTERNAL_TIMEOUT_MS = 30_000;
/** After a cancel request, how long the statement gets to stop before its connection is dropped. */
const CANCEL_GRACE_MS = 2_000;

/** node-postgres settings from the datasource config: `url`, or discrete fields, and a small pool. */
export function poolConfig(config: PostgresDatasourceConfig): pg.PoolConfig {
  return {
    ...(config.url ? { connectionString: config.url } : {}),
    ...(config.host ? { host: config.host } : {}),
    ...(config.port ? { port: config.port } : {}),
    ...(config.database ? { database: config.database } : {}),
    ...(config.user ? { user: config.user } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
    max: config.pool_size ?? 4,
    application_name: 'stratum',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
  };
}

type RawQuery = { fields: FieldDef[]; rows: (string | null)[][] };

export class PostgresConnector implements Connector {
  readonly dialect = 'postgres' as const;
  private pool: pg.Pool | undefined;
  private readonly types = new PostgresTypes();

  constructor(
    readonly name: string,
    private readonly config: PostgresDatasourceConfig,
  ) {}

  private connect(): Promise<PoolClient> {
    if (!this.pool) {
      this.pool = new pg.Pool(poolConfig(this.config));
      // An idle client losing its server (restart, network) must not take the process down.
      this.pool.on('error', (error) => logger.warn({ datasource: this.name, err: error.message }, 'idle PostgreSQL connection failed'));
    }
    return this.pool.connect().catch((error: unknown) => {
      throw translatePostgresError(error, this.name);
    });
  }

  /**
   * One read-only transaction on a pooled connection, rolled back afterwards. Timeout and abort
   * cancel the running statement with pg_cancel_backend from a second connection; a connection
   * that was cancelled is dropped rather than returned to the pool, so a late cancel can never hit
   * another call's statement.
   */
  private async readOnly<T>(timeoutMs: number, signal: AbortSignal | undefined, work: (client: PoolClient) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw cancelled();
    const client = await this.connect();
    if (signal?.aborted) {
      client.release();
      throw cancelled();
    }
    const stop = this.interruptOn(client, timeoutMs, signal);
    try {
      await beginReadOnly(client, timeoutMs);
      // Aborted while the transaction opened: the statement is not started at all.
      stop.check();
      const result = await work(client);
      stop.check();
      return result;
    } catch (error) {
      if ((error as { code?: string }).code === '57014' && /statement timeout/.test((error as Error).message)) stop.timedOut();
      stop.check();
      throw translatePostgresError(error, this.name);
    } finally {
      stop.dispose();
      // The caller does not wait for the ROLLBACK; the connection goes back to the pool after it.
      // An interrupted connection is dropped, and its backend terminated: a cancel that arrived
      // before the statement started is lost, and a backend computing without sending rows does
      // not notice the dropped socket.
      if (stop.fired()) {
        const pid = (client as PoolClient & { processID?: number }).processID;
        if (pid) this.signalBackend('pg_terminate_backend', pid);
        client.release(true);
      }
      else void client.query('ROLLBACK').then(() => client.release(), () => client.release(true));
    }
  }

  private interruptOn(client: PoolClient, timeoutMs: number, signal: AbortSignal | undefined) {
    let reason: 'timeout' | 'cancelled' | undefined;
    let dropTimer: NodeJS.Timeout | undefined;
    const interrupt = (why: 'timeout' | 'cancelled') => {
      if (reason) return;
      reason = why;
      const pid = (client as PoolClient & { processID?: number }).processID;
      if (pid) this.signalBackend('pg_cancel_backend', pid);
      // A server that does not answer the cancel (network gone) still must not hang the call.
      dropTimer = setTimeout(() => (client as PoolClient & { connection?: { stream: { destroy(): void } } }).connection?.stream.destroy(), CANCEL_GRACE_MS);
    };
    // The server's statement_timeout normally fires first; this bounds the whole call (connect,
    // classification, every fetch) and a server that stopped answering.
    const timer = setTimeout(() => interrupt('timeout'), timeoutMs + 100);
    const onAbort = () => interrupt('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    return {
      fired: () => reason !== undefined,
      timedOut: () => (reason ??= 'timeout'),
      check() {
        if (reason === 'timeout') {
          throw new StratumError('QUERY_TIMEOUT', `The query was stopped after ${timeoutMs} ms (limits.timeout_ms).`, 'Filter earlier, aggregate, or add a LIMIT; ask an operator to raise limits.timeout_ms if the query really needs longer.');
        }
        if (reason === 'cancelled') throw cancelled();
      },
      dispose() {
        clearTimeout(timer);
        clearTimeout(dropTimer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  /** pg_cancel_backend (or pg_terminate_backend) through a second, short-lived connection. */
  private signalBackend(fn: 'pg_cancel_backend' | 'pg_terminate_backend', pid: number): void {
    const canceller = new pg.Client({ ...poolConfig(this.config), application_name: 'stratum-cancel' });
    canceller
      .connect()
      .then(() => canceller.query(`SELECT ${fn}($1)`, [pid]))
      .catch((error: unknown) => logger.warn({ datasource: this.name, pid, err: (error as Error).message }, 'could not cancel a PostgreSQL statement'))
      .finally(() => void canceller.end().catch(() => undefined));
  }

  async introspect(): Promise<CatalogSnapshot> {
    return this.readOnly(INTERNAL_TIMEOUT_MS, undefined, async (client) => {
      const database = (await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
      await this.types.ensure(client, [], { reload: true });
      return {
        datasource: this.name,
        dialect: this.dialect,
        tables: await introspectPostgres(client, database, this.config.schemas),
        introspectedAt: new Date().toISOString(),
      };
    });
  }

  async execute(sql: string, options: ExecuteOptions): Promise<QueryResult> {
    const started = performance.now();
    return this.readOnly(options.timeoutMs, options.signal, async (client) => {
      const { nodes } = await classify(client, sql, options.timeoutMs);
      const fields = await openPortal(client, sql, PORTAL);
      await this.types.ensure(client, fields.map((field) => field.dataTypeID));
      const converters = fields.map((field) => this.types.converter(field.dataTypeID));
      const budget = new ResultBudget(options.maxRows, options.maxChars);
      const batch = Math.min(options.maxRows + 1, FETCH_ROWS);
      // A result the planner expects to fit is read whole, so the server may use parallel workers.
      const expectedRows = Number(nodes[0]?.['Plan Rows'] ?? Infinity);
      const whole = expectedRows * 4 <= batch;
      reading: for (;;) {
        const { rows, done } = await client.query(whole ? new FetchRows(PORTAL, 0, options.maxRows + 1) : new FetchRows(PORTAL, batch)).result;
        for (const row of rows) {
          if (!budget.offer(row.map((value, index) => converters[index]!(value)))) break reading;
        }
        if (done) break;
      }
      return budget.result(fields.map((field) => ({ name: field.name, type: this.types.nameOf(field.dataTypeID, field.dataTypeModifier) })), started);
    });
  }

  async explain(sql: string, options: { timeoutMs?: number } = {}): Promise<ExplainResult> {
    const timeoutMs = options.timeoutMs ?? INTERNAL_TIMEOUT_MS;
    return this.readOnly(timeoutMs, undefined, async (client) => {
      await classify(client, sql, timeoutMs);
      const result = await queryExtended<{ 'QUERY PLAN': string }>(client, `EXPLAIN ${sql}`);
      return { plan: result.rows.map((row) => row['QUERY PLAN']).join('\n') };
    });
  }

  /** Tables the planner reads, views resolved to their tables and partitions to their parent. */
  async referencedTables(sql: string): Promise<string[]> {
    return this.readOnly(INTERNAL_TIMEOUT_MS, undefined, async (client) => {
      const roots = await rootRelations(client, planRelations((await classify(client, sql, INTERNAL_TIMEOUT_MS)).nodes));
      return roots.map((relation) => `${relation.schema}.${relation.table}`).sort();
    });
  }

  /**
   * The planner's relations (views expanded to the tables they read, partitions to their parent) and
   * every function scan that is not a pure generator: a set-returning function's body is invisible to the plan.
   */
  async statementReads(sql: string): Promise<StatementReads> {
    return this.readOnly(INTERNAL_TIMEOUT_MS, undefined, async (client) => {
      const { nodes } = await classify(client, sql, INTERNAL_TIMEOUT_MS);
      const opaque = nodes
        .filter((node) => /Function Scan$/.test(node['Node Type']) && !PURE_GENERATORS.has(String(node['Function Name'] ?? '')))
        .map((node) => `table function ${node['Function Name'] ?? node['Node Type']}()`);
      return { tables: await rootRelations(client, planRelations(nodes)), opaque: [...new Set(opaque)] };
    });
  }

  async sampleValues(table: string, column: string, limit: number): Promise<JsonValue[]> {
    const [schema, name] = splitTableName(table, 'public');
    // Identifiers come from the catalog, quoted; the first 20,000 rows keep the read cheap on big tables.
    const sql = `SELECT v FROM (SELECT ${quoteIdent(column)} AS v FROM ${quoteIdent(schema)}.${quoteIdent(name)} LIMIT 20000) AS s WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v LIMIT ${Math.max(1, Math.floor(limit))}`;
    return this.readOnly(INTERNAL_TIMEOUT_MS, undefined, async (client) => {
      // A view may call anything; samples go through the same guard as user SQL.
      await classify(client, sql, INTERNAL_TIMEOUT_MS);
      const result = await rawQuery(client, sql);
      await this.types.ensure(client, result.fields.map((field) => field.dataTypeID));
      const convert = this.types.converter(result.fields[0]!.dataTypeID);
      return result.rows.map((row) => convert(row[0] ?? null));
    });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

/** A query whose values arrive as the server's text, for the lossless converters. */
async function rawQuery(client: PoolClient, text: string): Promise<RawQuery> {
  const result = await client.query<(string | null)[]>({ text, rowMode: 'array', types: { getTypeParser: () => (value: string) => value } } as pg.QueryArrayConfig);
  return { fields: result.fields, rows: result.rows };
}

/** Relations as the catalog lists them: a partition becomes its partitioned root table. */
async function rootRelations(client: PoolClient, relations: { schema: string; table: string }[]): Promise<{ schema: string; table: string }[]> {
  if (relations.length === 0) return [];
  const roots = await client.query<{ schema: string; table: string }>(
    `SELECT DISTINCT rn.nspname AS schema, rc.relname AS table
     FROM unnest($1::text[], $2::text[]) AS t(schema_name, table_name)
     JOIN pg_namespace n ON n.nspname = t.schema_name
     JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
     JOIN pg_class rc ON rc.oid = coalesce(pg_partition_root(c.oid), c.oid)
     JOIN pg_namespace rn ON rn.oid = rc.relnamespace
     ORDER BY 1, 2`,
    [relations.map((relation) => relation.schema), relations.map((relation) => relation.table)],
  );
  return roots.rows;
}

/** Set-returning functions that only generate values from their arguments. */
const PURE_GENERATORS = new Set(['generate_series', 'unnest', 'generate_subscripts']);

function cancelled(): StratumError {
  return new StratumError('QUERY_CANCELLED', 'The query was cancelled by the client.');
}
