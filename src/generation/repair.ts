import { createHash } from 'node:crypto';
import type { Connector } from '../connectors/index.js';
import { StratumError } from '../errors.js';
import type { ToolScope } from '../subagents/types.js';
import { dialectName } from './dialects.js';
import { extractSql } from './extract.js';
import type { FailedAttempt, GenerationRequest, ModelMessage, ModelRequest, RepairState } from './types.js';

const MAX_TOKENS = 2_000;
const STATE_SQL_CHARS = 8_000;
const STATE_ERROR_CHARS = 1_500;

/** The conversation a model sees: the context, then each failed answer with the error it got. */
export function modelRequest(connector: Connector, context: string, failures: RepairState['failures'], temperature?: number): ModelRequest {
  const messages: ModelMessage[] = [{ role: 'user', text: `${context}\n\nWrite the SQL that answers the question.` }];
  for (const failure of failures) {
    messages.push({ role: 'assistant', text: failure.sql === null ? '(no SQL in the answer)' : `\`\`\`sql\n${failure.sql}\n\`\`\`` });
    messages.push({ role: 'user', text: `That failed: ${failure.error}\nFix it and answer again with the whole corrected query in one \`\`\`sql block.` });
  }
  return {
    system:
      `You write SQL for a ${dialectName(connector.dialect)} database. Answer with exactly one read-only query in a single \`\`\`sql fenced block and nothing else. ` +
      'Use only the tables and columns the context lists; when the semantic model defines a metric the question asks for, compute it as defined; follow the subagent rules.',
    messages,
    maxTokens: MAX_TOKENS,
    ...(temperature !== undefined ? { temperature } : {}),
  };
}

export type CandidateCheck = { ok: true; sql: string } | { ok: false; sql: string | null; error: string };

/**
 * A candidate passes when the read-only guard accepts it, the datasource plans it (EXPLAIN, which
 * runs the same guard first) and, for a subagent, it reads only tables in scope. Nothing is executed.
 */
export async function checkSql(sql: string, connector: Connector, scope: ToolScope | undefined, timeoutMs: number): Promise<CandidateCheck> {
  try {
    await connector.explain(sql, { timeoutMs });
    await scope?.checkSql(sql, connector);
    return { ok: true, sql };
  } catch (error) {
    return { ok: false, sql, error: describeError(error) };
  }
}

export async function checkAnswer(answer: string, connector: Connector, scope: ToolScope | undefined, timeoutMs: number): Promise<CandidateCheck> {
  const sql = extractSql(answer);
  if (!sql) return { ok: false, sql: null, error: 'The answer held no SQL. Answer with the query in one ```sql fenced block.' };
  return checkSql(sql, connector, scope, timeoutMs);
}

export function describeError(error: unknown): string {
  if (error instanceof StratumError) return `${error.code}: ${error.message}${error.hint ? `\nHint: ${error.hint}` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** A failure as the state keeps it: bounded, so a sampling round trip stays small. */
export function failureRecord(check: Extract<CandidateCheck, { ok: false }>): RepairState['failures'][number] {
  return { sql: check.sql === null ? null : check.sql.slice(0, STATE_SQL_CHARS), error: check.error.slice(0, STATE_ERROR_CHARS) };
}

export function failedAttempts(failures: RepairState['failures']): FailedAttempt[] {
  return failures.map((failure, index) => ({ attempt: index + 1, sql: failure.sql, error: failure.error }));
}

/** Identifies a call, so the state of one sampling flow is never applied to another. */
export function requestKey(request: GenerationRequest, datasource: string): string {
  const identity = JSON.stringify([request.question ?? '', request.strategy ?? '', request.semanticModel ?? '', datasource]);
  return createHash('sha256').update(identity).digest('base64url').slice(0, 22);
}
