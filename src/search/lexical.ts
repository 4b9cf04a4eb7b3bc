import MiniSearch, { type SearchResult as MiniSearchResult } from 'minisearch';
import { documentFields } from './documents.js';
import { tokenize, tokenizeIdentifier } from './tokenizer.js';
import type { TableDocument } from './types.js';

export type LexicalField = keyof ReturnType<typeof documentFields>;

/** Field boosts: a table's own name and its synonyms say the most, its schema the least. */
export const FIELD_BOOSTS: Record<LexicalField, number> = { name: 3, synonyms: 2, description: 1.5, columns: 1, values: 0.5, schema: 0.8 };
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
        fuzzy: (term) => (term.length >= 6 ? 0.15 : false),
        weights: { prefix: 0.3, fuzzy: 0.25 },
        combineWith: 'OR',
      },
    });
  }

  get size(): number {
    return this.search.documentCount;
  }

  addTable(document: TableDocument): void {
    this.search.add({ id: document.name, fields: documentFields(document) });
  }

  addText(id: string, fields: Record<string, string>): void {
    this.search.add({ id, fields });
  }

  has(id: string): boolean {
    return this.search.has(id);
  }

  remove(id: string): void {
    if (this.search.has(id)) this.search.discard(id);
  }

  query(text: string, filter?: (id: string) => boolean): LexicalHit[] {
    const results: MiniSearchResult[] = this.search.search(text, filter ? { filter: (result) => filter(result.id as string) } : undefined);
    return results.map((result) => ({ table: result.id as string, score: result.score, match: result.match }));
  }
}
