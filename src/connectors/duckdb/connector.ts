import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import type { DuckDBDatasourceConfig } from '../../config/index.js';
import { StratumError } from '../../errors.js';
import { ResultBudget } from '../budget.js';
import { quoteIdent, splitTableName } from '../names.js';
import type { CatalogSnapshot, Connector, ExecuteOptions, ExplainResult, JsonValue, QueryResult, StatementReads } from '../types.js';
import { prepareReadOnly, translateDuckDBError, type ParseTree } from './guard.js';
import { introspectDuckDB } from './introspect.js';
import { readsOfParseTree, statementReads, tablesInParseTree } from './references.js';
import { jsonValueConverter } from './values.js';

/**
 * Settings that make the instance safe by construction. `lock_configuration` comes last in effect:
 * once set, no statement can turn the others back.
 */
export function safeInstanceOptions(config: DuckDBDatasourceConfig): Record<string, string> {
  return {
    ...(config.path === ':memory:' ? {} : { access_mode: 'READ_ONLY' }),
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    ...(config.threads ? { threads: String(config.threads) } : {}),
    ...(config.memory_limit ? { memory_limit: config.memory_limit } : {}),
    lock_configuration: 'true',
  };
}

export class DuckDBConnector implements Connector {
  readonly dialect = 'duckdb' as const;
  private instance: Promise<DuckDBInstance> | undefined;
  private parser: Promise<{ connection: DuckDBConnection; statement: DuckDBPreparedStatement }> | undefined;
  private parserQueue: Promise<unknown> = Promise.resolve();
  private macrosReadingTables: Promise<Set<string>> | undefined;

  constructor(
    readonly name: string,
    private readonly config: DuckDBDatasourceConfig,
  ) {}

  private open(): Promise<DuckDBInstance> {
    if (!this.instance) {
      const path = this.config.path;
      if (path !== ':memory:' && !existsSync(path)) {
        return Promise.reject(
          new StratumError(
            'DATASOURCE_UNAVAILABLE',
            `Datasource "${this.name}": DuckDB file not found at ${path}.`,
            'Run `stratum init` to create the demo database, or fix datasources.' + this.name + '.path in stratum.yaml.',
          ),
        );
      }
      this.instance = DuckDBInstance.create(path, safeInstanceOptions(this.config)).catch((error: unknown) => {
        this.instance = undefined;
        const message = error instanceof Error ? error.message : String(error);
        throw new StratumError(
          'DATASOURCE_UNAVAILABLE',
          `Datasource "${this.name}": cannot open ${path}: ${message.split('\n')[0]}`,
          /lock/i.test(message) ? 'Another process holds a write lock on the file; close it (read-only readers can share).' : 'Check that the file is a DuckDB database of a compatible version.',
        );
      });
    }
    return this.instance;
  }

  /**
   * DuckDB's parse tree of a statement, through one prepared statement on a long-lived connection:
   * a third of the cost of a fresh query per call. Calls are queued because a connection runs one
   * statement at a time.
   */
  readonly parse = (sql: string): Promise<ParseTree> => {
    if (!this.parser) {
      this.parser = this.open()
        .then((instance) => instance.connect())
        .then(async (connection) => ({ connection, statement: await connection.prepare('SELECT json_serialize_sql($1::VARCHAR)') }));
      this.parser.catch(() => (this.parser = undefined));
    }
    const parser = this.parser;
    const run = this.parserQueue.then(async () => {
      const { statement } = await parser;
      statement.bindVarchar(1, sql);
      const reader = await statement.runAndReadAll();
      return JSON.parse(String(reader.getRows()[0]?.[0])) as ParseTree;
    });
    this.parserQueue = run.catch(() => undefined);
    return run;
  };

  /** A fresh connection per statement: interrupting it cannot touch other calls, and nothing it sets survives it. */
  private async withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await (await this.open()).connect();
    try {
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  }

  async introspect(): Promise<CatalogSnapshot> {
    return this.withConnection(async (connection) => ({
      datasource: this.name,
      dialect: this.dialect,
      tables: await introspectDuckDB(connection),
      introspectedAt: new Date().toISOString(),
    }));
  }

  /** Runs work on a fresh connection that timeout or abort interrupts; errors come back translated. */
  private interruptible<T>(timeoutMs: number, signal: AbortSignal | undefined, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.withConnection(async (connection) => {
      const stop = interruptOn(connection, timeoutMs, signal);
      try {
        const result = await work(connection);
        stop.check();
        return result;
      } catch (error) {
        stop.check();
        throw translateDuckDBError(error);
      } finally {
        stop.dispose();
      }
    });
  }

