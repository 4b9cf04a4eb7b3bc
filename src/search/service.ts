import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../logger.js';
import { MAX_DISTINCT_VALUES, catalogFingerprint, isTextType, structureHash, tableDocument } from './documents.js';
import type { Embedder } from './embedders.js';
import { foreignKeyLinks, inferredLinks } from './graph.js';
import type { RankingWeights } from './ranking.js';
import { SearchIndex, contentHash, embeddingText } from './search-index.js';
import type {
  CatalogSnapshot,
  CatalogTable,
  KnowledgeMatch,
  KnowledgeSignals,
  Progress,
  RefreshReport,
  SampleValues,
  SearchOptions,
  SearchResult,
  SemanticSignals,
  TableAnnotation,
  TableDocument,
} from './types.js';

const FILE_VERSION = 2;
const MAX_VALUE_LENGTH = 60;
const KNOWLEDGE_TTL_MS = 5_000;

export interface SearchServiceOptions {
  datasource: string;
  /** The current catalog; a new snapshot object means the catalog may have changed. */
  loadCatalog: () => Promise<CatalogSnapshot>;
  /** Frequent values of a column; text columns with at most 50 distinct values are indexed. */
  sampleValues?: SampleValues;
  semantic?: () => Promise<SemanticSignals>;
  knowledge?: KnowledgeSignals;
  embedder?: Embedder;
  /** Where the index is kept between processes (beside the knowledge store). */
  persistPath?: string;
  logger?: Logger;
  weights?: RankingWeights;
  /** Text columns sampled for values at most, per refresh (the rest keep their earlier values). */
  maxValueColumns?: number;
}

interface PersistedIndex {
  version: number;
  datasource: string;
  fingerprint: string;
  documents: TableDocument[];
  embeddings: Record<string, number[]>;
}

/**
 * Keeps one datasource's search index alive: built on first use (or by `stratum index`), persisted,
 * refreshed incrementally when the catalog or the semantic models change.
 */
export class SearchService {
  private index: SearchIndex | undefined;
  private building: Promise<SearchIndex> | undefined;
  private seenSnapshot: CatalogSnapshot | undefined;
  private seenSemantic = '';
  private fingerprint = '';
  private knowledgeLoadedAt = 0;
  private knowledgeFailed = false;

  constructor(private readonly options: SearchServiceOptions) {}

  /** The index, built or refreshed first when the catalog or semantic models changed. */
  async ready(onProgress?: Progress): Promise<SearchIndex> {
    while (this.building) await this.building.catch(() => undefined);
    const snapshot = await this.options.loadCatalog();
    const semantic = await this.semanticSignals();
    const semanticKey = JSON.stringify(semantic);
    if (!this.index || snapshot !== this.seenSnapshot || semanticKey !== this.seenSemantic) {
      this.building = this.refreshWith(snapshot, semantic, onProgress).then(() => this.index!);
      try {
        await this.building;
      } finally {
        this.building = undefined;
      }
    }
    await this.refreshKnowledge();
    return this.index!;
  }

  async search(query: string, options: SearchOptions & { onProgress?: Progress } = {}): Promise<SearchResult> {
    const index = await this.ready(options.onProgress);
    const vector = this.options.embedder && index.hasVectors ? (await this.options.embedder.embed([query]))[0] : undefined;
    return index.search(query, options, vector, await this.similarKnowledge(query));
  }

  /** Recorded questions like this one, from the sources that answer at query time; none when a source fails. */
  private async similarKnowledge(query: string): Promise<KnowledgeMatch[]> {
    try {
      return (await this.options.knowledge?.similar?.(this.options.datasource, query)) ?? [];
    } catch (error) {
      // Said once at warn level: a broken store should be seen, not repeated on every search.
      const level = this.knowledgeFailed ? 'debug' : 'warn';
      this.knowledgeFailed = true;
      this.options.logger?.[level]({ datasource: this.options.datasource, err: error }, 'knowledge not read for this search');
      return [];
    }
  }

  /** Re-reads everything and updates what changed (the `stratum index` command). */
  async refresh(onProgress?: Progress): Promise<RefreshReport> {
    return this.refreshWith(await this.options.loadCatalog(), await this.semanticSignals(), onProgress);
  }

  private async semanticSignals(): Promise<SemanticSignals> {
    return (await this.options.semantic?.()) ?? { tables: [], links: [] };
  }

