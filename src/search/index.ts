/** Schema linking: which tables (and columns) a question needs, ranked, with the joins between them. */
export { SearchService, type SearchServiceOptions } from './service.js';
export { SearchIndex, embeddingText } from './search-index.js';
export { tableDocument, catalogFingerprint, structureHash, MAX_DISTINCT_VALUES } from './documents.js';
export { KeyGraph, foreignKeyLinks, inferredLinks } from './graph.js';
export { tokenize, tokenizeIdentifier, splitWords } from './tokenizer.js';
export { createEmbedder, TransformersEmbedder, OpenAIEmbedder, type Embedder, type EmbeddingsSetting } from './embedders.js';
export { VectorIndex, EXACT_SEARCH_LIMIT } from './vectors.js';
export { DEFAULT_WEIGHTS, type RankingWeights } from './ranking.js';
export { tablePredicate } from './scope.js';
export type * from './types.js';
export { combineKnowledge, InMemoryKnowledge, knowledgeStoreSignals, type QuestionSource } from './knowledge.js';
