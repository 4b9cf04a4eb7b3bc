import SearchableMap from 'minisearch/SearchableMap';
import { appendTerms, tokenize, tokenizeIdentifier } from './tokenizer.js';
import type { TableDocument } from './types.js';

export type LexicalField = 'name' | 'schema' | 'description' | 'synonyms' | 'columns';

/** Field boosts: a table's own name and its synonyms say the most, its schema the least. */
export const FIELD_BOOSTS: Record<LexicalField, number> = { name: 3, synonyms: 2, description: 1.5, columns: 1, schema: 0.8 };
/** Above this many tables, no fuzzy matching (prefix matching stays). */
export const FUZZY_LIMIT = 3_000;
const COMMON_TERM_MIN_TABLES = 2_000;
const COMMON_TERM_SHARE = 0.2;
const IDENTIFIER_FIELDS = new Set<string>(['name', 'columns', 'schema']);
/** MiniSearch's BM25+ parameters and our prefix/fuzzy weights, unchanged from when MiniSearch indexed the tables. */
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
const PREFIX_WEIGHT = 0.3;
const FUZZY_WEIGHT = 0.25;
const FUZZY_SHARE = 0.15;
const MAX_FUZZY = 6;

export interface TableTerms {
  fields: Record<LexicalField, string[]>;
  /** What the table adds to its schema's document: its name, column names, description and synonyms. */
  schema: string[];
}

/**
 * The terms of each field of a table's document. Tokenizing field by field gives the same terms as
 * tokenizing the joined text (words never cross a space); each column name is tokenized once.
 */
export function tableTerms(document: TableDocument): TableTerms {
  const name = tokenizeIdentifier(document.table);
  const schema = [...name];
  for (const alias of document.names) appendTerms(name, alias, true);
  const columns: string[] = [];
  for (const column of document.columns) {
    const start = columns.length;
    appendTerms(columns, column.name, true);
    for (let i = start; i < columns.length; i++) schema.push(columns[i]!);
    if (column.description) appendTerms(columns, column.description, true);
  }
  if (document.description) appendTerms(schema, document.description, true);
  for (const synonym of document.synonyms) appendTerms(schema, synonym, true);
  return {
    fields: {
      name,
      schema: tokenizeIdentifier(document.schema),
      description: tokenize([document.description ?? '', ...document.descriptions].join(' ')),
      synonyms: tokenize([...document.synonyms, ...document.columns.flatMap((column) => column.synonyms)].join(' ')),
      columns,
    },
    schema,
  };
}

/** The documents of one term in one field, by ascending short id, with the term's frequency in each. */
interface FieldPostings {
  docs: number[];
  frequencies: number[];
}

/** Where one term occurs, per field. */
interface Postings {
  fields: (FieldPostings | undefined)[];
  /** Documents holding the term in any field. */
  documents: number;
  lastDocument: number;
}

export interface LexicalHit {
  table: string;
  score: number;
}

export interface LexicalResult {
  /** Best first; ties keep the order in which the documents were first matched. */
  hits: LexicalHit[];
  /** Query term (after prefix/fuzzy expansion) -> fields it matched in this table. */
  match(table: string): Record<string, string[]>;
}

/**
 * BM25+ over per-field documents with the identifier-aware tokenizer: MiniSearch's scoring,
 * prefix and fuzzy expansion (its radix tree holds the term dictionary), fed whole documents'
 * term counts so that indexing 10,000 tables is map updates rather than one tree walk per word.
 */
export class LexicalIndex {
  private readonly fields: readonly LexicalField[];
  private readonly boosts: number[];
  private readonly postings = new Map<string, Postings>();
  private readonly dictionary = new SearchableMap<Postings>();
  private readonly ids: (string | undefined)[] = [];
  private readonly shortIds = new Map<string, number>();
  /** Per document: its distinct terms of each field (to remove it) and their count (BM25 field length). */
  private readonly documentTerms: (string[][] | undefined)[] = [];
  private readonly averageLength: number[];
  private count = 0;
  private readonly scratch = new Scratch();
  /** Whether query terms are expanded by edit distance; by default while the index holds at most FUZZY_LIMIT documents. */
  readonly fuzzy: boolean | undefined;

  constructor(fields: readonly LexicalField[] = ['name', 'schema', 'description', 'synonyms', 'columns'], options: { fuzzy?: boolean } = {}) {
    this.fields = fields;
    this.fuzzy = options.fuzzy;
    this.boosts = fields.map((field) => FIELD_BOOSTS[field]);
    this.averageLength = fields.map(() => 0);
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.shortIds.has(id);
  }

  addTable(document: TableDocument, terms: TableTerms = tableTerms(document)): void {
    this.addTerms(document.name, this.fields.map((field) => terms.fields[field]));
  }

