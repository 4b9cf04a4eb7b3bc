/**
 * Weights of the fused score. Each signal is normalised to [0, 1] first (the best candidate of a
 * signal scores 1), so the weights say how much a signal may move a table against the others.
 * Tuned on Spider dev and the even half of BIRD dev (see bench/search-corpora.mjs).
 */
export interface RankingWeights {
  lexical: number;
  /** How well the table's whole schema (database) matches the question. */
  schema: number;
  value: number;
  knowledge: number;
  dense: number;
  /** The best key-linked neighbour's score, times this. */
  neighbour: number;
  /** A table joining two strong hits: the weaker hit's score, times this. */
  bridge: number;
}

export const DEFAULT_WEIGHTS: RankingWeights = {
  lexical: 1,
  schema: 0.6,
  value: 0.9,
  knowledge: 1.5,
  dense: 0.6,
  neighbour: 0.15,
  bridge: 0.3,
};

/** Scales scores so the best is 1. */
export function normalise(scores: Map<string, number>): Map<string, number> {
  let max = 0;
  for (const score of scores.values()) max = Math.max(max, score);
  if (max <= 0) return new Map();
  return new Map([...scores].map(([key, score]) => [key, score / max]));
}
