import { PostgresKnowledgeStore } from './postgres.js';
import { SqliteKnowledgeStore } from './sqlite.js';
import type { KnowledgeStore } from './types.js';

export type * from './types.js';
export { Knowledge, FEEDBACK_LIMITS, VERIFIED_MATCH_THRESHOLD, type FeedbackInput, type FeedbackResult, type KnowledgeOptions, type RelatedTable, type SimilarQuestion } from './knowledge.js';
export { SqliteKnowledgeStore, SCHEMA_VERSION } from './sqlite.js';
export { PostgresKnowledgeStore, POSTGRES_SCHEMA_VERSION, DEFAULT_KNOWLEDGE_SCHEMA, type PostgresKnowledgeOptions } from './postgres.js';
export { QuestionIndex, type QuestionMatch } from './similarity.js';
export { TableExtractor, tablesByScan, type ExtractedTables, type TablesMethod } from './tables.js';
export { importHistory, readSqlStatements, readCsvStatements, parseCsv, type HistoryImportReport, type HistoryStatement } from './history.js';
export { promoteFeedback, companionFile, type PromotedQuery } from './promote.js';
export { feedbackCsv, feedbackJsonl, feedbackExportRow, FEEDBACK_COLUMNS } from './export.js';
export { questionTokens, normaliseSql, sqlFingerprint, contentHash } from './text.js';

/**
 * Opens the store `knowledge` in stratum.yaml names: PostgreSQL at `url` (shared by replicas; tables
 * in `schema`, created on first use), else the SQLite file at `path`.
 */
export function openKnowledgeStore(settings: { path: string; url?: string | undefined; schema?: string | undefined }): KnowledgeStore {
  if (settings.url) return new PostgresKnowledgeStore(settings.url, settings.schema ? { schema: settings.schema } : {});
  return new SqliteKnowledgeStore(settings.path);
}
