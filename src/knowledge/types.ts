/**
 * The knowledge a workspace accumulates: feedback, SQL history, verified queries and cached
 * embeddings. `KnowledgeStore` is the storage contract; SQLite implements it here and a PostgreSQL
 * store can implement it as a sibling, so nothing outside the store knows about SQL dialects.
 */

export type Rating = 'up' | 'down';

export type FeedbackKind = 'success_story' | 'issue' | 'correction' | 'rating';

/** What the learning loop did with a feedback record. */
export type FeedbackOutcome =
  | 'candidate' // the pair became (or reinforced) a verified query candidate
  | 'demoted' // a downvote demoted the SQL it names
  | 'not_verified' // the SQL failed the read-only guard or did not plan; kept for review
  | 'kept'; // stored for the engineers (an issue, or nothing to learn from)

export interface NewFeedback {
  question?: string;
  sql?: string;
  rating: Rating;
  comment?: string;
  correctedSql?: string;
  kind: FeedbackKind;
  subagent?: string;
  semanticModel?: string;
  datasource?: string;
  clientName?: string;
  /** Retries carrying the same key return the first record instead of a second one. */
  idempotencyKey?: string;
}

export interface FeedbackRecord extends Omit<NewFeedback, 'idempotencyKey'> {
  id: string;
  idempotencyKey?: string;
  outcome?: FeedbackOutcome;
  /** Why the loop decided what it did (e.g. the EXPLAIN error). */
  outcomeDetail?: string;
  createdAt: string;
  updatedAt: string;
}

export interface FeedbackFilter {
  kind?: FeedbackKind;
  rating?: Rating;
  subagent?: string;
  /** ISO timestamp; records created at or after it. */
  since?: string;
  limit?: number;
}

export interface NewHistoryEntry {
  sql: string;
  /** The question written above the statement (the first comment line). */
  question?: string;
  /** The rest of the comment above the statement (definitions, hints). */
  note?: string;
  tables: string[];
  sourceFile?: string;
  sourceLine?: number;
  datasource?: string;
  /** How the tables were read: `connector`, `duckdb_parser` or `regex`. */
  tablesMethod?: string;
}

export interface HistoryEntry extends NewHistoryEntry {
  id: number;
  fingerprint: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
}

export type VerifiedQueryOrigin = 'semantic_model' | 'feedback' | 'correction' | 'history' | 'promoted';

export type VerifiedQueryStatus = 'verified' | 'candidate' | 'demoted';

/** Where a verified query came from: enough to trace it back to a file line or a feedback id. */
export interface Provenance {
  origin: VerifiedQueryOrigin;
  feedbackId?: string;
  semanticModel?: string;
  file?: string;
  line?: number;
  name?: string;
}

export interface NewVerifiedQuery {
  question: string;
  sql: string;
  tables: string[];
  datasource?: string;
  semanticModel?: string;
  status: Exclude<VerifiedQueryStatus, 'demoted'>;
  provenance: Provenance;
}

export interface VerifiedQueryRecord extends Omit<NewVerifiedQuery, 'status'> {
  id: number;
  sqlFingerprint: string;
  status: VerifiedQueryStatus;
  upvotes: number;
  downvotes: number;
  createdAt: string;
  updatedAt: string;
}

export interface EmbeddingKey {
  /** Hash of the embedded text (see contentHash). */
  hash: string;
  model: string;
}

export interface KnowledgeStore {
  /** `sqlite` or `postgres`: for logs and reports, never for branching outside the store. */
  readonly kind: string;
  /** Where the store lives (a file path, or a redacted URL). */
  readonly location: string;

  /** Stores feedback durably before resolving. With a known idempotency key, returns the first record and `created: false`. */
  addFeedback(input: NewFeedback): Promise<{ record: FeedbackRecord; created: boolean }>;
  getFeedback(id: string): Promise<FeedbackRecord | undefined>;
  listFeedback(filter?: FeedbackFilter): Promise<FeedbackRecord[]>;
  setFeedbackOutcome(id: string, outcome: FeedbackOutcome, detail?: string): Promise<void>;

  /** Adds statements, merging those whose fingerprint is known (count and last seen go up). */
  addHistory(entries: NewHistoryEntry[]): Promise<{ inserted: number; merged: number }>;
  listHistory(filter?: { datasource?: string; limit?: number }): Promise<HistoryEntry[]>;

  /** Adds a verified query or, for a known (question, SQL) pair, counts an upvote and lifts a demotion. */
  upvoteVerifiedQuery(query: NewVerifiedQuery): Promise<VerifiedQueryRecord>;
  /** Counts a downvote on every verified query with this SQL; those with as many downvotes as upvotes are demoted. Returns how many were demoted. */
  downvoteSql(sql: string, datasource?: string): Promise<number>;
  /** Semantic-model verified queries as the models now say: adds new ones, drops the ones no longer written. */
  replaceSemanticModelQueries(semanticModel: string, queries: NewVerifiedQuery[]): Promise<void>;
  listVerifiedQueries(filter?: { datasource?: string; includeDemoted?: boolean }): Promise<VerifiedQueryRecord[]>;
  /** Changes whenever verified queries or history change, so readers can cache derived indexes. */
  revision(): Promise<number>;

  getEmbedding(key: EmbeddingKey): Promise<Float32Array | undefined>;
  putEmbedding(key: EmbeddingKey, vector: Float32Array): Promise<void>;

  close(): Promise<void>;
}
