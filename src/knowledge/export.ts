import type { FeedbackRecord } from './types.js';

/** Feedback as engineers read it: snake_case like the tool contract, the same `id` record_feedback returned. */
export const FEEDBACK_COLUMNS = [
  'id',
  'created_at',
  'rating',
  'kind',
  'question',
  'sql',
  'corrected_sql',
  'comment',
  'subagent',
  'semantic_model',
  'datasource',
  'client_name',
  'outcome',
  'outcome_detail',
  'updated_at',
] as const;

export type FeedbackExportRow = Partial<Record<(typeof FEEDBACK_COLUMNS)[number], string>>;

export function feedbackExportRow(record: FeedbackRecord): FeedbackExportRow {
  const row: FeedbackExportRow = {
    id: record.id,
    created_at: record.createdAt,
    rating: record.rating,
    kind: record.kind,
    question: record.question,
    sql: record.sql,
    corrected_sql: record.correctedSql,
    comment: record.comment,
    subagent: record.subagent,
    semantic_model: record.semanticModel,
    datasource: record.datasource,
    client_name: record.clientName,
    outcome: record.outcome,
    outcome_detail: record.outcomeDetail,
    updated_at: record.updatedAt,
  };
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined));
}

/** One JSON object per line. */
export function feedbackJsonl(records: FeedbackRecord[]): string {
  return records.map((record) => `${JSON.stringify(feedbackExportRow(record))}\n`).join('');
}

/** RFC 4180 CSV with a header; fields with commas, quotes or newlines are quoted. */
export function feedbackCsv(records: FeedbackRecord[]): string {
  const quote = (value: string | undefined) => (value === undefined ? '' : /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const lines = [FEEDBACK_COLUMNS.join(',')];
  for (const record of records) {
    const row = feedbackExportRow(record);
    lines.push(FEEDBACK_COLUMNS.map((column) => quote(row[column])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
