import type { Connector } from '../connectors/index.js';
import { StratumError } from '../errors.js';
import type { SearchResult } from '../search/index.js';
import { catalogSamples, physicalName, withColumnSamples, type SemanticModel } from '../semantic/index.js';
import { assembleContext, type AssembledContext, type ContextInputs, type LinkedTable } from './context.js';
import { compileStep, hasMetricQuery } from './metric.js';
import { checkAnswer, checkSql, failedAttempts, failureRecord, modelRequest, requestKey } from './repair.js';
import { chooseStrategy, requestedStrategy, type StrategyChoice } from './strategy.js';
import type { GeneratedSql, GenerationRequest, GenerationServices, GenerationSettings, GenerationStep, ModelRoute, RepairState } from './types.js';

const DEFAULT_SETTINGS: GenerationSettings = { defaultStrategy: 'auto', promptMaxLength: 24_000, specificationMaxLength: 14_000, maxAttempts: 3, explainTimeoutMs: 30_000 };
const LINKED_TABLES = 8;
const SIMILAR_QUESTIONS = 5;
const SIMILAR_KEPT = 3;
const SIMILAR_MIN_SCORE = 0.25;

/**
 * Question or metric query -> SQL, the first step that answers winning:
 * 1. a structured metric query is compiled; 2. a closely matching verified query is reused;
 * 3. the configured endpoint writes SQL, checked and repaired up to llm.max_attempts;
 * 4. without a model, the assembled context is returned for the calling agent to write from.
 * (MCP sampling is the same pipeline driven step by step: see generateSqlStep.)
 */
export async function generateSql(services: GenerationServices, request: GenerationRequest): Promise<GeneratedSql> {
  if (hasMetricQuery(request)) return compileStep(services, request);
  const prepared = await prepareQuestion(services, request);
  if ('done' in prepared) return prepared.done;
  const endpoint = services.endpoint;
  if (!endpoint) return contextOnly(prepared, 'No model is available to write SQL: the client does not offer MCP sampling and no `llm` endpoint is configured.');
  const failures: RepairState['failures'] = [];
  for (;;) {
    const answer = await endpoint.complete(modelRequest(prepared.connector, prepared.context.text, failures, prepared.settings.temperature), services.signal);
    const step = await afterAnswer(prepared, services, answer, failures, 'endpoint', endpoint.description);
    if ('done' in step) return step.done;
  }
}

/**
 * The sampled pipeline: without `resume` it answers from steps 1-2 or asks the client's model;
 * with the model's answer (and the state of the round) it checks the SQL and either finishes or
 * asks again with the error, until llm.max_attempts answers were tried.
 */
export async function generateSqlStep(services: GenerationServices, request: GenerationRequest, resume?: { state: RepairState; answer: string }): Promise<GenerationStep> {
  if (hasMetricQuery(request)) return { done: await compileStep(services, request) };
  const prepared = await prepareQuestion(services, request);
  if ('done' in prepared) return prepared;
  if (!resume) return { ask: modelRequest(prepared.connector, prepared.context.text, [], prepared.settings.temperature), state: { request: prepared.key, failures: [] } };
  if (resume.state.request !== prepared.key) {
    throw new StratumError('INVALID_ARGUMENT', 'The sampling state belongs to another generate_sql call.', 'Call generate_sql again without sampling state.');
  }
  return afterAnswer(prepared, services, resume.answer, [...resume.state.failures], 'sampling', 'the client\'s model (MCP sampling)');
}

interface PreparedQuestion {
  question: string;
  key: string;
  connector: Connector;
  settings: GenerationSettings;
  choice: StrategyChoice;
  context: AssembledContext;
  notes: string[];
}