  addText(id: string, fields: Partial<Record<string, string>>): void {
    this.addTerms(
      id,
      this.fields.map((field) => {
        const text = fields[field] ?? '';
        return IDENTIFIER_FIELDS.has(field) ? tokenizeIdentifier(text) : tokenize(text);
      }),
    );
  }

  /** Adds a document from its terms, one list per field of the index (in order, repeats counted). */
  addTerms(id: string, termsByField: readonly (readonly string[])[]): void {
    const doc = this.newDocument(id);
    this.documentTerms[doc] = this.fields.map((_, field) => {
      const distinct: string[] = [];
      for (const term of termsByField[field] ?? []) this.occur(field, doc, term, 1, distinct);
      return this.closeField(field, distinct);
    });
    this.count++;
  }

  /** Adds a document from term frequencies, one map per field of the index (in first-seen order). */
  addCounts(id: string, countsByField: readonly ReadonlyMap<string, number>[]): void {
    const doc = this.newDocument(id);
    this.documentTerms[doc] = this.fields.map((_, field) => {
      const distinct: string[] = [];
      for (const [term, frequency] of countsByField[field] ?? []) this.occur(field, doc, term, frequency, distinct);
      return this.closeField(field, distinct);
    });
    this.count++;
  }

  private newDocument(id: string): number {
    if (this.shortIds.has(id)) throw new Error(`duplicate lexical document ${id}`);
    const doc = this.ids.length;
    this.ids.push(id);
    this.shortIds.set(id, doc);
    return doc;
  }

  /** Counts `times` occurrences of a term in a field of the document being added (the newest one). */
  private occur(field: number, doc: number, term: string, times: number, distinct: string[]): void {
    let postings = this.postings.get(term);
    if (!postings) {
      postings = { fields: this.fields.map(() => undefined), documents: 0, lastDocument: -1 };
      this.postings.set(term, postings);
      this.dictionary.set(term, postings);
    }
    let inField = postings.fields[field];
    if (!inField) postings.fields[field] = inField = { docs: [], frequencies: [] };
    const last = inField.docs.length - 1;
    if (last >= 0 && inField.docs[last] === doc) {
      inField.frequencies[last]! += times;
      return;
    }
    inField.docs.push(doc);
    inField.frequencies.push(times);
    distinct.push(term);
    if (postings.lastDocument !== doc) {
      postings.lastDocument = doc;
      postings.documents++;
    }
  }

  private closeField(field: number, distinct: string[]): string[] {
    // A running mean, as MiniSearch keeps it, so scores match its own to the last bit.
    this.averageLength[field] = (this.averageLength[field]! * this.count + distinct.length) / (this.count + 1);
    return distinct;
  }

  remove(id: string): void {
    const doc = this.shortIds.get(id);
    if (doc === undefined) return;
    const distinct = this.documentTerms[doc]!;
    const terms = new Set<string>();
    distinct.forEach((fieldTerms, field) => {
      this.averageLength[field] = this.count === 1 ? 0 : (this.averageLength[field]! * this.count - fieldTerms.length) / (this.count - 1);
      for (const term of fieldTerms) {
        const postings = this.postings.get(term)!;
        const inField = postings.fields[field]!;
        const at = position(inField.docs, doc);
        inField.docs.splice(at, 1);
        inField.frequencies.splice(at, 1);
        if (inField.docs.length === 0) postings.fields[field] = undefined;
        terms.add(term);
      }
    });
    for (const term of terms) {
      const postings = this.postings.get(term)!;
      if (--postings.documents === 0) {
        this.postings.delete(term);
        this.dictionary.delete(term);
      }
    }
    this.shortIds.delete(id);
    this.ids[doc] = undefined;
    this.documentTerms[doc] = undefined;
    this.count--;
  }

  /**
   * On large catalogues, terms found in more than a fifth of the tables are dropped from the query
   * (when rarer ones remain): their BM25 weight is near zero, and each one matches thousands of tables.
   */
  private queryTerms(text: string): string[] {
    const terms = tokenize(text);
    if (this.count < COMMON_TERM_MIN_TABLES) return terms;
    const rare = terms.filter((term) => (this.postings.get(term)?.documents ?? 0) <= this.count * COMMON_TERM_SHARE);
    return rare.length ? rare : terms;
  }

