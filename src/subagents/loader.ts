import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { didYouMean } from '../errors.js';
import { parseYamlFile, type LocatedDocument, type SemanticProblem } from '../semantic/index.js';
import type { GenerationStrategy, LoadedSubagent, SubagentBundle } from './types.js';

const BUNDLE_KEYS = ['name', 'description', 'instructions', 'rules', 'tools', 'scope', 'examples', 'default_strategy'];
const SCOPE_KEYS = ['datasource', 'tables', 'semantic_models', 'metrics'];
const EXAMPLE_KEYS = ['question', 'sql'];
const STRATEGIES: GenerationStrategy[] = ['auto', 'schema_linking', 'semantic_model'];
/** A subagent's name is a URL path segment (`/mcp/{name}`) and an MCP prompt name. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** The YAML files under the configured paths: files as given, folders' top-level `.yaml`/`.yml` files. */
export function subagentFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths.map((entry) => resolve(entry))) {
    if (!existsSync(path)) continue;
    if (!statSync(path).isDirectory()) files.push(path);
    else for (const entry of readdirSync(path).sort()) if (['.yaml', '.yml'].includes(extname(entry).toLowerCase())) files.push(join(path, entry));
  }
  return files;
}

/** Every bundle under the paths, each with its structural problems; duplicate names are errors. */
export function loadSubagents(paths: readonly string[]): LoadedSubagent[] {
  const loaded: LoadedSubagent[] = [];
  for (const file of subagentFiles(paths)) loaded.push(...loadSubagentFile(file, readFileSync(file, 'utf8')));
  const seen = new Map<string, string>();
  for (const entry of loaded) {
    const key = entry.bundle.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      entry.problems.push(problem('error', 'duplicate_name', `Subagent "${entry.bundle.name}" is already defined in ${first}.`, 'Give each subagent a unique name.', entry, ['name']));
    } else if (entry.bundle.name) seen.set(key, entry.bundle.file);
  }
  return loaded;
}

/** The bundles of one file (one per YAML document), read leniently: every problem is reported, none thrown. */
export function loadSubagentFile(file: string, text: string): LoadedSubagent[] {
  const parsed = parseYamlFile(file, text);
  if (parsed.documents.length === 0) {
    const empty = { bundle: emptyBundle(file), problems: parsed.problems, locate: () => ({ file, line: 1, column: 1 }) };
    if (parsed.problems.length === 0) empty.problems.push({ severity: 'error', code: 'empty_file', message: 'The file holds no subagent.', hint: 'Write a YAML mapping with at least name, tools and scope (stratum subagent add NAME scaffolds one).', location: { file, line: 1, column: 1 } });
    return [empty];
  }
  return parsed.documents.map((document, index) => readBundle(document, index === 0 ? parsed.problems : []));
}

function emptyBundle(file: string): SubagentBundle {
  return { name: '', rules: [], tools: [], scope: {}, examples: [], file };
}

function problem(severity: SemanticProblem['severity'], code: string, message: string, hint: string | undefined, at: Pick<LoadedSubagent, 'locate'>, path: (string | number)[]): SemanticProblem {
  return { severity, code, message, ...(hint ? { hint } : {}), location: at.locate(path) };
}

