import type { StratumConfig } from './config/index.js';
import { Catalog } from './catalog/index.js';
import { createConnector, type Connector } from './connectors/index.js';
import { StratumError, didYouMean } from './errors.js';
import type { Knowledge } from './knowledge/index.js';
import { logger as defaultLogger, type Logger } from './logger.js';

import { subagentNames } from './subagents/names.js';
import { SubagentRegistry, createToolScope, type ToolScope } from './subagents/index.js';
import { TOOL_NAMES } from './tools/index.js';
import { SemanticRegistry, semanticSearchSignals, verifiedQuerySignals } from './semantic/index.js';
import { OpenAIChatModel } from './generation/openai.js';
import { SearchService, combineKnowledge, createEmbedder, knowledgeStoreSignals, type KnowledgeSignals } from './search/index.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Everything a server process shares across sessions: config, connectors and catalogs.
 * Built once per process; connectors open their datasource on first use.
 */
export class AppContext {
  private readonly connectors = new Map<string, Promise<Connector>>();
  private readonly catalogs = new Map<string, Promise<Catalog>>();
  private semanticRegistry: SemanticRegistry | undefined;
  private knowledgeService: Promise<Knowledge> | undefined;
  private readonly searchServices = new Map<string, SearchService>();
  private endpointModel: OpenAIChatModel | undefined;
  private subagentRegistry: SubagentRegistry | undefined;
  private readonly toolScopes = new Map<string, ToolScope>();
  /** Extra knowledge for search (the knowledge store plugs in here); verified queries are always read. */
  readonly searchKnowledge: KnowledgeSignals[] = [];

  constructor(
    readonly config: StratumConfig,
    readonly logger: Logger = defaultLogger,
  ) {
    // search_tables reads the knowledge store at query time, once it exists: a search never creates it.
    this.searchKnowledge.push(knowledgeStoreSignals(() => (this.knowledgeStoreInUse() ? this.knowledge() : undefined)));
  }

  /** A knowledge store was configured by URL or its file was written (by feedback, history import, any process). */
  knowledgeStoreInUse(): boolean {
    return this.config.knowledge.url !== undefined || existsSync(this.config.knowledge.path);
  }

  /** The datasource name to use: the one asked for (checked), else the default. */
  datasourceName(requested?: string): string {
    if (!requested) return this.config.defaultDatasource;
    if (requested in this.config.datasources) return requested;
    const known = Object.keys(this.config.datasources);
    throw new StratumError(
      'DATASOURCE_UNKNOWN',
      `Unknown datasource "${requested}".${didYouMean(requested, known)}`,
      `Known datasources: ${known.join(', ')}. Omit \`datasource\` to use the default (${this.config.defaultDatasource}).`,
    );
  }

  connector(requested?: string): Promise<Connector> {
    const name = this.datasourceName(requested);
    let connector = this.connectors.get(name);
    if (!connector) {
      connector = createConnector(name, this.config.datasources[name]!);
      connector.catch(() => this.connectors.delete(name));
      this.connectors.set(name, connector);
    }
    return connector;
  }

  catalog(requested?: string): Promise<Catalog> {
    const name = this.datasourceName(requested);
    let catalog = this.catalogs.get(name);
    if (!catalog) {
      catalog = this.connector(name).then((connector) => new Catalog(connector));
      catalog.catch(() => this.catalogs.delete(name));
      this.catalogs.set(name, catalog);
    }
    return catalog;
  }

  /** The semantic models of the workspace; physical names are checked against the default datasource. */
  get semantic(): SemanticRegistry {
    if (!this.semanticRegistry) {
      const settings = this.config.semantic_models;
      const datasource = this.config.datasources[this.config.defaultDatasource]!;
      this.semanticRegistry = new SemanticRegistry(
        {
          paths: settings.paths,
          refs: settings.refs,
          placeholders: settings.placeholders,
          defaultSchema: datasource.type === 'postgres' ? 'public' : 'main',
          allowLocalPath: settings.allow_local_path,
        },
        async () => ({ tables: (await (await this.catalog()).load()).tables }),
      );
    }
    return this.semanticRegistry;
  }