/** Steps 2 and the context of step 3: a verified query answers at once; otherwise the prompt is assembled. */
async function prepareQuestion(services: GenerationServices, request: GenerationRequest): Promise<PreparedQuestion | { done: GeneratedSql }> {
  const question = request.question?.trim();
  if (!question) {
    throw new StratumError(
      'INVALID_ARGUMENT',
      'Nothing to generate: give `question` (in words) or `metrics` (and optionally group_by, where, order_by, limit, start_time, end_time) or `saved_query`.',
      'e.g. {"question": "revenue by region last quarter"} or {"metrics": ["revenue"], "group_by": ["metric_time__month"]}.',
    );
  }
  const settings = services.settings ?? DEFAULT_SETTINGS;
  const connector = await services.connector();
  const datasource = services.datasource ?? connector.name;
  const notes: string[] = [];
  const knowledge = services.knowledge ? await services.knowledge().catch((error: unknown) => void notes.push(`The knowledge store is unavailable (${error instanceof Error ? error.message : String(error)}), so no verified query was looked up.`)) : undefined;

  const match = await knowledge?.findVerifiedQuery(question, { datasource });
  if (match) {
    const check = await checkSql(match.sql, connector, services.scope, settings.explainTimeoutMs);
    if (check.ok) {
      const provenance = match.provenance;
      const origin = provenance.origin === 'semantic_model' ? `semantic model ${provenance.semanticModel}${provenance.file ? ` (${provenance.file}${provenance.line ? `:${provenance.line}` : ''})` : ''}` : provenance.origin === 'history' ? 'SQL history' : `${provenance.origin}${'feedbackId' in provenance && provenance.feedbackId ? ` ${provenance.feedbackId}` : ''}`;
      return {
        done: {
          sql: match.sql,
          source: 'verified_query',
          ...(provenance.origin === 'semantic_model' && provenance.semanticModel ? { semantic_model: provenance.semanticModel } : {}),
          validated: true,
          explanation: `Reused the ${match.status ?? 'verified'} query for "${match.question}" (match ${match.score.toFixed(2)}, from ${origin}); the datasource planned it. Check that it answers this exact question before running it.`,
          verified_query: { id: match.id, question: match.question, score: match.score, ...(match.status ? { status: match.status } : {}), provenance },
        },
      };
    }
    notes.push(`The closest verified query ("${match.question}", match ${match.score.toFixed(2)}) was not reused: ${check.error.split('\n')[0]}`);
  }

  const requested = requestedStrategy(request.strategy, services.scope, settings.defaultStrategy);
  const defaultSchema = connector.dialect === 'postgres' ? 'public' : 'main';
  const scope = services.scope;
  const linked =
    requested !== 'semantic_model' && services.search
      ? await services.search(question, { topK: LINKED_TABLES, ...(scope ? { filter: (table: string) => scope.allowsTable(table) } : {}) })
      : undefined;
  const choice = chooseStrategy(requested, services.semantic, { ...(request.semanticModel ? { name: request.semanticModel } : {}), ...(scope ? { scope } : {}), ...(linked ? { linked } : {}), defaultSchema });
  if (choice.fallback) notes.push(`Strategy auto fell back to schema linking: ${choice.fallback}`);

  const similar = knowledge ? await knowledge.similarQuestions(question, SIMILAR_QUESTIONS, { datasource }) : [];
  const inputs: ContextInputs = {
    question,
    dialect: connector.dialect,
    datasource,
    ...(choice.model ? { model: await withSamples(services, choice.model) } : {}),
    specificationMaxLength: settings.specificationMaxLength,
    tables: choice.linking && linked ? await linkedTables(services, linked) : [],
    joinPaths: choice.linking && linked ? linked.joinPaths : [],
    similar: [
      ...similar
        .filter((entry) => entry.score >= SIMILAR_MIN_SCORE && (!scope || entry.tables.every((table) => scope.allowsTable(table))))
        .slice(0, SIMILAR_KEPT)
        .map((entry) => ({ question: entry.question, sql: entry.sql, source: entry.source, score: entry.score })),
      ...(scope?.subagent.examples ?? []).flatMap((example) => (example.sql ? [{ question: example.question, sql: example.sql, source: 'subagent_example' as const }] : [])),
    ],
    ...(scope ? { subagent: scope.subagent } : {}),
  };
  const context = assembleContext(inputs, settings.promptMaxLength);
  if (choice.model && !choice.linking) context.tables = [...new Set(choice.model.tables.map((table) => physicalName(table, defaultSchema)))];
  return { question, key: requestKey(request, datasource), connector, settings, choice, context, notes };
}

