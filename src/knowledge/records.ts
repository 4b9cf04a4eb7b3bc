import { StratumError } from '../errors.js';
import { newFeedbackId } from './ids.js';
import { questionTokens } from './text.js';
import type { FeedbackOutcome, FeedbackRecord, HistoryEntry, NewFeedback, NewVerifiedQuery, VerifiedQueryRecord } from './types.js';

/**
 * What every knowledge store shares: the rows as the stores keep them (snake_case columns), the
 * mapping to records, and the rules a store applies the same way whatever its SQL (idempotency
 * conflicts, question keys). Each store file holds only its own SQL.
 */

/** Timestamps are ISO text in SQLite and `timestamptz` (a Date) in PostgreSQL. */
type Timestamp = string | Date;

export interface FeedbackRow {
  id: string;
  question: string | null;
  sql: string | null;
  rating: 'up' | 'down';
  comment: string | null;
  corrected_sql: string | null;
  kind: FeedbackRecord['kind'];
  subagent: string | null;
  semantic_model: string | null;
  datasource: string | null;
  client_name: string | null;
  idempotency_key: string | null;
  outcome: FeedbackOutcome | null;
  outcome_detail: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface HistoryRow {
  id: number;
  datasource: string;
  fingerprint: string;
  sql: string;
  question: string | null;
  note: string | null;
  /** JSON text in SQLite, parsed jsonb in PostgreSQL. */
  tables: string | string[];
  tables_method: string | null;
  source_file: string | null;
  source_line: number | null;
  first_seen: Timestamp;
  last_seen: Timestamp;
  count: number;
}

export interface VerifiedRow {
  id: number;
  datasource: string;
  question: string;
  sql: string;
  sql_fingerprint: string;
  tables: string | string[];
  semantic_model: string | null;
  status: VerifiedQueryRecord['status'];
  provenance: string | object;
  upvotes: number;
  downvotes: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * A row as a record: camelCase keys, JSON columns parsed, timestamps as ISO text, internal columns
 * left out, and NULLs (and the '' that stands for "no datasource") dropped so records carry only the
 * fields that were given.
 */
function fromRow<T>(row: object, options: { json?: string[] } = {}): T {
  const record: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === null || value === undefined || INTERNAL_COLUMNS.has(column) || (column === 'datasource' && value === '')) continue;
    const parsed = value instanceof Date ? value.toISOString() : options.json?.includes(column) && typeof value === 'string' ? JSON.parse(value) : value;
    record[column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())] = parsed;
  }
  return record as T;
}

/** Columns a store keeps for itself: matching keys, the insertion order. */
const INTERNAL_COLUMNS = new Set(['question_key', 'origin', 'seq']);

export const feedbackFromRow = (row: FeedbackRow) => fromRow<FeedbackRecord>(row);
export const historyFromRow = (row: HistoryRow) => fromRow<HistoryEntry>(row, { json: ['tables'] });
export const verifiedFromRow = (row: VerifiedRow) => fromRow<VerifiedQueryRecord>(row, { json: ['tables', 'provenance'] });

/** The row a new feedback record is stored as. */
export function newFeedbackRow(input: NewFeedback): FeedbackRow {
  const now = new Date().toISOString();
  return {
    id: newFeedbackId(),
    question: input.question ?? null,
    sql: input.sql ?? null,
    rating: input.rating,
    comment: input.comment ?? null,
    corrected_sql: input.correctedSql ?? null,
    kind: input.kind,
    subagent: input.subagent ?? null,
    semantic_model: input.semanticModel ?? null,
    datasource: input.datasource ?? null,
    client_name: input.clientName ?? null,
    idempotency_key: input.idempotencyKey ?? null,
    outcome: null,
    outcome_detail: null,
    created_at: now,
    updated_at: now,
  };
}

const FEEDBACK_FIELDS: [keyof NewFeedback, string][] = [
  ['question', 'question'],
  ['sql', 'sql'],
  ['rating', 'rating'],
  ['comment', 'comment'],
  ['correctedSql', 'corrected_sql'],
  ['kind', 'kind'],
  ['subagent', 'subagent'],
  ['semanticModel', 'semantic_model'],
  ['datasource', 'datasource'],
];

/** The answer to a retry whose idempotency key is known: the first record, or an error when the content differs. */
export function retriedFeedback(existing: FeedbackRow, input: NewFeedback): { record: FeedbackRecord; created: false } {
  const record = feedbackFromRow(existing);
  const differs = FEEDBACK_FIELDS.find(([field]) => (record[field] ?? undefined) !== (input[field] ?? undefined));
  if (differs) {
    throw new StratumError(
      'INVALID_ARGUMENT',
      `The idempotency key "${input.idempotencyKey}" was already used for feedback ${record.id} with a different ${differs[1]}.`,
      'Reuse a key only to retry the same call; send new feedback with a new key (or none).',
    );
  }
  return { record, created: false };
}

/** The key under which paraphrases with the same content words count as one question. */
export function questionKey(query: NewVerifiedQuery): string {
  return questionTokens(query.question).join(' ') || query.question.trim().toLowerCase();
}

/** Wraps a failure to open a store in the error a user can act on. */
export function unavailable(location: string, error: unknown, hint: string): StratumError {
  if (error instanceof StratumError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StratumError('DATASOURCE_UNAVAILABLE', `Cannot open the knowledge store at ${location}: ${message}`, hint);
}

/** An embedding as the bytes a store keeps (float32, the platform's byte order), and back. */
export const vectorBytes = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
export const bytesVector = (bytes: Buffer) => new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
