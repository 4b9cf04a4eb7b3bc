import { createHash } from 'node:crypto';
import { KeyGraph } from './graph.js';
import { FUZZY_LIMIT, LexicalIndex, tableTerms } from './lexical.js';
import { DEFAULT_WEIGHTS, normalise, type RankingWeights } from './ranking.js';
import { tablePredicate } from './scope.js';
import { tokenize, tokenizeIdentifier } from './tokenizer.js';
import { VectorIndex } from './vectors.js';
import type { ColumnDocument, ColumnMatch, KeyLink, KnowledgeMatch, KnowledgeSignal, SearchOptions, SearchResult, TableDocument, TableMatch } from './types.js';

const DEFAULT_TOP_K = 8;
const DEFAULT_MAX_COLUMNS = 12;
const SEED_COUNT = 10;
const SCHEMA_CANDIDATES = 3;

interface ValueEntry {
  table: string;
  column: string;
  value: string;
  terms: string[];
}

/** What a table adds to the value lookup and to its schema's document; recomputed only when it changes. */
interface DerivedParts {
  values: ValueEntry[];
  schemaTerms: string[];
}

function derivedOf(document: TableDocument, schemaTerms: string[]): DerivedParts {
  const values: ValueEntry[] = [];
  for (const column of document.columns) {
    for (const value of column.values) {
      const terms = tokenize(value);
      if (terms.length > 0 && terms.length <= 4) values.push({ table: document.name, column: column.name, value, terms });
    }
  }
  return { values, schemaTerms };
}

function addCounts(counts: Map<string, number>, terms: readonly string[]): Map<string, number> {
  for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
  return counts;
}

interface Scored {
  score: number;
  reasons: string[];
}

/** Text a table is embedded from: its name, description and columns. */
export function embeddingText(document: TableDocument): string {
  const columns = document.columns.map((column) => (column.description ? `${column.name} (${column.description})` : column.name)).join(', ');
  return `${document.name}${document.description ? `: ${document.description}` : ''}. Columns: ${columns}`;
}

export function contentHash(text: string): string {
  return createHash('sha1').update(text).digest('base64url');
}

/**
 * The ranked index over one datasource's tables: lexical (MiniSearch BM25+), values, knowledge,
 * optional vectors, and the key graph. Built from documents; updated incrementally by hash.
 */
export class SearchIndex {
  private readonly documents = new Map<string, TableDocument>();
  private lexical = new LexicalIndex();
  private schemaLexical: LexicalIndex | undefined;
  private values = new Map<string, ValueEntry[]>();
  private readonly derived = new Map<string, DerivedParts>();
  private lowerCaseNames: Map<string, string> | undefined;
  private tablesBySchema = new Map<string, string[]>();
  private graph = new KeyGraph([]);
  private knowledge = new LexicalIndex(['description']);
  private signals: KnowledgeSignal[] = [];
  private vectors: VectorIndex | undefined;
  /** Embeddings by content hash (and embedder id), kept across refreshes. */
  readonly embeddingCache = new Map<string, number[]>();

  constructor(readonly weights: RankingWeights = DEFAULT_WEIGHTS) {}

  get tableCount(): number {
    return this.documents.size;
  }

  get links(): readonly KeyLink[] {
    return this.graph.links;
  }

  document(name: string): TableDocument | undefined {
    return this.documents.get(name);
  }

  allDocuments(): TableDocument[] {
    return [...this.documents.values()];
  }

  /** Replaces the documents, touching only those whose hash changed. */
  update(documents: readonly TableDocument[], links: readonly KeyLink[]): { added: number; changed: number; removed: number; unchanged: number } {
    const counts = { added: 0, changed: 0, removed: 0, unchanged: 0 };
    const dirtySchemas = new Set<string>();
    const incoming = new Map(documents.map((document) => [document.name, document]));
    for (const [name, known] of [...this.documents]) {
      if (!incoming.has(name)) {
        this.lexical.remove(name);
        this.documents.delete(name);
        this.derived.delete(name);
        dirtySchemas.add(known.schema);
        counts.removed++;
      }
    }
    for (const document of documents) {
      const known = this.documents.get(document.name);
      if (known?.hash === document.hash) {
        counts.unchanged++;
        continue;
      }
      if (known) {
        this.lexical.remove(document.name);
        dirtySchemas.add(known.schema);
        counts.changed++;
      } else counts.added++;
      const terms = tableTerms(document);
      this.lexical.addTable(document, terms);
      this.documents.set(document.name, document);
      this.derived.set(document.name, derivedOf(document, terms.schema));
      dirtySchemas.add(document.schema);
    }
    this.graph = new KeyGraph(links.filter((link) => this.documents.has(link.left) && this.documents.has(link.right)));
    this.lowerCaseNames = undefined;
    this.rebuildDerived(dirtySchemas);
    return counts;
  }

