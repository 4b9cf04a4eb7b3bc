import type { Connector } from '../connectors/index.js';
import { StratumError, didYouMean } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SemanticModel } from '../semantic/index.js';
import { QuestionIndex } from './similarity.js';
import { TableExtractor } from './tables.js';
import type { FeedbackKind, FeedbackOutcome, FeedbackRecord, KnowledgeStore, NewVerifiedQuery, Provenance, Rating, VerifiedQueryRecord, VerifiedQueryStatus } from './types.js';

export const FEEDBACK_LIMITS = { sqlChars: 50_000, questionChars: 4_000, commentChars: 20_000, idempotencyKeyChars: 200 } as const;

/** Scores at or above this make a recorded question "the same question" (see the measured loop in README). */
export const VERIFIED_MATCH_THRESHOLD = 0.6;

export interface FeedbackInput {
  question?: string;
  sql?: string;
  rating: Rating | string;
  comment?: string;
  correctedSql?: string;
  kind?: FeedbackKind;
  subagent?: string;
  semanticModel?: string;
  datasource?: string;
  clientName?: string;
  idempotencyKey?: string;
}

export interface FeedbackResult {
  id: string;
  stored: true;
  /** False when an idempotency key matched an earlier call: nothing new was stored. */
  created: boolean;
  outcome: FeedbackOutcome;
  detail?: string;
  verifiedQueryId?: number;
}

/** A recorded question close to the asked one, with what it answers and where it came from. */
export interface SimilarQuestion {
  question: string;
  sql: string;
  score: number;
  tables: string[];
  source: 'verified_query' | 'history';
  status?: VerifiedQueryStatus;
  provenance: Provenance | { origin: 'history'; file?: string; line?: number };
  id: number;
}

export interface RelatedTable {
  table: string;
  score: number;
  /** The recorded questions that used the table, best first. */
  questions: string[];
}

export interface KnowledgeOptions {
  store: KnowledgeStore;
  /** The datasource name to use for a request (checks it; the default when omitted). */
  datasourceName: (requested?: string) => string;
  connector: (datasource: string) => Promise<Connector>;
  /** Known subagent names, for validating `subagent`. */
  subagentNames: () => string[];
  /** The semantic models whose verified queries the store mirrors; read lazily. */
  semanticModels?: () => SemanticModel[];
  explainTimeoutMs?: number;
  logger?: Logger;
}

/**
 * The learning loop over a KnowledgeStore: feedback in (validated, stored, then turned into verified
 * query candidates or demotions), similar questions and their tables out.
 */
export class Knowledge {
  private indexes = new Map<string, { revision: number; index: QuestionIndex<SimilarQuestion> }>();
  private extractors = new Map<string, TableExtractor>();
  private syncedModels: SemanticModel[] | undefined;

  constructor(private readonly options: KnowledgeOptions) {}

  get store(): KnowledgeStore {
    return this.options.store;
  }

  /** Table extraction for a datasource: its connector first, then DuckDB's parser, then a text scan. */
  async tableExtractor(datasource?: string): Promise<TableExtractor> {
    const name = this.options.datasourceName(datasource);
    let extractor = this.extractors.get(name);
    if (!extractor) {
      const connector = await this.options.connector(name).catch(() => undefined);
      extractor = new TableExtractor(connector, connector?.dialect === 'postgres' ? 'public' : 'main');
      this.extractors.set(name, extractor);
    }
    return extractor;
  }

  async recordFeedback(input: FeedbackInput): Promise<FeedbackResult> {
    const checked = this.validate(input);
    const { record, created } = await this.store.addFeedback(checked);
    if (!created) {
      return { id: record.id, stored: true, created: false, outcome: record.outcome ?? 'kept', ...(record.outcomeDetail ? { detail: record.outcomeDetail } : {}) };
    }
    const learned = await this.learn(record.id, checked).catch((error: unknown) => {
      this.options.logger?.warn({ err: error, feedback: record.id }, 'feedback stored; the learning step failed');
      return { outcome: 'kept' as const, detail: `Stored; the learning step failed: ${error instanceof Error ? error.message : String(error)}` };
    });
    await this.store.setFeedbackOutcome(record.id, learned.outcome, learned.detail);
    return { id: record.id, stored: true, created: true, ...learned };
  }

