import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument, LineCounter, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { StratumError, closestNames } from '../errors.js';
import { configSchema, type ParsedConfig, type StratumConfig } from './schema.js';

export const CONFIG_FILE_NAME = 'stratum.yaml';

/** One problem in a config file: where, what was expected, what was found. */
export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
}

export class ConfigError extends StratumError {
  readonly issues: ConfigIssue[];
  readonly file: string | undefined;

  constructor(file: string | undefined, issues: ConfigIssue[]) {
    const where = file ? `config ${file}` : 'config';
    const lines = issues.map((issue) => `  - ${issue.path || '(root)'}${issue.line ? ` (line ${issue.line})` : ''}: ${issue.message}`);
    super(
      'CONFIG_INVALID',
      `Invalid ${where}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`,
      'Fix the keys listed above; `stratum validate --config <file>` re-checks without starting the server.',
    );
    this.issues = issues;
    this.file = file;
  }
}

/** Finds the config: the explicit path, else ./stratum.yaml (or .yml) in the working directory. */
export function findConfigFile(explicit: string | undefined, cwd: string = process.cwd()): string {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new StratumError('CONFIG_NOT_FOUND', `Config file not found: ${path}`, 'Check the --config path, or run `stratum init` to create a demo workspace.');
    return path;
  }
  for (const name of [CONFIG_FILE_NAME, 'stratum.yml']) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  throw new StratumError(
    'CONFIG_NOT_FOUND',
    `No ${CONFIG_FILE_NAME} in ${cwd}.`,
    'Run `stratum init` to create a demo workspace here, or pass --config path/to/stratum.yaml.',
  );
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): StratumConfig {
  const text = readFileSync(file, 'utf8');
  return parseConfigText(text, { file, baseDir: dirname(file), env });
}

export function parseConfigText(text: string, options: { file?: string; baseDir: string; env?: NodeJS.ProcessEnv }): StratumConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(
      options.file,
      document.errors.map((error) => ({
        path: '',
        message: `YAML syntax: ${error.message.split('\n')[0]}`,
        line: lineCounter.linePos(error.pos[0]).line,
      })),
    );
  }
  // A missing key has no node of its own: report the line of the nearest mapping that holds it.
  const lineOf = (path: (string | number)[]): number | undefined => {
    for (let depth = path.length; depth > 0; depth--) {
      const node = document.getIn(path.slice(0, depth), true) as YamlNode | undefined;
      const offset = node?.range?.[0];
      if (offset !== undefined) return lineCounter.linePos(offset).line;
    }
    return undefined;
  };
  const raw = document.toJS() ?? {};
  const envIssues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw, options.env ?? process.env, [], envIssues, lineOf);
  const result = configSchema.safeParse(interpolated);
  const issues = [...envIssues, ...(result.success ? [] : describeZodIssues(result.error.issues, interpolated, lineOf))];
  if (issues.length > 0 || !result.success) throw new ConfigError(options.file, issues);
  return finishConfig(result.data, options.file, options.baseDir);
}

/** Builds a config from an object (tests, embedding); same validation and path rules as a file. */
export function configFromObject(input: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): StratumConfig {
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(input, env, [], issues, () => undefined);
  const result = configSchema.safeParse(interpolated);
  if (issues.length > 0 || !result.success) {
    throw new ConfigError(undefined, [...issues, ...(result.success ? [] : describeZodIssues(result.error.issues, interpolated, () => undefined))]);
  }
  return finishConfig(result.data, undefined, baseDir);
}