  /** The value lookup and the tables of each schema, from each table's derived parts; the per-schema index where tables changed. */
  private rebuildDerived(dirtySchemas: Set<string>): void {
    this.values = new Map();
    this.tablesBySchema = new Map();
    for (const document of this.documents.values()) {
      for (const entry of this.derived.get(document.name)!.values) {
        const list = this.values.get(entry.terms[0]!);
        if (list) list.push(entry);
        else this.values.set(entry.terms[0]!, [entry]);
      }
      const tables = this.tablesBySchema.get(document.schema);
      if (tables) tables.push(document.name);
      else this.tablesBySchema.set(document.schema, [document.name]);
    }
    if (this.tablesBySchema.size <= 1) {
      this.schemaLexical = undefined;
      return;
    }
    // One document per schema, but their dictionary is the whole catalogue's: fuzzy only where the tables' index has it.
    const fuzzy = this.documents.size <= FUZZY_LIMIT;
    let schemas: Iterable<string> = dirtySchemas;
    if (!this.schemaLexical || this.schemaLexical.fuzzy !== fuzzy) {
      this.schemaLexical = new LexicalIndex(['columns'], { fuzzy });
      schemas = this.tablesBySchema.keys();
    }
    for (const schema of schemas) {
      this.schemaLexical.remove(schema);
      const tables = this.tablesBySchema.get(schema);
      if (!tables) continue;
      const terms = addCounts(new Map(), tokenizeIdentifier(schema));
      for (const table of tables) addCounts(terms, this.derived.get(table)!.schemaTerms);
      this.schemaLexical.addCounts(schema, [terms]);
    }
  }

  setKnowledge(signals: readonly KnowledgeSignal[]): void {
    this.signals = signals
      .map((signal) => ({ ...signal, tables: signal.tables.map((table) => this.catalogName(table)) }))
      .filter((signal) => signal.tables.some((table) => this.documents.has(table)));
    this.knowledge = new LexicalIndex(['description']);
    this.signals.forEach((signal, index) => this.knowledge.addText(String(index), { description: signal.question }));
  }

  /** Vectors for the documents, from the cache where the text did not change. */
  setVectors(embedderId: string, vectors: Map<string, number[]>): void {
    this.vectors = new VectorIndex(
      [...this.documents.values()].flatMap((document) => {
        const vector = vectors.get(`${embedderId}:${contentHash(embeddingText(document))}`);
        return vector ? [[document.name, vector] as [string, number[]]] : [];
      }),
    );
  }

  get hasVectors(): boolean {
    return (this.vectors?.size ?? 0) > 0;
  }

  /** `knowledge`: recorded questions like this one, found at query time by a knowledge source. */
  search(query: string, options: SearchOptions = {}, queryVector?: number[], knowledge: readonly KnowledgeMatch[] = []): SearchResult {
    const topK = Math.max(1, options.topK ?? DEFAULT_TOP_K);
    const allowed = tablePredicate(options.filter);
    const inScope = allowed ? (table: string) => this.documents.has(table) && allowed(table) : (table: string) => this.documents.has(table);
    const terms = new Set(tokenize(query));
    const candidates = new Map<string, Scored>();
    const candidate = (table: string): Scored => {
      let scored = candidates.get(table);
      if (!scored) {
        scored = { score: 0, reasons: [] };
        candidates.set(table, scored);
      }
      return scored;
    };
    const w = this.weights;

    const lexicalResult = this.lexical.query(query, allowed);
    const lexical = normalise(new Map(lexicalResult.hits.map((hit) => [hit.table, hit.score])));
    for (const [table, score] of lexical) candidate(table).score += w.lexical * score;

    if (this.schemaLexical) {
      const schemaScores = normalise(new Map(this.schemaLexical.query(query).hits.map((hit) => [hit.table, hit.score])));
      const topSchemas = new Set([...schemaScores].sort((a, b) => b[1] - a[1]).slice(0, SCHEMA_CANDIDATES).map(([schema]) => schema));
      const boosted = new Set([...candidates.keys(), ...[...topSchemas].flatMap((schema) => this.tablesBySchema.get(schema) ?? [])]);
      for (const table of boosted) {
        const score = schemaScores.get(this.documents.get(table)!.schema);
        if (score && inScope(table)) candidate(table).score += w.schema * score;
      }
    }

    for (const [table, { score, reason }] of this.valueHits(terms, inScope)) {
      const scored = candidate(table);
      scored.score += w.value * score;
      scored.reasons.push(reason);
    }

    for (const [table, { score, reason }] of this.knowledgeHits(query, inScope, knowledge)) {
      const scored = candidate(table);
      scored.score += w.knowledge * score;
      scored.reasons.push(reason);
    }

    if (queryVector && this.vectors) {
      const hits = this.vectors.nearest(queryVector, Math.max(50, topK * 4)).filter((hit) => inScope(hit.id));
      const low = hits.at(-1)?.score ?? 0;
      const high = hits[0]?.score ?? 0;
      for (const hit of hits) {
        const score = high > low ? (hit.score - low) / (high - low) : 1;
        if (score > 0) candidate(hit.id).score += w.dense * score;
      }
    }

    this.expandOverKeys(candidates, inScope, candidate);

    const ranked = best(
      [...candidates].filter(([, scored]) => scored.score > 0),
      topK,
      (a, b) => b[1].score - a[1].score || a[0].localeCompare(b[0]),
    );
    const tables = ranked.map(([table, scored]) => this.present(table, scored, terms, lexicalResult.match(table), options.maxColumns ?? DEFAULT_MAX_COLUMNS));
    return { tables, joinPaths: this.graph.joinPaths(tables.map((table) => table.name)) };
  }

