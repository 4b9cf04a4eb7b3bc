import { StratumError } from '../errors.js';
import { SqliteKnowledgeStore } from './sqlite.js';
import type { KnowledgeStore } from './types.js';

export type * from './types.js';
export { Knowledge, FEEDBACK_LIMITS, VERIFIED_MATCH_THRESHOLD, type FeedbackInput, type FeedbackResult, type KnowledgeOptions, type RelatedTable, type SimilarQuestion } from './knowledge.js';
export { SqliteKnowledgeStore, SCHEMA_VERSION } from './sqlite.js';
export { QuestionIndex, type QuestionMatch } from './similarity.js';
export { TableExtractor, tablesByScan, type ExtractedTables, type TablesMethod } from './tables.js';
export { importHistory, readSqlStatements, readCsvStatements, parseCsv, type HistoryImportReport, type HistoryStatement } from './history.js';
export { promoteFeedback, companionFile, type PromotedQuery } from './promote.js';
export { feedbackCsv, feedbackJsonl, feedbackExportRow, FEEDBACK_COLUMNS } from './export.js';
export { questionTokens, normaliseSql, sqlFingerprint, contentHash } from './text.js';

/** Opens the store `knowledge` in stratum.yaml names: the SQLite file at `path` (a PostgreSQL `url` is for a later version). */
export function openKnowledgeStore(settings: { path: string; url?: string | undefined }): KnowledgeStore {
  if (settings.url) {
    throw new StratumError('NOT_IMPLEMENTED', 'knowledge.url (a PostgreSQL knowledge store) is not available in this version yet.', 'Remove knowledge.url to use the embedded SQLite store at knowledge.path.');
  }
  return new SqliteKnowledgeStore(settings.path);
}
