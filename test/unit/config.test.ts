import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, configFromObject, parseConfigText } from '../../src/config/index.js';

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, { baseDir: '/work/ws', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}${issue.line ? `@${issue.line}` : ''}: ${issue.message}`);
  }
  throw new Error('expected the config to be refused');
}

describe('stratum.yaml', () => {
  it('applies defaults and resolves paths against the config folder', () => {
    const config = parseConfigText('datasources:\n  demo: { type: duckdb, path: ./demo.duckdb }\n', { baseDir: '/work/ws', env: {} });
    expect(config.defaultDatasource).toBe('demo');
    expect(config.datasources.demo).toEqual({ type: 'duckdb', path: '/work/ws/demo.duckdb' });
    expect(config.limits).toEqual({ max_rows: 1000, max_chars: 50_000, timeout_ms: 30_000 });
    expect(config.semantic_models.paths).toEqual(['/work/ws/semantic_models']);
    expect(config.semantic_models.default_strategy).toBe('auto');
    expect(config.knowledge.path).toBe('/work/ws/.stratum/knowledge.db');
    expect(config.subagents.paths).toEqual(['/work/ws/subagents']);
    expect(config.server.http).toMatchObject({ host: '127.0.0.1', port: 3333, tokens: [] });
  });

  it('makes the first datasource the default', () => {
    const config = parseConfigText('datasources:\n  warehouse: { type: duckdb, path: /data/w.duckdb }\n  demo: { type: duckdb, path: ./demo.duckdb }\n', { baseDir: '/w', env: {} });
    expect(config.defaultDatasource).toBe('warehouse');
  });

  it('interpolates ${VAR} and ${VAR:-default}', () => {
    const config = parseConfigText(
      'datasources:\n  demo: { type: duckdb, path: "${DATA_DIR}/demo.duckdb" }\nllm: { base_url: "${LLM_URL:-http://127.0.0.1:8080/v1}", model: m, api_key: "${KEY}" }\n',
      { baseDir: '/w', env: { DATA_DIR: '/srv/data', KEY: 'sk-123' } },
    );
    expect(config.datasources.demo).toMatchObject({ path: '/srv/data/demo.duckdb' });
    expect(config.llm).toEqual({ base_url: 'http://127.0.0.1:8080/v1', model: 'm', api_key: 'sk-123', max_attempts: 3, timeout_ms: 60_000 });
  });

  it('accepts the whole contract of ARCHITECTURE.md, including keys for later features', () => {
    const config = configFromObject(
      {
        datasources: { demo: { type: 'duckdb', path: './demo.duckdb' }, pg: { type: 'postgres', url: 'postgres://u@localhost/db', schemas: ['public'] } },
        semantic_models: { paths: ['./semantic_models'], refs: { orders: 'main.orders' }, placeholders: { source_schema: 'main' }, default_strategy: 'semantic_model', allow_local_path: true, prompt_max_length: 14000 },
        knowledge: { path: './.stratum/knowledge.db' },
        subagents: { paths: ['./subagents'] },
        limits: { max_rows: 1000, max_chars: 50000, timeout_ms: 30000 },
        llm: { base_url: 'http://localhost:1234/v1', model: 'qwen', api_key: '${OPENAI_API_KEY}', max_attempts: 3 },
        search: { embeddings: { provider: 'transformers', model: './models/x' } },
        server: { http: { host: '127.0.0.1', port: 3333, allowed_origins: [], tokens: [{ token: '${STRATUM_TOKEN}', subagents: ['finance'] }] } },
      },
      '/w',
      { OPENAI_API_KEY: 'k', STRATUM_TOKEN: 't' },
    );
    expect(config.semantic_models.refs).toEqual({ orders: 'main.orders' });
    expect(config.search.embeddings).toEqual({ provider: 'transformers', model: '/w/models/x' });
    expect(config.server.http.tokens).toEqual([{ token: 't', subagents: ['finance'] }]);
  });

  it('lists every problem with its path, line, expectation and what was found', () => {
    const issues = issuesOf(
      [
        'datasources:',
        '  demo: { type: duckdb, pth: ./demo.duckdb }',
        '  pg: { type: postgress }',
        'limts: { max_rows: 10 }',
        'limits: { max_rows: -1, timeout_ms: "abc" }',
        'server: { http: { tokens: [{ token: "${MISSING_TOKEN}" }] } }',
      ].join('\n'),
    );
    expect(issues).toEqual([
      'server.http.tokens[0].token@6: environment variable MISSING_TOKEN is not set (write ${MISSING_TOKEN:-default} to give a default)',
      'datasources.demo.path@2: required key is missing (expected string)',
      'datasources.demo.pth@2: unknown key "pth". Did you mean "path"? Known keys here: type, path, description, threads, memory_limit',
      'datasources.pg.type@3: expected type to be one of duckdb, postgres, found the string "postgress"',
      'limits.max_rows@5: Too small: expected number to be >0; found number -1',
      'limits.timeout_ms@5: expected number; found the string "abc"',
      'limts@4: unknown key "limts". Did you mean "limits"? Known keys here: datasources, semantic_models, knowledge, subagents, limits, llm, generation, search, server, log_level',
    ]);
  });

  it('suggests the right key for a near miss', () => {
    expect(issuesOf('datasources:\n  d: { type: duckdb, path: x }\nsemantic_models: { path: [x] }\n')).toEqual([
      'semantic_models.path@3: unknown key "path". Did you mean "paths"? Known keys here: paths, refs, placeholders, default_strategy, allow_local_path, prompt_max_length',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('datasources:\n  demo: { type: duckdb, path: ./x\n');
    expect(issues[0]).toMatch(/^@[23]: YAML syntax:/);
  });

  it('requires at least one datasource', () => {
    expect(issuesOf('datasources: {}\n')).toEqual(['datasources@1: at least one datasource (the first is the default); found a mapping']);
  });

  it('keeps the demo config that stratum init writes valid', () => {
    const source = readFileSync(new URL('../../src/demo/workspace.ts', import.meta.url), 'utf8');
    const demo = /DEMO_CONFIG = `([\s\S]*?)`;/.exec(source)?.[1];
    expect(demo).toBeDefined();
    const config = parseConfigText(demo!, { baseDir: '/w', env: {} });
    expect(config.datasources.demo).toEqual({ type: 'duckdb', path: '/w/demo.duckdb' });
  });
});
