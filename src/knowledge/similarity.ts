import { questionTokens } from './text.js';

/**
 * Lexical similarity between questions, tolerant of paraphrase without a model: both sides go
 * through `questionTokens` (synonyms folded, stop words dropped, stems), then TF-IDF cosine over
 * words and adjacent word pairs. A score is in [0, 1]; numbers that differ between two questions
 * ("in 2024" vs "in 2025") cut it, because they usually change the answer.
 */

export interface IndexedQuestion<T> {
  question: string;
  item: T;
}

export interface QuestionMatch<T> {
  item: T;
  question: string;
  score: number;
}

const PAIR_WEIGHT = 0.5;
const NUMBER_MISMATCH_FACTOR = 0.6;
const INTENT_MISMATCH_FACTOR = 0.7;
/** The answer's shape: a count, an average, a share... ("how many" and "list" are different questions on the same words). */
const INTENTS = new Set(['count', 'avg', 'sum', 'max', 'min', 'percent']);

type Vector = Map<string, number>;

function features(tokens: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  tokens.forEach((token) => add(token, 1));
  for (let i = 1; i < tokens.length; i++) add(`${tokens[i - 1]} ${tokens[i]}`, PAIR_WEIGHT);
  return counts;
}

export class QuestionIndex<T> {
  private readonly documents: { question: string; item: T; norm: number; numbers: Set<string>; intents: Set<string> }[] = [];
  private readonly documentFrequency = new Map<string, number>();
  /** feature -> [document, weight] pairs: a search touches only the documents sharing a feature. */
  private readonly postings = new Map<string, [number, number][]>();

  constructor(entries: IndexedQuestion<T>[]) {
    const featureSets = entries.map((entry) => {
      const tokens = questionTokens(entry.question);
      return { entry, tokens, counts: features(tokens) };
    });
    for (const { counts } of featureSets) for (const feature of counts.keys()) this.documentFrequency.set(feature, (this.documentFrequency.get(feature) ?? 0) + 1);
    for (const { entry, tokens, counts } of featureSets) {
      const vector = this.weigh(counts);
      for (const [feature, weight] of vector) {
        const list = this.postings.get(feature) ?? [];
        list.push([this.documents.length, weight]);
        this.postings.set(feature, list);
      }
      this.documents.push({ question: entry.question, item: entry.item, norm: norm(vector), numbers: numbersOf(tokens), intents: intentsOf(tokens) });
    }
  }

  get size(): number {
    return this.documents.length;
  }

  /** Smoothed IDF; a feature the index never saw weighs as much as the rarest one, so unmatched content lowers a score. */
  private idf(feature: string): number {
    const n = this.documents.length || 1;
    const df = this.documentFrequency.get(feature) ?? 0;
    return Math.log(1 + (n + 1) / (df + 0.5));
  }

  private weigh(counts: Map<string, number>): Vector {
    const vector: Vector = new Map();
    for (const [feature, count] of counts) vector.set(feature, (1 + Math.log(count)) * this.idf(feature));
    return vector;
  }

  /** The best matches for a question, best first, scores in [0, 1]. */
  search(question: string, k = 5, minScore = 0): QuestionMatch<T>[] {
    const tokens = questionTokens(question);
    if (tokens.length === 0 || this.documents.length === 0) return [];
    const query = this.weigh(features(tokens));
    const queryNorm = norm(query);
    const numbers = numbersOf(tokens);
    const intents = intentsOf(tokens);
    const dots = new Float64Array(this.documents.length);
    const touched: number[] = [];
    for (const [feature, weight] of query) {
      for (const [document, other] of this.postings.get(feature) ?? []) {
        if (dots[document] === 0) touched.push(document);
        dots[document] = dots[document]! + weight * other;
      }
    }
    const matches: QuestionMatch<T>[] = [];
    for (const position of touched) {
      const dot = dots[position]!;
      const document = this.documents[position]!;
      let score = dot / (queryNorm * document.norm);
      if (!sameSet(numbers, document.numbers)) score *= NUMBER_MISMATCH_FACTOR;
      if (!sameSet(intents, document.intents)) score *= INTENT_MISMATCH_FACTOR;
      if (score >= minScore) matches.push({ item: document.item, question: document.question, score: Math.round(score * 1000) / 1000 });
    }
    return matches.sort((a, b) => b.score - a.score).slice(0, k);
  }
}

function norm(vector: Vector): number {
  let sum = 0;
  for (const weight of vector.values()) sum += weight * weight;
  return Math.sqrt(sum) || 1;
}

function numbersOf(tokens: string[]): Set<string> {
  return new Set(tokens.filter((token) => token.startsWith('#')));
}

function intentsOf(tokens: string[]): Set<string> {
  return new Set(tokens.filter((token) => INTENTS.has(token)));
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}