  private validate(input: FeedbackInput): Parameters<KnowledgeStore['addFeedback']>[0] {
    const invalid = (message: string, hint: string) => new StratumError('INVALID_ARGUMENT', message, hint);
    if (input.rating !== 'up' && input.rating !== 'down') {
      throw invalid(`rating must be "up" or "down"; got ${JSON.stringify(input.rating)}.`, 'Use "up" for a correct answer, "down" for a wrong one (add corrected_sql when you know the right SQL).');
    }
    const tooLong = (field: string, value: string | undefined, max: number) => {
      if (value !== undefined && value.length > max) {
        throw invalid(`${field} is ${value.length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')} are stored.`, `Send the statement itself, not its results or a whole script; shorten ${field}.`);
      }
    };
    tooLong('sql', input.sql, FEEDBACK_LIMITS.sqlChars);
    tooLong('corrected_sql', input.correctedSql, FEEDBACK_LIMITS.sqlChars);
    tooLong('question', input.question, FEEDBACK_LIMITS.questionChars);
    tooLong('comment', input.comment, FEEDBACK_LIMITS.commentChars);
    tooLong('idempotency_key', input.idempotencyKey, FEEDBACK_LIMITS.idempotencyKeyChars);
    const blank = (value: string | undefined) => (value?.trim() ? value : undefined);
    const [question, sql, comment, correctedSql] = [blank(input.question), blank(input.sql), blank(input.comment), blank(input.correctedSql)];
    if (!question && !sql && !comment && !correctedSql) {
      throw invalid('The feedback is empty: give at least one of question, sql, comment or corrected_sql.', 'Send the question asked and the SQL that answered it, with rating "up" or "down".');
    }
    const kind = input.kind ?? (correctedSql ? 'correction' : 'rating');
    if (kind === 'correction' && !correctedSql) throw invalid('kind "correction" needs corrected_sql.', 'Put the right SQL in corrected_sql, or use kind "issue" to describe the problem in comment.');
    if (input.subagent !== undefined) {
      const known = this.options.subagentNames();
      if (!known.includes(input.subagent)) {
        throw invalid(
          `Unknown subagent "${input.subagent}".${didYouMean(input.subagent, known)}`,
          known.length ? `Known subagents: ${known.join(', ')}. Omit subagent when the answer did not come from one.` : 'No subagents are configured (subagents.paths); omit subagent.',
        );
      }
    }
    return {
      rating: input.rating,
      kind,
      datasource: this.options.datasourceName(input.datasource),
      ...(question ? { question } : {}),
      ...(sql ? { sql } : {}),
      ...(comment ? { comment } : {}),
      ...(correctedSql ? { correctedSql } : {}),
      ...(input.subagent ? { subagent: input.subagent } : {}),
      ...(input.semanticModel ? { semanticModel: input.semanticModel } : {}),
      ...(input.clientName ? { clientName: input.clientName } : {}),
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    };
  }

  /** What the loop learns from one stored record: a candidate from an upvote or a correction, a demotion from a downvote. */
  private async learn(feedbackId: string, feedback: ReturnType<Knowledge['validate']>): Promise<{ outcome: FeedbackOutcome; detail?: string; verifiedQueryId?: number }> {
    const datasource = feedback.datasource!;
    const notes: string[] = [];
    let demoted = false;
    if (feedback.rating === 'down' && feedback.sql) {
      const count = await this.store.downvoteSql(feedback.sql, datasource);
      demoted = true;
      notes.push(count ? `demoted ${count} verified quer${count === 1 ? 'y' : 'ies'} with this SQL` : 'the SQL is marked down; it is not a verified query');
    }
    const goodSql = feedback.correctedSql ?? (feedback.rating === 'up' ? feedback.sql : undefined);
    if (goodSql && feedback.question && feedback.kind !== 'issue') {
      const verified = await this.verify(goodSql, datasource);
      if (!verified.ok) return { outcome: 'not_verified', detail: [...notes, `not a verified query: ${verified.reason}`].join('; ') };
      const record = await this.store.upvoteVerifiedQuery({
        question: feedback.question,
        sql: goodSql,
        tables: verified.tables,
        datasource,
        status: 'candidate',
        provenance: { origin: feedback.correctedSql ? 'correction' : 'feedback', feedbackId },
        ...(feedback.semanticModel ? { semanticModel: feedback.semanticModel } : {}),
      });
      notes.push(`verified query candidate #${record.id} (passed the read-only guard and EXPLAIN on ${datasource}; tables: ${verified.tables.join(', ') || 'none'})`);
      return { outcome: 'candidate', detail: notes.join('; '), verifiedQueryId: record.id };
    }
    if (demoted) return { outcome: 'demoted', detail: notes.join('; ') };
    const why = feedback.kind === 'issue' ? 'kept as an issue for the engineers' : feedback.question ? 'nothing to learn without SQL' : 'nothing to learn without the question';
    return { outcome: 'kept', detail: why };
  }

  private async verify(sql: string, datasource: string): Promise<{ ok: true; tables: string[] } | { ok: false; reason: string }> {
    try {
      const connector = await this.options.connector(datasource);
      await connector.explain(sql, { timeoutMs: this.options.explainTimeoutMs ?? 10_000 });
      return { ok: true, tables: await connector.referencedTables(sql) };
    } catch (error) {
      const reason = error instanceof StratumError ? `${error.code}: ${error.message.split('\n')[0]}` : error instanceof Error ? error.message.split('\n')[0]! : String(error);
      return { ok: false, reason };
    }
  }