  private async refreshWith(snapshot: CatalogSnapshot, semantic: SemanticSignals, onProgress?: Progress): Promise<RefreshReport> {
    const started = performance.now();
    const firstBuild = !this.index;
    const index = this.index ?? new SearchIndex(this.options.weights);
    const persisted = firstBuild ? this.readPersisted() : undefined;
    const previous = new Map((persisted?.documents ?? index.allDocuments()).map((document) => [document.name, document]));
    if (persisted) for (const [key, vector] of Object.entries(persisted.embeddings)) index.embeddingCache.set(key, vector);

    // Semantic models may spell names in another case than the catalog.
    const catalogName = new Map(snapshot.tables.map((table) => [table.name.toLowerCase(), table.name]));
    const annotationsByTable = new Map<string, TableAnnotation[]>();
    for (const annotation of semantic.tables) {
      const name = catalogName.get(annotation.table.toLowerCase());
      if (name) annotationsByTable.set(name, [...(annotationsByTable.get(name) ?? []), annotation]);
    }
    const semanticLinks = semantic.links.flatMap((link) => {
      const left = catalogName.get(link.left.toLowerCase());
      const right = catalogName.get(link.right.toLowerCase());
      return left && right ? [{ ...link, left, right }] : [];
    });
    const values = await this.sampleTables(snapshot, previous, onProgress);
    const documents = snapshot.tables.map((table) => {
      const annotations = annotationsByTable.get(table.name) ?? [];
      const read = values.get(table.name);
      if (read) return tableDocument(table, annotations, read, true);
      const prior = previous.get(table.name);
      if (!prior || prior.structureHash !== structureHash(table)) return tableDocument(table, annotations, undefined, false);
      return tableDocument(table, annotations, new Map(prior.columns.map((column) => [column.name, column.values])), prior.valuesRead === true);
    });
    const declared = [...foreignKeyLinks(snapshot.tables), ...semanticLinks];
    const counts = index.update(documents, [...declared, ...inferredLinks(snapshot.tables, declared)]);
    if (persisted && firstBuild) {
      // Against the persisted index, "changed" is what differs from the file, not from an empty index.
      const before = new Map(persisted.documents.map((document) => [document.name, document.hash]));
      const now = new Set(documents.map((document) => document.name));
      counts.added = documents.filter((document) => !before.has(document.name)).length;
      counts.changed = documents.filter((document) => before.has(document.name) && before.get(document.name) !== document.hash).length;
      counts.unchanged = documents.length - counts.added - counts.changed;
      counts.removed = [...before.keys()].filter((name) => !now.has(name)).length;
    }
    await this.embedDocuments(index, onProgress);
    this.index = index;
    this.seenSnapshot = snapshot;
    this.seenSemantic = JSON.stringify(semantic);
    this.knowledgeLoadedAt = 0;
    const fingerprint = catalogFingerprint(snapshot.tables);
    if (counts.added || counts.changed || counts.removed || !persisted || fingerprint !== this.fingerprint) this.persist(fingerprint, index);
    this.fingerprint = fingerprint;
    const report = { ...counts, tables: documents.length, elapsedMs: Math.round(performance.now() - started) };
    this.options.logger?.info({ datasource: this.options.datasource, ...report }, 'search index refreshed');
    return report;
  }

  /**
   * Values of low-cardinality text columns: first of tables that are new or whose structure changed,
   * then of tables not read yet, whole tables up to `maxValueColumns` columns; the rest wait for the next refresh.
   */
  private async sampleTables(snapshot: CatalogSnapshot, previous: Map<string, TableDocument>, onProgress?: Progress): Promise<Map<string, Map<string, string[]>>> {
    const sample = this.options.sampleValues;
    const result = new Map<string, Map<string, string[]>>();
    if (!sample) return result;
    const changed: CatalogTable[] = [];
    const unread: CatalogTable[] = [];
    for (const table of snapshot.tables) {
      if (table.kind !== 'table') continue;
      const prior = previous.get(table.name);
      if (prior?.structureHash !== structureHash(table)) changed.push(table);
      else if (!prior.valuesRead) unread.push(table);
    }
    const budget = this.options.maxValueColumns ?? 2_000;
    const work: { table: string; column: string }[] = [];
    for (const table of [...changed, ...unread]) {
      const columns = table.columns.filter((column) => isTextType(column.type));
      if (work.length > 0 && work.length + columns.length > budget) break;
      result.set(table.name, new Map());
      for (const column of columns) work.push({ table: table.name, column: column.name });
    }
    let done = 0;
    for (const { table, column } of work) {
      onProgress?.(done++, work.length, `sampling values of ${table}.${column}`);
      try {
        const found = await sample(table, column, MAX_DISTINCT_VALUES + 1);
        const strings = found.filter((value): value is string => typeof value === 'string' && value.length <= MAX_VALUE_LENGTH);
        result.get(table)!.set(column, found.length <= MAX_DISTINCT_VALUES ? strings : []);
      } catch (error) {
        this.options.logger?.debug({ table, column, err: error }, 'value sampling failed');
      }
    }
    if (work.length) onProgress?.(work.length, work.length, 'values sampled');
    return result;
  }

  private async embedDocuments(index: SearchIndex, onProgress?: Progress): Promise<void> {
    const embedder = this.options.embedder;
    if (!embedder) return;
    const missing = index
      .allDocuments()
      .map((document) => embeddingText(document))
      .filter((text) => !index.embeddingCache.has(`${embedder.id}:${contentHash(text)}`));
    const batch = 64;
    for (let start = 0; start < missing.length; start += batch) {
      onProgress?.(start, missing.length, 'embedding tables');
      const texts = missing.slice(start, start + batch);
      const vectors = await embedder.embed(texts);
      texts.forEach((text, i) => index.embeddingCache.set(`${embedder.id}:${contentHash(text)}`, vectors[i]!));
    }
    index.setVectors(embedder.id, index.embeddingCache);
  }

  private async refreshKnowledge(): Promise<void> {
    if (!this.options.knowledge || Date.now() - this.knowledgeLoadedAt < KNOWLEDGE_TTL_MS) return;
    this.index!.setKnowledge(await this.options.knowledge.signals(this.options.datasource));
    this.knowledgeLoadedAt = Date.now();
  }

  private readPersisted(): PersistedIndex | undefined {
    if (!this.options.persistPath) return undefined;
    try {
      const file = JSON.parse(readFileSync(this.options.persistPath, 'utf8')) as PersistedIndex;
      return file.version === FILE_VERSION && file.datasource === this.options.datasource ? file : undefined;
    } catch {
      return undefined;
    }
  }

  private persist(fingerprint: string, index: SearchIndex): void {
    const path = this.options.persistPath;
    if (!path) return;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const file: PersistedIndex = { version: FILE_VERSION, datasource: this.options.datasource, fingerprint, documents: index.allDocuments(), embeddings: Object.fromEntries(index.embeddingCache) };
      // Written aside and renamed, so another process never reads half a file.
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(file));
      renameSync(temporary, path);
    } catch (error) {
      this.options.logger?.warn({ path, err: error }, 'could not persist the search index');
    }
  }
}
