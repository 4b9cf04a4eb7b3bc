import MiniSearch, { type SearchResult as MiniSearchResult } from 'minisearch';
import { documentFields } from './documents.js';
import { tokenize, tokenizeIdentifier } from './tokenizer.js';
import type { TableDocument } from './types.js';

export type LexicalField = keyof ReturnType<typeof documentFields>;

/** Field boosts: a table's own name and its synonyms say the most, its schema the least. */
export const FIELD_BOOSTS: Record<LexicalField, number> = { name: 3, synonyms: 2, description: 1.5, columns: 1, values: 0.5, schema: 0.8 };
/** Above this many tables, no fuzzy matching (prefix matching stays). */
export const FUZZY_LIMIT = 3_000;
const COMMON_TERM_MIN_TABLES = 2_000;
const COMMON_TERM_SHARE = 0.2;
const IDENTIFIER_FIELDS = new Set<string>(['name', 'columns', 'schema']);

interface Entry {
  id: string;
  fields: Record<string, string>;
}

export interface LexicalHit {
  table: string;
  score: number;
  /** Query term -> fields it matched (after prefix/fuzzy expansion). */
  match: Record<string, string[]>;
}

/** MiniSearch (BM25+) over per-field table documents with the identifier-aware tokenizer. */
export class LexicalIndex {
  private readonly search: MiniSearch<Entry>;
  /** Tables each term occurs in, to drop terms nearly every table has (they only cost time). */
  private readonly frequency = new Map<string, number>();

  constructor(fields: readonly LexicalField[] = ['name', 'schema', 'description', 'synonyms', 'columns']) {
    this.search = new MiniSearch<Entry>({
      idField: 'id',
      fields: [...fields],
      extractField: (entry, field) => (field === 'id' ? entry.id : (entry.fields[field] ?? '')),
      tokenize: (text, field) => (field && IDENTIFIER_FIELDS.has(field) ? tokenizeIdentifier(text) : tokenize(text)),
      processTerm: (term) => term,
      searchOptions: {
        boost: Object.fromEntries(fields.map((field) => [field, FIELD_BOOSTS[field]])),
        prefix: (term) => term.length >= 4,
        // Fuzzy matching walks the whole term tree: worth it on small catalogues, too slow on huge ones.
        fuzzy: (term) => (term.length >= 6 && this.search.documentCount <= FUZZY_LIMIT ? 0.15 : false),
        weights: { prefix: 0.3, fuzzy: 0.25 },
        combineWith: 'OR',
      },
    });
  }

  get size(): number {
    return this.search.documentCount;
  }

  addTable(document: TableDocument): void {
    this.addText(document.name, documentFields(document));
  }

  addText(id: string, fields: Record<string, string>): void {
    this.search.add({ id, fields });
    this.count(fields, 1);
  }

  private count(fields: Record<string, string>, delta: number): void {
    const terms = new Set(Object.values(fields).flatMap((text) => tokenizeIdentifier(text)));
    for (const term of terms) this.frequency.set(term, (this.frequency.get(term) ?? 0) + delta);
  }

  has(id: string): boolean {
    return this.search.has(id);
  }

  remove(id: string, fields?: Record<string, string>): void {
    if (!this.search.has(id)) return;
    this.search.discard(id);
    if (fields) this.count(fields, -1);
  }

  /**
   * On large catalogues, terms found in more than a fifth of the tables are dropped from the query
   * (when rarer ones remain): their BM25 weight is near zero, and scoring them costs a full scan.
   */
  private queryTerms(text: string): string[] {
    const terms = tokenize(text);
    const size = this.search.documentCount;
    if (size < COMMON_TERM_MIN_TABLES) return terms;
    const rare = terms.filter((term) => (this.frequency.get(term) ?? 0) <= size * COMMON_TERM_SHARE);
    return rare.length ? rare : terms;
  }

  query(text: string, filter?: (id: string) => boolean): LexicalHit[] {
    const terms = this.queryTerms(text);
    const results: MiniSearchResult[] = this.search.search(text, { tokenize: () => terms, ...(filter ? { filter: (result) => filter(result.id as string) } : {}) });
    return results.map((result) => ({ table: result.id as string, score: result.score, match: result.match }));
  }
}