  /** The knowledge store and learning loop (search_tables and generate_sql read it); loaded and opened on first use. */
  knowledge(): Promise<Knowledge> {
    if (!this.knowledgeService) {
      this.knowledgeService = import('./knowledge/index.js').then(
        ({ Knowledge, openKnowledgeStore }) =>
          new Knowledge({
            store: openKnowledgeStore(this.config.knowledge),
            datasourceName: (requested) => this.datasourceName(requested),
            connector: (datasource) => this.connector(datasource),
            subagentNames: () => subagentNames(this.config.subagents.paths),
            semanticModels: () => this.semantic.list(),
            explainTimeoutMs: this.config.limits.timeout_ms,
            logger: this.logger,
          }),
      );
      this.knowledgeService.catch(() => (this.knowledgeService = undefined));
    }
    return this.knowledgeService;
  }

  /** Schema linking over one datasource: built on first use, persisted beside the knowledge store. */
  search(requested?: string): SearchService {
    const name = this.datasourceName(requested);
    let service = this.searchServices.get(name);
    if (!service) {
      const datasource = this.config.datasources[name]!;
      const defaultSchema = datasource.type === 'postgres' ? 'public' : 'main';
      // Semantic models describe tables of the default datasource.
      const semanticApplies = name === this.config.defaultDatasource;
      const verifiedQueries = semanticApplies ? verifiedQuerySignals(() => this.semantic.list(), async (sql) => (await this.connector(name)).referencedTables(sql)) : undefined;
      service = new SearchService({
        datasource: name,
        loadCatalog: async () => (await this.catalog(name)).load(),
        sampleValues: async (table, column, limit) => (await this.connector(name)).sampleValues(table, column, limit),
        ...(semanticApplies ? { semantic: async () => semanticSearchSignals(this.semantic.list(), defaultSchema) } : {}),
        knowledge: {
          // Read on each refresh, so knowledge sources added after the service was built count too.
          // The store mirrors the semantic models' verified queries, so once it is in use they come from it.
          signals: (source) => combineKnowledge(this.knowledgeStoreInUse() ? undefined : verifiedQueries, ...this.searchKnowledge).signals(source),
          similar: (source, question) => combineKnowledge(...this.searchKnowledge).similar!(source, question),
        },
        embedder: createEmbedder(this.config.search.embeddings),
        persistPath: join(dirname(this.config.knowledge.path), `search-index-${name}.json`),
        logger: this.logger,
      });
      this.searchServices.set(name, service);
    }
    return service;
  }

  /** The OpenAI-compatible endpoint of `llm` in stratum.yaml, when one is configured (generate_sql's fallback after MCP sampling). */
  get chatModel(): OpenAIChatModel | undefined {
    if (!this.endpointModel && this.config.llm) this.endpointModel = new OpenAIChatModel(this.config.llm);
    return this.endpointModel;
  }

  /** The subagent bundles under `subagents.paths`, read once and checked against tools, datasources and models. */
  get subagents(): SubagentRegistry {
    if (!this.subagentRegistry) {
      this.subagentRegistry = new SubagentRegistry(this.config.subagents.paths, () => ({
        toolNames: TOOL_NAMES,
        datasources: Object.keys(this.config.datasources),
        defaultDatasource: this.config.defaultDatasource,
        models: this.semantic.list(),
      }));
    }
    return this.subagentRegistry;
  }

  /** The scope a subagent's server enforces: its datasource and that datasource's catalog. */
  toolScope(subagent: string): ToolScope {
    let scope = this.toolScopes.get(subagent);
    if (!scope) {
      const bundle = this.subagents.get(subagent);
      const datasource = this.datasourceName(bundle.scope.datasource);
      scope = createToolScope(bundle, {
        datasource,
        defaultSchema: this.defaultSchema(datasource),
        catalog: async () => (await this.catalog(datasource)).load(),
      });
      this.toolScopes.set(subagent, scope);
    }
    return scope;
  }

  /** Schema of unqualified names on a datasource. */
  defaultSchema(datasource?: string): string {
    return this.config.datasources[this.datasourceName(datasource)]!.type === 'postgres' ? 'public' : 'main';
  }

  get limits() {
    return this.config.limits;
  }

  async close(): Promise<void> {
    const knowledge = this.knowledgeService;
    this.knowledgeService = undefined;
    await (await knowledge?.catch(() => undefined))?.close();
    const connectors = await Promise.allSettled(this.connectors.values());
    this.connectors.clear();
    this.catalogs.clear();
    this.searchServices.clear();
    await Promise.all(connectors.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)));
  }
}