  query(text: string, filter?: (id: string) => boolean): LexicalResult {
    const terms = this.queryTerms(text);
    const scratch = this.scratch.fit(this.ids.length);
    const { total, matchedTerms, hit, spec, specMark } = scratch;
    const firstHits: number[] = [];
    const derivedOrder: string[] = [];
    const derivedSeen = new Set<string>();
    const firstOccurrence = new Set<string>();
    const fuzzyAllowed = this.fuzzy ?? this.count <= FUZZY_LIMIT;

    terms.forEach((term) => {
      const mark = scratch.nextMark();
      const touched: number[] = [];
      const accumulate = (derived: string, weight: number, postings: Postings | undefined) => {
        if (!postings) return;
        if (!derivedSeen.has(derived)) {
          derivedSeen.add(derived);
          derivedOrder.push(derived);
        }
        this.fields.forEach((_, field) => {
          const inField = postings.fields[field];
          if (!inField) return;
          const average = this.averageLength[field]!;
          const { docs, frequencies } = inField;
          const idf = Math.log(1 + (this.count - docs.length + 0.5) / (docs.length + 0.5));
          const boost = this.boosts[field]!;
          for (let i = 0; i < docs.length; i++) {
            const doc = docs[i]!;
            const frequency = frequencies[i]!;
            const length = this.documentTerms[doc]![field]!.length;
            const bm25 = idf * (BM25.d + (frequency * (BM25.k + 1)) / (frequency + BM25.k * (1 - BM25.b + (BM25.b * length) / average)));
            if (specMark[doc] !== mark) {
              specMark[doc] = mark;
              spec[doc] = 0;
              touched.push(doc);
            }
            spec[doc] = spec[doc]! + weight * boost * bm25;
          }
        });
      };

      accumulate(term, 1, this.postings.get(term));
      const fuzzy = fuzzyAllowed && term.length >= 6 ? Math.min(MAX_FUZZY, Math.round(term.length * FUZZY_SHARE)) : 0;
      const fuzzyMatches = fuzzy ? this.dictionary.fuzzyGet(term, fuzzy) : undefined;
      if (term.length >= 4) {
        for (const [derived, postings] of this.dictionary.atPrefix(term)) {
          const distance = derived.length - term.length;
          if (!distance) continue;
          fuzzyMatches?.delete(derived);
          accumulate(derived, (PREFIX_WEIGHT * derived.length) / (derived.length + 0.3 * distance), postings);
        }
      }
      if (fuzzyMatches) {
        for (const [derived, [postings, distance]] of fuzzyMatches) {
          if (distance) accumulate(derived, (FUZZY_WEIGHT * derived.length) / (derived.length + distance), postings);
        }
      }

      const counted = !firstOccurrence.has(term);
      firstOccurrence.add(term);
      for (const doc of touched) {
        if (!hit[doc]) {
          hit[doc] = 1;
          firstHits.push(doc);
        }
        total[doc] = total[doc]! + spec[doc]!;
        if (counted) matchedTerms[doc] = matchedTerms[doc]! + 1;
      }
    });

    const hits: LexicalHit[] = [];
    try {
      for (const doc of firstHits) {
        const table = this.ids[doc]!;
        if (!filter || filter(table)) hits.push({ table, score: total[doc]! * (matchedTerms[doc] || 1) });
      }
    } finally {
      scratch.clear(firstHits);
    }
    hits.sort((a, b) => b.score - a.score);
    return {
      hits,
      match: (table) => {
        const doc = this.shortIds.get(table);
        const match: Record<string, string[]> = {};
        if (doc === undefined) return match;
        for (const derived of derivedOrder) {
          const postings = this.postings.get(derived)!;
          const fields = this.fields.filter((_, field) => {
            const docs = postings.fields[field]?.docs;
            return docs !== undefined && docs[position(docs, doc)] === doc;
          });
          if (fields.length) match[derived] = fields;
        }
        return match;
      },
    };
  }
}

/** Per-document accumulators that every query of an index reuses (queries run one at a time), so a search allocates nothing per table. */
class Scratch {
  total = new Float64Array(0);
  spec = new Float64Array(0);
  specMark = new Int32Array(0);
  matchedTerms = new Uint16Array(0);
  hit = new Uint8Array(0);
  private mark = 0;

  fit(size: number): this {
    if (this.total.length < size) {
      const length = Math.max(size, this.total.length * 2, 64);
      this.total = new Float64Array(length);
      this.spec = new Float64Array(length);
      this.specMark = new Int32Array(length);
      this.matchedTerms = new Uint16Array(length);
      this.hit = new Uint8Array(length);
      this.mark = 0;
    }
    return this;
  }

  /** A number no document is marked with yet: one per query term. */
  nextMark(): number {
    if (this.mark === 0x7fffffff) {
      this.specMark.fill(0);
      this.mark = 0;
    }
    return ++this.mark;
  }

  /** Back to zero for the documents a query touched (spec and specMark are reset by their mark). */
  clear(documents: readonly number[]): void {
    for (const doc of documents) {
      this.total[doc] = 0;
      this.matchedTerms[doc] = 0;
      this.hit[doc] = 0;
    }
  }
}

/** Where `doc` is (or would go) in an ascending list. */
function position(docs: readonly number[], doc: number): number {
  let low = 0;
  let high = docs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (docs[middle]! < doc) low = middle + 1;
    else high = middle;
  }
  return low;
}
