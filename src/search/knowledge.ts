import type { KnowledgeMatch, KnowledgeSignal, KnowledgeSignals } from './types.js';

/** Several knowledge sources read as one (verified queries of semantic models, the knowledge store...). */
export function combineKnowledge(...sources: (KnowledgeSignals | undefined)[]): KnowledgeSignals {
  const present = sources.filter((source): source is KnowledgeSignals => source !== undefined);
  return {
    async signals(datasource: string): Promise<KnowledgeSignal[]> {
      return (await Promise.all(present.map((source) => source.signals(datasource)))).flat();
    },
    async similar(datasource: string, question: string): Promise<KnowledgeMatch[]> {
      return (await Promise.all(present.map((source) => source.similar?.(datasource, question) ?? []))).flat();
    },
  };
}

/** Signals held in memory: for tests, and for callers that already have them. */
export class InMemoryKnowledge implements KnowledgeSignals {
  constructor(readonly items: KnowledgeSignal[] = []) {}

  add(signal: KnowledgeSignal): void {
    this.items.push(signal);
  }

  async signals(): Promise<KnowledgeSignal[]> {
    return [...this.items];
  }
}

/** What search needs of a store of recorded questions (the knowledge store's `Knowledge` has it). */
export interface QuestionSource {
  similarQuestions(
    question: string,
    k: number,
    options: { datasource: string },
  ): Promise<{ question: string; sql: string; score: number; tables: string[]; source: 'verified_query' | 'history' }[]>;
}

/**
 * Recorded questions looked at per search, the similarity below which one says nothing about the
 * asked question, and how much less than a verified query a history question counts. Tuned on the
 * BIRD learning loop (even question ids; odd ids held out), see README.
 */
export const STORE_QUESTIONS = 10;
export const MIN_SIMILARITY = 0.05;
export const HISTORY_WEIGHT = 0.6;

/**
 * The knowledge store as a knowledge source, scored at query time: its own question index (the
 * similarity generate_sql uses to reuse a verified query) is rebuilt when the store's revision
 * changes, so feedback recorded a moment ago, by this process or another, counts at the next search
 * and the table index is never rebuilt for it. `open` gives no store when none is in use: a search
 * never creates the store's file.
 */
export function knowledgeStoreSignals(open: () => Promise<QuestionSource> | undefined): KnowledgeSignals {
  return {
    async signals(): Promise<KnowledgeSignal[]> {
      return [];
    },
    async similar(datasource: string, question: string): Promise<KnowledgeMatch[]> {
      const store = await open();
      if (!store) return [];
      const matches = await store.similarQuestions(question, STORE_QUESTIONS, { datasource });
      return matches
        .filter((match) => match.score >= MIN_SIMILARITY && match.tables.length > 0)
        .map((match) => ({
          question: match.question,
          sql: match.sql,
          tables: match.tables,
          weight: match.source === 'history' ? HISTORY_WEIGHT : 1,
          label: match.source === 'history' ? 'SQL history' : 'a verified query',
          similarity: match.score,
        }));
    },
  };
}