  /** An engineer promoted this feedback into a semantic model: its pair is a verified query from now on. */
  async promoted(feedback: FeedbackRecord): Promise<VerifiedQueryRecord | undefined> {
    const sql = feedback.correctedSql ?? (feedback.rating === 'up' ? feedback.sql : undefined);
    if (!feedback.question || !sql) return undefined;
    const datasource = this.options.datasourceName(feedback.datasource);
    const { tables } = await (await this.tableExtractor(datasource)).extract(sql);
    return this.store.upvoteVerifiedQuery({ question: feedback.question, sql, tables, datasource, status: 'verified', provenance: { origin: 'promoted', feedbackId: feedback.id } });
  }

  /** Mirrors the semantic models' verified queries into the store when a model changed (the registry re-reads only changed files, so unchanged models are the same objects). */
  private async syncSemanticModels(): Promise<void> {
    const models = this.options.semanticModels?.();
    if (!models) return;
    const previous = this.syncedModels ?? [];
    if (previous.length === models.length && models.every((model, i) => model === previous[i])) return;
    this.syncedModels = models;
    const datasource = this.options.datasourceName();
    const current = new Set(models.map((model) => model.name));
    for (const gone of previous) if (!current.has(gone.name)) await this.store.replaceSemanticModelQueries(gone.name, []);
    for (const model of models) {
      if (previous.includes(model)) continue;
      const queries: NewVerifiedQuery[] = [];
      for (const query of model.verifiedQueries) {
        const { tables } = await (await this.tableExtractor(datasource)).extract(query.sql);
        queries.push({
          question: query.question,
          sql: query.sql,
          tables,
          datasource,
          semanticModel: model.name,
          status: 'verified',
          provenance: { origin: 'semantic_model', semanticModel: model.name, name: query.name, ...(query.location ? { file: query.location.file, line: query.location.line } : {}) },
        });
      }
      await this.store.replaceSemanticModelQueries(model.name, queries);
    }
  }

  private async index(datasource: string): Promise<QuestionIndex<SimilarQuestion>> {
    await this.syncSemanticModels().catch((error: unknown) => this.options.logger?.warn({ err: error }, 'semantic verified queries not mirrored'));
    const revision = await this.store.revision();
    const cached = this.indexes.get(datasource);
    if (cached?.revision === revision) return cached.index;
    const verified = await this.store.listVerifiedQueries({ datasource });
    const history = await this.store.listHistory({ datasource });
    const entries = [
      ...verified.map((query) => ({ question: query.question, item: similarFromVerified(query) })),
      ...history
        .filter((entry) => entry.question)
        .map((entry) => ({
          question: entry.question!,
          item: {
            question: entry.question!,
            sql: entry.sql,
            score: 0,
            tables: entry.tables,
            source: 'history' as const,
            provenance: { origin: 'history' as const, ...(entry.sourceFile ? { file: entry.sourceFile } : {}), ...(entry.sourceLine ? { line: entry.sourceLine } : {}) },
            id: entry.id,
          },
        })),
    ];
    const index = new QuestionIndex(entries);
    this.indexes.set(datasource, { revision, index });
    return index;
  }

  /** Recorded questions (verified queries, then history with a question) most like this one, best first. */
  async similarQuestions(question: string, k = 5, options: { datasource?: string } = {}): Promise<SimilarQuestion[]> {
    const index = await this.index(this.options.datasourceName(options.datasource));
    return index.search(question, k).map((match) => ({ ...match.item, score: match.score }));
  }

  /** The verified query whose question closely matches this one, if any: its SQL can be reused instead of a new guess. */
  async findVerifiedQuery(question: string, options: { datasource?: string; minScore?: number } = {}): Promise<SimilarQuestion | undefined> {
    const matches = await this.similarQuestions(question, 10, options);
    return matches.find((match) => match.source === 'verified_query' && match.score >= (options.minScore ?? VERIFIED_MATCH_THRESHOLD));
  }

  /** Tables used by the recorded questions most like this one, scored by how closely those match: a boost for schema linking. */
  async relatedTables(question: string, options: { datasource?: string; k?: number } = {}): Promise<RelatedTable[]> {
    const matches = await this.similarQuestions(question, options.k ?? 5, options);
    const tables = new Map<string, RelatedTable>();
    for (const match of matches) {
      for (const table of match.tables) {
        const entry = tables.get(table) ?? { table, score: 0, questions: [] };
        entry.score = Math.round((entry.score + match.score) * 1000) / 1000;
        if (!entry.questions.includes(match.question)) entry.questions.push(match.question);
        tables.set(table, entry);
      }
    }
    return [...tables.values()].sort((a, b) => b.score - a.score || a.table.localeCompare(b.table));
  }

  async close(): Promise<void> {
    await Promise.all([...this.extractors.values()].map((extractor) => extractor.close()));
    this.extractors.clear();
    await this.store.close();
  }
}

function similarFromVerified(query: VerifiedQueryRecord): SimilarQuestion {
  return { question: query.question, sql: query.sql, score: 0, tables: query.tables, source: 'verified_query', status: query.status, provenance: query.provenance, id: query.id };
}