const ENV_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in every string value; a missing variable without a default is an issue. */
function interpolateEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: (string | number)[],
  issues: ConfigIssue[],
  lineOf: (path: (string | number)[]) => number | undefined,
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_PATTERN, (whole, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push({
        path: formatPath(path),
        message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
        line: lineOf(path),
      });
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, [...path, index], issues, lineOf));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, [...path, key], issues, lineOf)]));
  }
  return value;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`)).join('');
}

function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeZodIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  lineOf: (path: (string | number)[]) => number | undefined,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(path, input);
      for (const key of issue.keys) {
        const suggestions = closestNames(key, known);
        out.push({
          path: formatPath([...path, key]),
          message: `unknown key "${key}".${suggestions.length ? ` Did you mean "${suggestions[0]}"?` : ''} Known keys here: ${known.join(', ')}`,
          line: lineOf([...path, key]),
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
      const typePath = path[path.length - 1] === 'type' ? path : [...path, 'type'];
      out.push({
        path: formatPath(typePath),
        message: `expected type to be one of duckdb, postgres, found ${describeFound(valueAt(input, typePath))}`,
        line: lineOf(path),
      });
      continue;
    }
    const found = valueAt(input, path);
    const expected = issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '');
    const message = found === undefined ? `required key is missing (${expected})` : `${expected}; found ${describeFound(found)}`;
    out.push({ path: formatPath(path), message, line: lineOf(path) });
  }
  return out;
}

/** The keys the schema accepts at a path, for "did you mean" on an unknown key. */
function knownKeysAt(path: readonly (string | number)[], input: unknown): string[] {
  const discriminator = valueAt(input, [...path, 'type']);
  // Walk the zod schema along the path; records and arrays consume one segment.
  let schema: unknown = configSchema;
  for (const part of [...path, null]) {
    schema = unwrap(schema);
    const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return [];
    if (part === null) {
      if (def.type === 'object') return Object.keys(def.shape as object);
      if (def.type === 'union') {
        const keys = new Set<string>();
        for (const option of def.options as unknown[]) {
          const optionDef = (unwrap(option) as { _zod: { def: Record<string, unknown> } })._zod.def;
          if (optionDef.type !== 'object') continue;
          const shape = optionDef.shape as Record<string, { _zod?: { def?: { type?: string; values?: unknown[] } } }>;
          const literal = shape.type?._zod?.def;
          // A discriminated option whose type does not match the value found is not what the user meant.
          if (literal?.type === 'literal' && discriminator !== undefined && !literal.values?.includes(discriminator)) continue;
          Object.keys(shape).forEach((k) => keys.add(k));
        }
        return [...keys];
      }
      return [];
    }
    if (def.type === 'object') schema = (def.shape as Record<string, unknown>)[String(part)];
    else if (def.type === 'record') schema = def.valueType;
    else if (def.type === 'array') schema = def.element;
    else if (def.type === 'union') {
      const value = typeof part === 'string' ? part : undefined;
      schema = (def.options as unknown[]).find((option) => {
        const optionDef = (unwrap(option) as { _zod: { def: Record<string, unknown> } })._zod.def;
        return optionDef.type === 'object' && value !== undefined && value in (optionDef.shape as object);
      });
    } else return [];
  }
  return [];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { _zod?: { def?: Record<string, unknown> } } | undefined;
  while (current?._zod?.def && ['optional', 'default', 'nullable', 'pipe', 'prefault'].includes(current._zod.def.type as string)) {
    const def = current._zod.def;
    current = (def.innerType ?? def.in) as typeof current;
  }
  return current;
}

function finishConfig(parsed: ParsedConfig, file: string | undefined, baseDir: string): StratumConfig {
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));
  const datasources = Object.fromEntries(
    Object.entries(parsed.datasources).map(([name, datasource]) => [
      name,
      datasource.type === 'duckdb' && datasource.path !== ':memory:' ? { ...datasource, path: absolute(datasource.path) } : datasource,
    ]),
  );
  const embeddings = parsed.search.embeddings;
  return {
    ...parsed,
    datasources,
    semantic_models: { ...parsed.semantic_models, paths: parsed.semantic_models.paths.map(absolute) },
    knowledge: { ...parsed.knowledge, path: absolute(parsed.knowledge.path) },
    subagents: { paths: parsed.subagents.paths.map(absolute) },
    search: {
      embeddings: typeof embeddings === 'object' && embeddings.provider === 'transformers' ? { ...embeddings, model: absolute(embeddings.model) } : embeddings,
    },
    configPath: file,
    baseDir,
    defaultDatasource: Object.keys(parsed.datasources)[0]!,
  };
}