function readBundle(document: LocatedDocument, problems: SemanticProblem[]): LoadedSubagent {
  const entry: LoadedSubagent = { bundle: emptyBundle(document.file), problems, locate: document.locate };
  const error = (code: string, message: string, hint: string | undefined, path: (string | number)[]) => problems.push(problem('error', code, message, hint, entry, path));
  const value = document.value;
  if (!isRecord(value)) {
    error('not_a_mapping', 'A subagent file must be a YAML mapping (name, description, instructions, rules, tools, scope, examples).', undefined, []);
    return entry;
  }
  const unknownKeys = (record: Record<string, unknown>, known: string[], path: (string | number)[]) => {
    for (const key of Object.keys(record)) {
      if (!known.includes(key)) {
        problems.push({ ...problem('error', 'unknown_key', `Unknown key "${[...path, key].join('.')}".${didYouMean(key, known)}`, `Known keys: ${known.join(', ')}.`, entry, []), location: document.locateKey([...path, key]) });
      }
    }
  };
  unknownKeys(value, BUNDLE_KEYS, []);
  const text = (key: string, path: (string | number)[], raw: unknown): string | undefined => {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'string') return raw;
    error('wrong_type', `"${key}" must be text.`, undefined, path);
    return undefined;
  };
  const texts = (key: string, path: (string | number)[], raw: unknown): string[] | undefined => {
    if (raw === undefined || raw === null) return undefined;
    if (!Array.isArray(raw)) {
      error('wrong_type', `"${key}" must be a list of text.`, `Write it as [a, b] or one "- item" per line.`, path);
      return undefined;
    }
    return raw.flatMap((item, index) => {
      if (typeof item === 'string' && item.trim() !== '') return [item.trim()];
      error('wrong_type', `"${key}" item ${index + 1} must be non-empty text.`, undefined, [...path, index]);
      return [];
    });
  };

  const name = text('name', ['name'], value.name);
  if (name === undefined) error('missing_name', 'The subagent has no "name".', 'Add `name: finance` (letters, digits, - and _; it becomes /mcp/finance and the prompt name).', []);
  else if (!NAME_PATTERN.test(name)) error('invalid_name', `Subagent name "${name}" is not a simple name.`, 'Use letters, digits, - and _, starting with a letter (it becomes a URL path and a prompt name).', ['name']);
  const bundle = entry.bundle;
  bundle.name = name ?? '';
  const description = text('description', ['description'], value.description);
  if (description !== undefined) bundle.description = description.trim();
  const instructions = text('instructions', ['instructions'], value.instructions);
  if (instructions !== undefined) bundle.instructions = instructions.trim();
  bundle.rules = texts('rules', ['rules'], value.rules) ?? [];
  const tools = texts('tools', ['tools'], value.tools);
  if (value.tools === undefined || value.tools === null) error('missing_tools', 'The subagent lists no "tools".', 'List the tools it may use, e.g. tools: [search_tables, load_semantic_model, generate_sql, run_sql].', []);
  bundle.tools = tools ?? [];

  if (value.scope === undefined || value.scope === null) {
    error('missing_scope', 'The subagent has no "scope".', 'Add scope: {datasource, tables, semantic_models} to say what it may see.', []);
  } else if (!isRecord(value.scope)) {
    error('wrong_type', '"scope" must be a mapping (datasource, tables, semantic_models, metrics).', undefined, ['scope']);
  } else {
    const scope = value.scope;
    unknownKeys(scope, SCOPE_KEYS, ['scope']);
    const datasource = text('scope.datasource', ['scope', 'datasource'], scope.datasource);
    const tables = texts('scope.tables', ['scope', 'tables'], scope.tables);
    const models = texts('scope.semantic_models', ['scope', 'semantic_models'], scope.semantic_models);
    const metrics = texts('scope.metrics', ['scope', 'metrics'], scope.metrics);
    bundle.scope = { ...(datasource ? { datasource } : {}), ...(tables ? { tables } : {}), ...(models ? { semantic_models: models } : {}), ...(metrics ? { metrics } : {}) };
  }

  if (value.examples !== undefined && value.examples !== null) {
    if (!Array.isArray(value.examples)) error('wrong_type', '"examples" must be a list of {question, sql}.', undefined, ['examples']);
    else {
      value.examples.forEach((example, index) => {
        if (!isRecord(example)) return void error('wrong_type', `Example ${index + 1} must be a mapping with "question" (and "sql").`, undefined, ['examples', index]);
        unknownKeys(example, EXAMPLE_KEYS, ['examples', index]);
        const question = text('question', ['examples', index, 'question'], example.question);
        const sql = text('sql', ['examples', index, 'sql'], example.sql);
        if (!question?.trim()) return void error('missing_question', `Example ${index + 1} has no "question".`, undefined, ['examples', index]);
        bundle.examples.push({ question: question.trim(), ...(sql?.trim() ? { sql: sql.trim() } : {}) });
      });
    }
  }

  const strategy = text('default_strategy', ['default_strategy'], value.default_strategy);
  if (strategy !== undefined) {
    if ((STRATEGIES as string[]).includes(strategy)) bundle.defaultStrategy = strategy as GenerationStrategy;
    else error('invalid_value', `default_strategy "${strategy}" is not one of ${STRATEGIES.join(', ')}.${didYouMean(strategy, STRATEGIES)}`, undefined, ['default_strategy']);
  }
  return entry;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