/** Checks one model answer; finishes with it, or with the context when the attempts ran out, or asks again. */
async function afterAnswer(prepared: PreparedQuestion, services: GenerationServices, answer: string, failures: RepairState['failures'], route: ModelRoute, writer: string): Promise<GenerationStep> {
  const check = await checkAnswer(answer, prepared.connector, services.scope, prepared.settings.explainTimeoutMs);
  if (check.ok) {
    const attempts = failures.length + 1;
    const repaired = failures.length ? ` after ${failures.length} failed attempt${failures.length === 1 ? '' : 's'} (the errors went back to the model)` : '';
    return {
      done: {
        ...described(prepared, `Written by ${writer} in ${attempts} attempt${attempts === 1 ? '' : 's'}${repaired}; it passed the read-only guard${services.scope ? ', the subagent scope' : ''} and the datasource planned it (EXPLAIN). Run it with run_sql.`),
        sql: check.sql,
        source: 'llm',
        validated: true,
        attempts,
        ...(failures.length ? { failed_attempts: failedAttempts(failures) } : {}),
        llm_route: route,
      },
    };
  }
  failures.push(failureRecord(check));
  if (failures.length >= prepared.settings.maxAttempts) {
    const last = failures[failures.length - 1]!.error.split('\n')[0];
    return {
      done: {
        ...contextOnly(prepared, `${writer} did not produce SQL that passes the checks in ${failures.length} attempt${failures.length === 1 ? '' : 's'} (llm.max_attempts; last error: ${last}).`),
        attempts: failures.length,
        failed_attempts: failedAttempts(failures),
        llm_route: route,
      },
    };
  }
  return { ask: modelRequest(prepared.connector, prepared.context.text, failures, prepared.settings.temperature), state: { request: prepared.key, failures } };
}

function contextOnly(prepared: PreparedQuestion, why: string): GeneratedSql {
  return {
    ...described(prepared, `${why} Write one read-only SELECT from \`context\` (it holds the dialect, the semantic model and tables the question needs, similar verified SQL and the rules), then run it with run_sql.`),
    sql: null,
    source: 'context_only',
    validated: false,
    context: prepared.context.text,
  };
}

/** The fields every question answer shares: strategy, model, budget, tables and the notes gathered on the way. */
function described(prepared: PreparedQuestion, summary: string): Omit<GeneratedSql, 'sql' | 'source' | 'validated'> {
  const { choice, context } = prepared;
  const used = choice.model ? (choice.linking ? `semantic model ${choice.model.name} and ${context.tables.length} linked table${context.tables.length === 1 ? '' : 's'}` : `semantic model ${choice.model.name}`) : `schema linking (${context.tables.length} table${context.tables.length === 1 ? '' : 's'})`;
  const trimmed = context.budget.sections.filter((section) => section.dropped.length).map((section) => `${section.name}: ${section.dropped.join(', ')}`);
  const budget = `Context ${context.budget.used.toLocaleString('en-US')} of ${context.budget.max_length.toLocaleString('en-US')} characters${trimmed.length ? `; left out to fit: ${trimmed.join('; ')}` : ''}.`;
  return {
    ...(choice.model ? { semantic_model: choice.model.name } : {}),
    explanation: [summary, `Strategy ${choice.requested}: ${used}.`, ...prepared.notes, budget].join('\n'),
    strategy: choice.requested,
    budget: context.budget,
    linked_tables: context.tables,
  };
}

/** The model with real sample values of its categorical columns, from the catalog (MetricFlow YAML has none). */
async function withSamples(services: GenerationServices, model: SemanticModel): Promise<SemanticModel> {
  const catalog = await services.catalog?.().catch(() => undefined);
  if (!catalog) return model;
  return withColumnSamples(model, catalogSamples(catalog));
}

/** Live metadata of the linked tables (columns, keys, comments, samples); a table that vanished is skipped. */
async function linkedTables(services: GenerationServices, linked: SearchResult): Promise<LinkedTable[]> {
  const catalog = await services.catalog?.();
  if (!catalog) return [];
  const tables: LinkedTable[] = [];
  for (const table of linked.tables) {
    const detail = await catalog.describeTable(table.name).catch(() => undefined);
    if (detail) tables.push({ detail, matched: table.columns.filter((column) => column.matched).map((column) => column.name) });
  }
  return tables;
}
