import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { bytesVector, feedbackFromRow, historyFromRow, newFeedbackRow, questionKey, retriedFeedback, unavailable, vectorBytes, verifiedFromRow, type FeedbackRow, type HistoryRow, type VerifiedRow } from './records.js';
import { sqlFingerprint } from './text.js';
import type {
  EmbeddingKey,
  FeedbackFilter,
  FeedbackOutcome,
  FeedbackRecord,
  HistoryEntry,
  KnowledgeStore,
  NewFeedback,
  NewHistoryEntry,
  NewVerifiedQuery,
  VerifiedQueryRecord,
} from './types.js';

/** Schema versions, applied in order; `PRAGMA user_version` records how many ran. Append only. */
const MIGRATIONS: string[] = [
  `CREATE TABLE feedback (
     id TEXT PRIMARY KEY,
     question TEXT, sql TEXT,
     rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
     comment TEXT, corrected_sql TEXT,
     kind TEXT NOT NULL CHECK (kind IN ('success_story', 'issue', 'correction', 'rating')),
     subagent TEXT, semantic_model TEXT, datasource TEXT, client_name TEXT,
     idempotency_key TEXT UNIQUE,
     outcome TEXT, outcome_detail TEXT,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL
   );
   CREATE INDEX feedback_by_time ON feedback (created_at);
   CREATE TABLE sql_history (
     id INTEGER PRIMARY KEY,
     datasource TEXT NOT NULL DEFAULT '',
     fingerprint TEXT NOT NULL,
     sql TEXT NOT NULL, question TEXT, note TEXT,
     tables TEXT NOT NULL, tables_method TEXT,
     source_file TEXT, source_line INTEGER,
     first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1,
     UNIQUE (datasource, fingerprint)
   );
   CREATE TABLE verified_queries (
     id INTEGER PRIMARY KEY,
     datasource TEXT NOT NULL DEFAULT '',
     question TEXT NOT NULL, question_key TEXT NOT NULL,
     sql TEXT NOT NULL, sql_fingerprint TEXT NOT NULL,
     tables TEXT NOT NULL, semantic_model TEXT,
     status TEXT NOT NULL CHECK (status IN ('verified', 'candidate', 'demoted')),
     origin TEXT NOT NULL, provenance TEXT NOT NULL,
     upvotes INTEGER NOT NULL DEFAULT 1, downvotes INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
     UNIQUE (datasource, question_key, sql_fingerprint)
   );
   CREATE INDEX verified_by_sql ON verified_queries (sql_fingerprint);
   CREATE TABLE embedding_cache (
     hash TEXT NOT NULL, model TEXT NOT NULL,
     dimensions INTEGER NOT NULL, vector BLOB NOT NULL, created_at TEXT NOT NULL,
     PRIMARY KEY (hash, model)
   );
   CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
   INSERT INTO revision VALUES (1, 0);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The embedded knowledge store: one SQLite file in WAL mode, shared by every Stratum process of a
 * user. Each write is its own transaction, committed before the promise resolves; `synchronous=FULL`
 * makes a commit survive a power cut, not only a killed process. Writers wait for each other
 * (busy timeout) instead of failing.
 */
export class SqliteKnowledgeStore implements KnowledgeStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;

  constructor(
    readonly location: string,
    options: { busyTimeoutMs?: number } = {},
  ) {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    try {
      this.db = new Database(location, { timeout: options.busyTimeoutMs ?? 15_000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    } catch (error) {
      throw unavailable(location, error, 'Check knowledge.path in stratum.yaml: its folder must be writable.');
    }
  }

  private migrate(): void {
    const version = () => this.db.pragma('user_version', { simple: true }) as number;
    if (version() > MIGRATIONS.length) {
      throw new Error(`the store has schema version ${version()}, newer than this Stratum (${MIGRATIONS.length}); upgrade Stratum`);
    }
    if (version() === MIGRATIONS.length) return;
    // IMMEDIATE takes the write lock first, so two processes opening a new store migrate it once.
    this.db.transaction(() => {
      for (let next = version(); next < MIGRATIONS.length; next++) {
        this.db.exec(MIGRATIONS[next]!);
        this.db.pragma(`user_version = ${next + 1}`);
      }
    }).immediate();
  }

  private bumpRevision(): void {
    this.db.prepare('UPDATE revision SET value = value + 1 WHERE id = 1').run();
  }

  async revision(): Promise<number> {
    return (this.db.prepare('SELECT value FROM revision WHERE id = 1').pluck().get() as number) ?? 0;
  }

  async addFeedback(input: NewFeedback): Promise<{ record: FeedbackRecord; created: boolean }> {
    const byKey = this.db.prepare('SELECT * FROM feedback WHERE idempotency_key = ?');
    return this.db.transaction(() => {
      if (input.idempotencyKey) {
        const existing = byKey.get(input.idempotencyKey) as FeedbackRow | undefined;
        if (existing) return retriedFeedback(existing, input);
      }
      const row = newFeedbackRow(input);
      this.db
        .prepare(
          `INSERT INTO feedback (id, question, sql, rating, comment, corrected_sql, kind, subagent, semantic_model, datasource, client_name, idempotency_key, outcome, outcome_detail, created_at, updated_at)
           VALUES (@id, @question, @sql, @rating, @comment, @corrected_sql, @kind, @subagent, @semantic_model, @datasource, @client_name, @idempotency_key, @outcome, @outcome_detail, @created_at, @updated_at)`,
        )
        .run(row);
      return { record: feedbackFromRow(row), created: true };
    }).immediate();
  }

  async getFeedback(id: string): Promise<FeedbackRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM feedback WHERE id = ?').get(id) as FeedbackRow | undefined;
    return row ? feedbackFromRow(row) : undefined;
  }

  async listFeedback(filter: FeedbackFilter = {}): Promise<FeedbackRecord[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    for (const key of ['kind', 'rating', 'subagent'] as const) {
      if (filter[key] !== undefined) {
        where.push(`${key} = @${key}`);
        params[key] = filter[key];
      }
    }
    if (filter.since) {
      where.push('created_at >= @since');
      params.since = filter.since;
    }
    const sql = `SELECT * FROM feedback ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
    return (this.db.prepare(sql).all(params) as FeedbackRow[]).map(feedbackFromRow);
  }

  async setFeedbackOutcome(id: string, outcome: FeedbackOutcome, detail?: string): Promise<void> {
    this.db.prepare('UPDATE feedback SET outcome = ?, outcome_detail = ?, updated_at = ? WHERE id = ?').run(outcome, detail ?? null, new Date().toISOString(), id);
  }

  async addHistory(entries: NewHistoryEntry[]): Promise<{ inserted: number; merged: number }> {
    const find = this.db.prepare('SELECT id FROM sql_history WHERE datasource = ? AND fingerprint = ?').pluck();
    const merge = this.db.prepare('UPDATE sql_history SET count = count + 1, last_seen = ?, question = COALESCE(question, ?) WHERE id = ?');
    const insert = this.db.prepare(
      `INSERT INTO sql_history (datasource, fingerprint, sql, question, note, tables, tables_method, source_file, source_line, first_seen, last_seen, count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    );
    return this.db.transaction(() => {
      const now = new Date().toISOString();
      let inserted = 0;
      let merged = 0;
      for (const entry of entries) {
        const datasource = entry.datasource ?? '';
        const fingerprint = sqlFingerprint(entry.sql);
        const id = find.get(datasource, fingerprint) as number | undefined;
        if (id !== undefined) {
          merge.run(now, entry.question ?? null, id);
          merged++;
        } else {
          insert.run(datasource, fingerprint, entry.sql, entry.question ?? null, entry.note ?? null, JSON.stringify(entry.tables), entry.tablesMethod ?? null, entry.sourceFile ?? null, entry.sourceLine ?? null, now, now);
          inserted++;
        }
      }
      if (entries.length) this.bumpRevision();
      return { inserted, merged };
    }).immediate();
  }

  async listHistory(filter: { datasource?: string; limit?: number } = {}): Promise<HistoryEntry[]> {
    const rows = filter.datasource
      ? this.db.prepare(`SELECT * FROM sql_history WHERE datasource IN (?, '') ORDER BY id ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`).all(filter.datasource)
      : this.db.prepare(`SELECT * FROM sql_history ORDER BY id ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`).all();
    return (rows as HistoryRow[]).map(historyFromRow);
  }

  async upvoteVerifiedQuery(query: NewVerifiedQuery): Promise<VerifiedQueryRecord> {
    return this.db.transaction(() => {
      const row = this.upsertVerified(query, true);
      this.bumpRevision();
      return verifiedFromRow(row);
    }).immediate();
  }

  /** Inserts a (question, SQL) pair, or counts one more upvote on it; a pair voted back above its downvotes leaves demotion. */
  private upsertVerified(query: NewVerifiedQuery, vote: boolean): VerifiedRow {
    const datasource = query.datasource ?? '';
    const key = questionKey(query);
    const fingerprint = sqlFingerprint(query.sql);
    const now = new Date().toISOString();
    const existing = this.db
      .prepare('SELECT * FROM verified_queries WHERE datasource = ? AND question_key = ? AND sql_fingerprint = ?')
      .get(datasource, key, fingerprint) as VerifiedRow | undefined;
    if (existing) {
      const upvotes = existing.upvotes + (vote ? 1 : 0);
      const status = existing.status === 'demoted' && upvotes > existing.downvotes ? query.status : existing.status === 'candidate' && query.status === 'verified' ? 'verified' : existing.status;
      this.db.prepare('UPDATE verified_queries SET upvotes = ?, status = ?, tables = ?, updated_at = ? WHERE id = ?').run(upvotes, status, JSON.stringify(query.tables), now, existing.id);
      return { ...existing, upvotes, status, tables: JSON.stringify(query.tables), updated_at: now };
    }
    const info = this.db
      .prepare(
        `INSERT INTO verified_queries (datasource, question, question_key, sql, sql_fingerprint, tables, semantic_model, status, origin, provenance, upvotes, downvotes, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?)`,
      )
      .run(datasource, query.question, key, query.sql, fingerprint, JSON.stringify(query.tables), query.semanticModel ?? null, query.status, query.provenance.origin, JSON.stringify(query.provenance), now, now);
    return this.db.prepare('SELECT * FROM verified_queries WHERE id = ?').get(info.lastInsertRowid) as VerifiedRow;
  }

  async downvoteSql(sql: string, datasource?: string): Promise<number> {
    return this.db.transaction(() => {
      const fingerprint = sqlFingerprint(sql);
      const scope = datasource === undefined ? '' : `AND datasource IN (@datasource, '')`;
      const params = { fingerprint, datasource, now: new Date().toISOString() };
      this.db.prepare(`UPDATE verified_queries SET downvotes = downvotes + 1, updated_at = @now WHERE sql_fingerprint = @fingerprint ${scope}`).run(params);
      const demoted = this.db
        .prepare(`UPDATE verified_queries SET status = 'demoted' WHERE sql_fingerprint = @fingerprint ${scope} AND status <> 'demoted' AND downvotes >= upvotes`)
        .run(params).changes;
      this.bumpRevision();
      return demoted;
    }).immediate();
  }

  async replaceSemanticModelQueries(semanticModel: string, queries: NewVerifiedQuery[]): Promise<void> {
    this.db.transaction(() => {
      const kept = new Set(queries.map((query) => this.upsertVerified(query, false).id));
      const current = this.db.prepare(`SELECT id FROM verified_queries WHERE origin = 'semantic_model' AND semantic_model = ?`).pluck().all(semanticModel) as number[];
      const remove = this.db.prepare('DELETE FROM verified_queries WHERE id = ?');
      for (const id of current) if (!kept.has(id)) remove.run(id);
      this.bumpRevision();
    }).immediate();
  }

  async listVerifiedQueries(filter: { datasource?: string; includeDemoted?: boolean } = {}): Promise<VerifiedQueryRecord[]> {
    const where: string[] = [];
    if (filter.datasource !== undefined) where.push(`datasource IN (@datasource, '')`);
    if (!filter.includeDemoted) where.push(`status <> 'demoted'`);
    const rows = this.db.prepare(`SELECT * FROM verified_queries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`).all({ datasource: filter.datasource }) as VerifiedRow[];
    return rows.map(verifiedFromRow);
  }

  async getEmbedding(key: EmbeddingKey): Promise<Float32Array | undefined> {
    const row = this.db.prepare('SELECT vector FROM embedding_cache WHERE hash = ? AND model = ?').get(key.hash, key.model) as { vector: Buffer } | undefined;
    return row ? bytesVector(row.vector) : undefined;
  }

  async putEmbedding(key: EmbeddingKey, vector: Float32Array): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO embedding_cache (hash, model, dimensions, vector, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(key.hash, key.model, vector.length, vectorBytes(vector), new Date().toISOString());
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
