import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { StratumError } from '../../errors.js';

/**
 * The read-only guard for DuckDB. The engine decides, never a regex:
 *  1. the parser must find exactly one statement (`extractStatements`);
 *  2. the parser's own tree must be a query (`json_serialize_sql` only serializes SELECT-like
 *     statements, so PRAGMA, SET, CALL, COPY ... are refused even when DuckDB rewrites them into a
 *     SELECT internally), or the statement must be an EXPLAIN;
 *  3. the prepared statement's type must be SELECT or EXPLAIN.
 * Behind it the database is opened read-only with external access off and configuration locked,
 * so a statement that slipped through still could not write or read outside the file.
 */
export interface GuardedStatement {
  prepared: DuckDBPreparedStatement;
  statementType: StatementType;
  /** The parser's JSON tree, when the statement is a query. */
  tree: ParseTree | undefined;
}

export interface ParseTree {
  error?: boolean;
  error_message?: string;
  statements?: unknown[];
}

function statementTypeName(type: StatementType): string {
  return (StatementType[type] ?? `type ${type}`).replace(/_/g, ' ');
}

/** Reads DuckDB's parse tree of a statement; the connector supplies a fast, shared implementation. */
export type ParseSql = (sql: string) => Promise<ParseTree>;

export async function prepareReadOnly(connection: DuckDBConnection, sql: string, parse: ParseSql): Promise<GuardedStatement> {
  const empty = () => new StratumError('SQL_EMPTY', 'The SQL contains no statement (only comments or whitespace).', 'Pass one SELECT statement in `sql`.');
  if (sql.trim() === '') throw empty();
  // The parse runs on its own connection while this one extracts and prepares: it costs as much as
  // a point query, and in parallel it costs nothing on the critical path.
  const parsing = parse(sql);
  parsing.catch(() => undefined);

  let extracted;
  try {
    extracted = await connection.extractStatements(sql);
  } catch (error) {
    // DuckDB's extractor fails without a useful message on comment-only input; the parser tells.
    const tree = await parsing.catch(() => undefined);
    if (tree && !tree.error && tree.statements?.length === 0) throw empty();
    throw translateDuckDBError(error);
  }
  if (extracted.count === 0) throw empty();
  if (extracted.count > 1) {
    throw new StratumError(
      'SQL_MULTIPLE_STATEMENTS',
      `Only one statement per call is allowed; found ${extracted.count}.`,
      'Send a single SELECT statement (no `;`-separated batch). Combine steps with CTEs (WITH ... SELECT) or run them as separate calls.',
    );
  }

  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await extracted.prepare(0);
  } catch (error) {
    throw translateDuckDBError(error);
  }
  const statementType = prepared.statementType;
  if (statementType === StatementType.EXPLAIN) return { prepared, statementType, tree: undefined };
  if (statementType !== StatementType.SELECT) {
    prepared.destroySync();
    throw notReadOnly(statementTypeName(statementType));
  }
  // A PRAGMA is prepared as a SELECT, but the parser's tree says what the user wrote.
  const tree = await parsing;
  if (tree.error) {
    prepared.destroySync();
    throw notReadOnly('PRAGMA (or another statement DuckDB rewrites into a query)');
  }
  return { prepared, statementType, tree };
}

function notReadOnly(kind: string): StratumError {
  return new StratumError(
    'SQL_NOT_READ_ONLY',
    `Only read-only queries are allowed; this statement is ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind}.`,
    'Use a single SELECT (WITH ... SELECT, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN are fine). Writes, DDL, COPY, ATTACH, INSTALL/LOAD, SET/PRAGMA and CALL are refused.',
  );
}

/** Turns DuckDB's error text into an actionable StratumError. */
export function translateDuckDBError(error: unknown): StratumError {
  if (error instanceof StratumError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? message;
  if (/^Permission Error/i.test(firstLine) || /file system operations are disabled|external extensions is disabled/i.test(message)) {
    return new StratumError(
      'SQL_FORBIDDEN',
      `Refused by the sandbox: ${firstLine}`,
      'Stratum only reads the tables of the configured database: no files, URLs, extensions or other databases. Query the tables listed by list_tables.',
    );
  }
  if (/read-only mode|configuration has been locked/i.test(message)) {
    return new StratumError('SQL_NOT_READ_ONLY', `Refused: ${firstLine}`, 'Only read-only SELECT queries are allowed.');
  }
  if (/^Catalog Error/i.test(firstLine) || (/^Binder Error/i.test(firstLine) && /not found|does not exist/i.test(firstLine))) {
    return new StratumError('SQL_ERROR', message.trim(), 'Check table and column names with list_tables and describe_table.');
  }
  if (/^(Parser|Binder|Conversion|Invalid Input|Out of Range|Not implemented) Error/i.test(firstLine)) {
    return new StratumError('SQL_ERROR', message.trim(), 'Fix the SQL and try again; DuckDB dialect applies.');
  }
  return new StratumError('SQL_ERROR', message.trim(), 'Fix the SQL and try again.');
}