  /** Neighbours of the strongest hits rank up; a table linking two of them ranks up more. */
  private expandOverKeys(candidates: Map<string, Scored>, inScope: (table: string) => boolean, candidate: (table: string) => Scored): void {
    const seeds = best([...candidates], SEED_COUNT, (a, b) => b[1].score - a[1].score);
    const linked = new Map<string, { table: string; score: number }[]>();
    for (const [seed, scored] of seeds) {
      for (const neighbour of this.graph.neighbours(seed)) {
        if (!inScope(neighbour)) continue;
        const list = linked.get(neighbour) ?? [];
        list.push({ table: seed, score: scored.score });
        linked.set(neighbour, list);
      }
    }
    for (const [table, seedsOf] of linked) {
      seedsOf.sort((a, b) => b.score - a.score);
      const scored = candidate(table);
      scored.score += this.weights.neighbour * seedsOf[0]!.score;
      if (seedsOf.length >= 2) {
        scored.score += this.weights.bridge * seedsOf[1]!.score;
        scored.reasons.push(`joins ${seedsOf[0]!.table} and ${seedsOf[1]!.table}`);
      } else if (!scored.reasons.length && seedsOf[0]) scored.reasons.push(`key link to ${seedsOf[0].table}`);
    }
  }

  private valueHits(terms: Set<string>, inScope: (table: string) => boolean): Map<string, { score: number; reason: string }> {
    const matched: ValueEntry[] = [];
    for (const term of terms) for (const entry of this.values.get(term) ?? []) if (inScope(entry.table) && entry.terms.every((t) => terms.has(t))) matched.push(entry);
    const tablesPerValue = new Map<string, Set<string>>();
    for (const entry of matched) {
      const key = entry.terms.join(' ');
      tablesPerValue.set(key, (tablesPerValue.get(key) ?? new Set()).add(entry.table));
    }
    const hits = new Map<string, { score: number; reason: string }>();
    for (const entry of matched) {
      const spread = tablesPerValue.get(entry.terms.join(' '))!.size;
      const score = entry.terms.length / spread;
      const known = hits.get(entry.table);
      if (!known || known.score < score) hits.set(entry.table, { score, reason: `value "${entry.value}" in column ${entry.column}` });
    }
    const best = Math.max(0, ...[...hits.values()].map((hit) => hit.score));
    for (const hit of hits.values()) hit.score /= best || 1;
    return hits;
  }

  /**
   * Tables of known questions like this one. Indexed signals score relative to the best-matching
   * signal (the best one table has counts). Matches found at query time bring an absolute similarity,
   * and add up: a table that several recorded questions like this one use ranks up more.
   */
  private knowledgeHits(query: string, inScope: (table: string) => boolean, matches: readonly KnowledgeMatch[]): Map<string, { score: number; reason: string }> {
    const hits = new Map<string, { score: number; reason: string }>();
    const tablesOf = (signal: KnowledgeSignal) => [...new Set(signal.tables.map((table) => this.catalogName(table)))].filter(inScope);
    const reason = (signal: KnowledgeSignal, detail?: string) => `used by ${signal.label ?? 'a known question'}: "${signal.question}"${detail ? ` (${detail})` : ''}`;

    const found = this.knowledge.query(query).hits;
    const best = found[0]?.score ?? 0;
    for (const hit of found.slice(0, 5)) {
      const signal = this.signals[Number(hit.table)]!;
      const score = (hit.score / best) * signal.weight;
      for (const table of tablesOf(signal)) {
        const known = hits.get(table);
        if (!known || known.score < score) hits.set(table, { score, reason: reason(signal) });
      }
    }

    const summed = new Map<string, { score: number; best: KnowledgeMatch; count: number }>();
    for (const match of matches) {
      const score = match.similarity * match.weight;
      for (const table of tablesOf(match)) {
        const known = summed.get(table);
        if (!known) summed.set(table, { score, best: match, count: 1 });
        else {
          known.score += score;
          known.count++;
          if (match.similarity * match.weight > known.best.similarity * known.best.weight) known.best = match;
        }
      }
    }
    for (const [table, { score, best: top, count }] of summed) {
      const more = count === 1 ? '' : count === 2 ? '; 1 more recorded question like it uses the table' : `; ${count - 1} more recorded questions like it use the table`;
      const known = hits.get(table);
      if (!known || known.score < score) hits.set(table, { score, reason: reason(top, `similarity ${top.similarity.toFixed(2)}${more}`) });
    }
    return hits;
  }

