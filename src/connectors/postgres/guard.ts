import type { ClientBase } from 'pg';
import { StratumError } from '../../errors.js';
import { planFunctions, planNodes, planRelations, type PlanNode } from './plan.js';
import { DescribeStatement, queryExtended } from './portal.js';

/**
 * The read-only guard for PostgreSQL. The server decides, and a read-only role behind it is the
 * first line of defence (README):
 *  1. every call runs in `BEGIN READ ONLY` with `SET LOCAL statement_timeout`, and is rolled back;
 *  2. the statement goes through the extended protocol, whose Parse refuses a second statement;
 *  3. `EXPLAIN (FORMAT JSON, VERBOSE)` must accept it: utility commands (DDL, COPY, SET, DO, CALL,
 *     LOCK, transaction control ...) are not explainable and are refused;
 *  4. the plan may not write (ModifyTable, also inside a CTE) or lock rows (LockRows), may not scan
 *     catalogs holding secrets, and may not call a function with side effects outside the
 *     transaction (files, large objects, other connections, session settings, sequences, locks,
 *     signals, sleeps) or one that runs SQL text of its own;
 *  5. the bound portal must return rows (SELECT ... INTO, CREATE TABLE AS and DECLARE do not).
 */

export async function beginReadOnly(client: ClientBase, timeoutMs: number): Promise<void> {
  await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
}

/** Catalogs that hold password hashes or connection secrets: never readable through Stratum. */
const SECRET_CATALOGS = new Set(['pg_catalog.pg_authid', 'pg_catalog.pg_user_mapping', 'pg_catalog.pg_subscription']);

/** Functions refused by name, with the reason the model is told. */
const REFUSED_FUNCTIONS: [RegExp, string][] = [
  [/^(pg_read_file|pg_read_binary_file|pg_stat_file|pg_ls_\w+|pg_file_\w+|pg_logdir_ls|pg_current_logfile)$/, 'reads or writes files on the database server'],
  [/^(lo_\w+|loread|lowrite)$/, 'reads or writes large objects and server files'],
  [/^dblink\w*$/, 'opens a connection to another database'],
  [/^(set_config|setseed)$/, 'changes session settings'],
  [/^(nextval|setval)$/, 'advances a sequence, which no rollback undoes'],
  [/^pg_(try_)?advisory_\w+$/, 'takes advisory locks that outlive the statement'],
  [/^pg_sleep\w*$/, 'only waits'],
  [/^(pg_cancel_backend|pg_terminate_backend|pg_reload_conf|pg_rotate_logfile\w*|pg_switch_wal|pg_create_\w+|pg_drop_replication_slot|pg_copy_\w+_replication_slot|pg_replication_slot_advance|pg_logical_slot_\w+|pg_replication_origin_\w+|pg_promote|pg_wal_replay_\w+|pg_backup_\w+|pg_start_backup|pg_stop_backup|pg_log_backend_memory_contexts|pg_stat_reset\w*|pg_stat_statements_reset|pg_import_system_collations|pg_notify|pg_logical_emit_message|pg_export_snapshot|txid_current|pg_current_xact_id)$/, 'acts on the server or other sessions'],
  [/^(\w+_to_xml\w*|ts_stat)$/, 'runs SQL text of its own, which the guard cannot see'],
];

export function refusedFunction(name: string): string | undefined {
  return REFUSED_FUNCTIONS.find(([pattern]) => pattern.test(name))?.[1];
}

const EXPLAIN = 'EXPLAIN (FORMAT JSON, VERBOSE) ';

export interface Classified {
  nodes: PlanNode[];
}

/** Classifies a statement before it runs; throws the refusal as a StratumError. The client is inside beginReadOnly. */
export async function classify(client: ClientBase, sql: string, timeoutMs: number): Promise<Classified> {
  if (sql.trim() === '') throw empty();
  let plan: PlanNode | undefined;
  try {
    const result = await queryExtended<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(client, `${EXPLAIN}${sql}`);
    plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan;
  } catch (error) {
    // Positions count from the start of the user's SQL, not of the EXPLAIN around it.
    const located = error as { code?: string; position?: string };
    if (located.position) located.position = String(Math.max(1, Number(located.position) - EXPLAIN.length));
    const code = located.code;
    if (code !== '42601' || /multiple commands/.test((error as Error).message)) throw error;
    // Not explainable: a utility command, an empty statement, or a plain syntax error. Parsing the
    // statement alone (without running it) tells which.
    await client.query('ROLLBACK');
    await beginReadOnly(client, timeoutMs);
    // A utility command that parses but cannot run here (an unknown procedure for CALL) is still one.
    const fields = await client.query(new DescribeStatement(sql)).result.catch((parseError: unknown) => {
      if ((parseError as { code?: string }).code === '42601') throw parseError;
      return null;
    });
    if (fields === null && /at end of input/.test((error as Error).message)) throw empty();
    throw utilityCommand(sql);
  }
  // REFRESH MATERIALIZED VIEW and friends are explainable but have no plan.
  if (!plan) throw utilityCommand(sql);
  const nodes = planNodes(plan);
  const write = nodes.find((node) => node['Node Type'] === 'ModifyTable');
  if (write) throw notReadOnly(`this statement writes (${(write.Operation ?? 'a write').toUpperCase()}), which is refused also inside a CTE.`);
  if (nodes.some((node) => node['Node Type'] === 'LockRows')) throw notReadOnly('SELECT ... FOR UPDATE/SHARE locks rows.');
  for (const relation of planRelations(nodes)) {
    const name = `${relation.schema}.${relation.table}`;
    if (SECRET_CATALOGS.has(name)) {
      throw new StratumError('SQL_FORBIDDEN', `Refused: ${name} holds credentials and is never readable through Stratum.`, 'Query the tables listed by list_tables.');
    }
  }
  for (const name of planFunctions(nodes)) {
    const reason = refusedFunction(name);
    if (reason) {
      throw new StratumError(
        'SQL_FORBIDDEN',
        `Refused: the query calls ${name}(), which ${reason}.`,
        'Only plain reads of the datasource\'s tables are allowed: no server files, large objects, other databases, session settings, sequences, locks or sleeps.',
      );
    }
  }
  return { nodes };
}

/** Opens the statement as a named portal; refuses one that returns no rows. */
export async function openPortal(client: ClientBase, sql: string, portal: string) {
  const fields = await client.query(new DescribeStatement(sql, portal)).result;
  if (fields === null) throw notReadOnly('this statement returns no rows (SELECT ... INTO, CREATE TABLE AS and DECLARE create objects).');
  return fields;
}

/** Names the command by its first keyword, for the message only (the decision was the server's). */
function utilityCommand(sql: string): StratumError {
  const withoutComments = sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
  const keyword = (withoutComments.trim().match(/^[A-Za-z]+/)?.[0] ?? 'utility').toUpperCase();
  return notReadOnly(`this statement is a ${keyword} command, not a query.`);
}

function empty(): StratumError {
  return new StratumError('SQL_EMPTY', 'The SQL contains no statement (only comments or whitespace).', 'Pass one SELECT statement in `sql`.');
}

function notReadOnly(detail: string): StratumError {
  return new StratumError(
    'SQL_NOT_READ_ONLY',
    `Only read-only queries are allowed; ${detail}`,
    'Use a single SELECT (WITH ... SELECT, TABLE and VALUES are fine). Writes, DDL, COPY, SET, DO, CALL, LOCK, EXPLAIN, SHOW and transaction control are refused.',
  );
}
