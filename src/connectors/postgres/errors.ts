import pg from 'pg';
import { StratumError } from '../../errors.js';

const NAMES_HINT = 'Check table and column names with list_tables and describe_table; PostgreSQL folds unquoted names to lower case.';

/** Turns a PostgreSQL error (SQLSTATE) into an actionable StratumError; the server's own hint is kept. */
export function translatePostgresError(error: unknown, datasource: string): StratumError {
  if (error instanceof StratumError) return error;
  if (!(error instanceof pg.DatabaseError)) {
    const message = error instanceof Error ? error.message : String(error);
    if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|timeout expired|Connection terminated|connection is not open|Client was closed/i.test(message)) {
      return unavailable(datasource, message);
    }
    return new StratumError('SQL_ERROR', message, 'Fix the SQL and try again; PostgreSQL dialect applies.');
  }
  const code = error.code ?? '';
  const where = error.position ? ` (at character ${error.position})` : '';
  const message = `${error.message}${where}${error.detail ? `. ${error.detail}` : ''}`;
  const withServerHint = (hint: string) => (error.hint ? `${error.hint} ${hint}` : hint);

  if (code === '42601' && /multiple commands/.test(error.message)) {
    return new StratumError(
      'SQL_MULTIPLE_STATEMENTS',
      'Only one statement per call is allowed; found several.',
      'Send a single SELECT statement (no `;`-separated batch). Combine steps with CTEs (WITH ... SELECT) or run them as separate calls.',
    );
  }
  if (code === '25006') return new StratumError('SQL_NOT_READ_ONLY', `Refused: ${error.message}.`, 'Only read-only SELECT queries are allowed.');
  if (code === '42501') {
    return new StratumError('SQL_FORBIDDEN', `Refused by the database: ${error.message}.`, 'The datasource role may not read this; query the tables listed by list_tables.');
  }
  if (code === '57014') {
    return /statement timeout/.test(error.message)
      ? new StratumError('QUERY_TIMEOUT', 'The query was stopped by the statement timeout (limits.timeout_ms).', 'Filter earlier, aggregate, or add a LIMIT; ask an operator to raise limits.timeout_ms if the query really needs longer.')
      : new StratumError('QUERY_CANCELLED', 'The query was cancelled.');
  }
  if (['42P01', '42703', '42883', '3F000', '42704', '42P02'].includes(code)) return new StratumError('SQL_ERROR', message, withServerHint(NAMES_HINT));
  if (code.startsWith('08') || code.startsWith('28') || code === '3D000' || code.startsWith('57P')) return unavailable(datasource, error.message);
  if (code.startsWith('53') || code.startsWith('54')) {
    return new StratumError('SQL_ERROR', message, withServerHint('The query needs more resources than the server allows: aggregate, filter earlier, or select fewer columns.'));
  }
  return new StratumError('SQL_ERROR', message, withServerHint('Fix the SQL and try again; PostgreSQL dialect applies.'));
}

function unavailable(datasource: string, message: string): StratumError {
  return new StratumError(
    'DATASOURCE_UNAVAILABLE',
    `Datasource "${datasource}": cannot reach PostgreSQL: ${message}`,
    `Check that the server is running and that datasources.${datasource} (url or host/port/database/user/password) in stratum.yaml is right.`,
  );
}