  /** The catalog's spelling of a `schema.table` name another source wrote (SQL may differ in case). */
  private catalogName(table: string): string {
    if (this.documents.has(table)) return table;
    if (!this.lowerCaseNames) this.lowerCaseNames = new Map([...this.documents.keys()].map((name) => [name.toLowerCase(), name]));
    return this.lowerCaseNames.get(table.toLowerCase()) ?? table;
  }

  private present(table: string, scored: Scored, terms: Set<string>, match: Record<string, string[]> | undefined, maxColumns: number): TableMatch {
    const document = this.documents.get(table)!;
    const reasons: string[] = [];
    const termsIn = (field: string) => Object.entries(match ?? {}).filter(([, fields]) => fields.includes(field)).map(([term]) => term);
    const nameTerms = termsIn('name');
    if (nameTerms.length) reasons.push(`table name matches ${quoteList(nameTerms)}`);
    const synonymTerms = termsIn('synonyms');
    if (synonymTerms.length) reasons.push(`synonym matches ${quoteList(synonymTerms)}`);
    const descriptionTerms = termsIn('description');
    if (descriptionTerms.length) reasons.push(`description matches ${quoteList(descriptionTerms)}`);

    const matchedColumns = new Set<string>();
    const prefixes = [...terms].filter((q) => q.length >= 4);
    for (const column of document.columns) {
      const hit = columnTerms(column).filter((term) => terms.has(term) || prefixes.some((q) => term.startsWith(q)));
      if (hit.length) {
        matchedColumns.add(column.name);
        reasons.push(`column ${column.name} matches ${quoteList([...new Set(hit)])}`);
      }
    }
    for (const reason of scored.reasons) {
      const column = /in column (.+)$/.exec(reason)?.[1];
      if (column) matchedColumns.add(column);
    }
    const ordered = [
      ...document.columns.filter((column) => matchedColumns.has(column.name)),
      ...document.columns.filter((column) => !matchedColumns.has(column.name) && (column.primaryKey || column.foreignKey)),
    ];
    if (ordered.length < maxColumns) ordered.push(...document.columns.filter((column) => !ordered.includes(column)).slice(0, maxColumns - ordered.length));
    const columns: ColumnMatch[] = ordered.slice(0, maxColumns).map((column) => ({
      name: column.name,
      type: column.type,
      ...(column.description ? { description: column.description } : {}),
      matched: matchedColumns.has(column.name),
    }));
    const description = document.description ?? document.descriptions[0];
    return {
      name: table,
      score: Math.round(scored.score * 1000) / 1000,
      ...(description ? { description } : {}),
      columns,
      reasons: [...new Set([...reasons, ...scored.reasons])].slice(0, 8),
    };
  }
}

const termsOfColumn = new WeakMap<ColumnDocument, string[]>();

/** The words a column is known by (name, description, synonyms), remembered for the next search. */
function columnTerms(column: ColumnDocument): string[] {
  let terms = termsOfColumn.get(column);
  if (!terms) {
    terms = [...tokenizeIdentifier(column.name), ...tokenize(column.description ?? ''), ...column.synonyms.flatMap((synonym) => tokenize(synonym))];
    termsOfColumn.set(column, terms);
  }
  return terms;
}

/**
 * The first `count` entries of `entries.sort(compare)` (a stable sort, best score first), sorting
 * only those that score at least the count-th best: queries on large catalogues match thousands.
 */
function best(entries: [string, Scored][], count: number, compare: (a: [string, Scored], b: [string, Scored]) => number): [string, Scored][] {
  if (entries.length > count) {
    const scores = Float64Array.from(entries, ([, scored]) => scored.score).sort();
    const threshold = scores[scores.length - count]!;
    entries = entries.filter(([, scored]) => scored.score >= threshold);
  }
  return entries.sort(compare).slice(0, count);
}

function quoteList(terms: string[]): string {
  return terms.map((term) => `"${term}"`).join(', ');
}