  async execute(sql: string, options: ExecuteOptions): Promise<QueryResult> {
    const started = performance.now();
    return this.interruptible(options.timeoutMs, options.signal, async (connection) => {
      const { prepared } = await prepareReadOnly(connection, sql, this.parse);
      const result = await prepared.stream();
      const columns = result.columnNames().map((name, index) => ({ name, type: result.columnType(index).toString() }));
      const budget = new ResultBudget(options.maxRows, options.maxChars);
      reading: for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunk.convertRows(jsonValueConverter)) {
          if (!budget.offer(row as JsonValue[])) break reading;
        }
      }
      return budget.result(columns, started);
    });
  }

  async explain(sql: string, options: { timeoutMs?: number } = {}): Promise<ExplainResult> {
    return this.interruptible(options.timeoutMs ?? 30_000, undefined, async (connection) => {
      await prepareReadOnly(connection, sql, this.parse);
      const reader = await connection.runAndReadAll(`EXPLAIN ${sql}`);
      return { plan: reader.getRows().map((row) => row.map((cell) => String(cell ?? '')).join('\n')).join('\n') };
    });
  }

  /** The parser's tree of a statement that passes the read-only guard; undefined for EXPLAIN. */
  private async guardedTree(sql: string): Promise<ParseTree | undefined> {
    return this.withConnection(async (connection) => {
      const { prepared, tree } = await prepareReadOnly(connection, sql, this.parse);
      prepared.destroySync();
      return tree;
    });
  }

  async referencedTables(sql: string): Promise<string[]> {
    const tree = await this.guardedTree(sql);
    if (!tree) throw new StratumError('SQL_ERROR', 'Cannot read the tables of an EXPLAIN statement.', 'Pass the query itself.');
    return tablesInParseTree(tree, 'main');
  }

  /**
   * From the parser alone, never the binder: a statement is checked before anything binds it, so
   * neither an error message nor a plan can reveal columns of a table the caller may not read.
   */
  async statementReads(sql: string): Promise<StatementReads> {
    const tree = await this.parse(sql);
    if (tree.error) {
      if (/only SELECT statements/i.test(tree.error_message ?? '')) {
        throw new StratumError('SQL_NOT_READ_ONLY', 'Only read-only queries are allowed here; this statement is not a query.', 'Send one SELECT (WITH ... SELECT, FROM, VALUES, DESCRIBE, SUMMARIZE). Writes, DDL, PRAGMA, SET and EXPLAIN are refused.');
      }
      throw new StratumError('SQL_ERROR', tree.error_message ?? 'The SQL does not parse.', 'Fix the SQL and try again; DuckDB dialect applies.');
    }
    const statements = tree.statements?.length ?? 0;
    if (statements === 0) throw new StratumError('SQL_EMPTY', 'The SQL contains no statement (only comments or whitespace).', 'Pass one SELECT statement in `sql`.');
    if (statements > 1) throw new StratumError('SQL_MULTIPLE_STATEMENTS', `Only one statement per call is allowed; found ${statements}.`, 'Send a single SELECT statement; combine steps with CTEs (WITH ... SELECT).');
    return statementReads(readsOfParseTree(tree), await this.macrosThatReadTables());
  }

  /**
   * Macros whose body reads a table or the catalog (`pg_get_viewdef`, a user's `CREATE MACRO f() AS
   * (SELECT ... FROM t)`, every table macro), found from the engine's parse of each definition and
   * closed over macros calling macros. A definition that does not parse counts as reading.
   */
  private macrosThatReadTables(): Promise<Set<string>> {
    if (!this.macrosReadingTables) {
      this.macrosReadingTables = (async () => {
        const rows = await this.withConnection(async (connection) =>
          (await connection.runAndReadAll(`SELECT DISTINCT lower(function_name), function_type, macro_definition FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro')`)).getRows(),
        );
        const reading = new Set<string>();
        const calls = new Map<string, string[]>();
        for (const [name, type, definition] of rows as [string, string, string | null][]) {
          if (type === 'table_macro' || !definition) {
            reading.add(name);
            continue;
          }
          const tree = await this.parse(`SELECT ${definition}`).catch(() => undefined);
          const parsed = tree && !tree.error ? readsOfParseTree(tree) : undefined;
          if (!parsed || statementReads(parsed, new Set()).opaque.length > 0 || parsed.tables.length > 0) reading.add(name);
          else calls.set(name, [...(calls.get(name) ?? []), ...parsed.functions]);
        }
        for (let changed = true; changed; ) {
          changed = false;
          for (const [name, called] of calls) {
            if (!reading.has(name) && called.some((callee) => reading.has(callee))) {
              reading.add(name);
              changed = true;
            }
          }
        }
        return reading;
      })();
      this.macrosReadingTables.catch(() => (this.macrosReadingTables = undefined));
    }
    return this.macrosReadingTables;
  }

  async sampleValues(table: string, column: string, limit: number): Promise<JsonValue[]> {
    const [schema, name] = splitTableName(table, 'main');
    // Identifiers come from the catalog, quoted; a seeded reservoir keeps samples stable between runs.
    const sql = `SELECT v FROM (SELECT ${quoteIdent(column)} AS v FROM ${quoteIdent(schema)}.${quoteIdent(name)} USING SAMPLE reservoir(20000 ROWS) REPEATABLE (7)) WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v LIMIT ${Math.max(1, Math.floor(limit))}`;
    return this.withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(sql);
      return reader.convertRows(jsonValueConverter).map((row) => row[0] as JsonValue);
    });
  }

  async close(): Promise<void> {
    const instance = this.instance;
    const parser = this.parser;
    this.instance = undefined;
    this.parser = undefined;
    this.macrosReadingTables = undefined;
    await this.parserQueue;
    const opened = await parser?.catch(() => undefined);
    opened?.statement.destroySync();
    opened?.connection.closeSync();
    if (instance) (await instance.catch(() => undefined))?.closeSync();
  }
}

/** Interrupts the connection on timeout or abort, and turns the interruption into the right error. */
function interruptOn(connection: DuckDBConnection, timeoutMs: number, signal: AbortSignal | undefined) {
  let reason: 'timeout' | 'cancelled' | undefined;
  const timer = setTimeout(() => {
    reason = 'timeout';
    connection.interrupt();
  }, timeoutMs);
  const onAbort = () => {
    reason = 'cancelled';
    connection.interrupt();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    check() {
      if (reason === 'timeout') {
        throw new StratumError('QUERY_TIMEOUT', `The query was stopped after ${timeoutMs} ms (limits.timeout_ms).`, 'Filter earlier, aggregate, or add a LIMIT; ask an operator to raise limits.timeout_ms if the query really needs longer.');
      }
      if (reason === 'cancelled') throw new StratumError('QUERY_CANCELLED', 'The query was cancelled by the client.');
    },
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
