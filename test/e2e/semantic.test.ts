import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { CLI, startV2Client, type StartedClient } from '../helpers/clients.js';
import { tempDir } from '../helpers/fixture.js';

let dir: string;
let modern: StartedClient<Client>;

type ToolResult = { content: unknown; structuredContent?: Record<string, unknown>; isError?: boolean };
const text = (result: ToolResult) => (result.content as { text: string }[]).map((part) => part.text).join('\n');

beforeAll(async () => {
  dir = join(tempDir(), 'workspace');
  const init = spawnSync(process.execPath, [CLI, 'init', dir, '--scale', '0.01'], { encoding: 'utf8' });
  expect(init.status).toBe(0);
  modern = await startV2Client(join(dir, 'stratum.yaml'), 'modern');
});

afterAll(() => modern?.close());

describe('semantic models over MCP', () => {
  it('lists the demo models of both formats without errors', async () => {
    const result = (await modern.client.callTool({ name: 'list_semantic_models', arguments: {} })) as ToolResult;
    const models = (result.structuredContent as { models: { name: string; format: string; errors?: string[]; tables: number; verified_queries: number }[] }).models;
    expect(models.map((m) => [m.name, m.format])).toEqual([
      ['retail', 'metricflow'],
      ['retail_cortex', 'cortex'],
    ]);
    expect(models.every((m) => m.errors === undefined)).toBe(true);
    expect(models[1]!.verified_queries).toBeGreaterThanOrEqual(3);
    const filtered = (await modern.client.callTool({ name: 'list_semantic_models', arguments: { search: 'CORTEX' } })) as ToolResult;
    expect((filtered.structuredContent as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(['retail_cortex']);
  });

  it('loads a model with its specification prompt', async () => {
    const result = (await modern.client.callTool({ name: 'load_semantic_model', arguments: { name: 'retail' } })) as ToolResult;
    expect(result.isError).toBeFalsy();
    const body = result.structuredContent as { name: string; format: string; metrics: { name: string; type: string }[]; dimensions: { name: string }[]; prompt: string; truncated: boolean; problems: string[] };
    expect(body.name).toBe('retail');
    expect(body.format).toBe('metricflow');
    expect(body.metrics.map((m) => m.name)).toContain('revenue');
    expect(body.metrics.map((m) => m.type)).toEqual(expect.arrayContaining(['simple', 'ratio', 'derived', 'cumulative']));
    expect(body.prompt).toMatch(/^# Semantic Model Specification: retail \(metricflow\)/);
    expect(body.prompt).toContain('physical table main.order_items');
    // MetricFlow YAML has no sample values: they come from the datasource catalog.
    expect(body.prompt).toMatch(/- dimension order__status \(categorical\) — .* e\.g\. "completed", /);
    expect(body.problems.filter((p) => p.includes(' error: '))).toEqual([]);
    expect(text(result)).toContain('## Metrics');
  });

  it('shortens the prompt to max_length and reports what it dropped', async () => {
    const result = (await modern.client.callTool({ name: 'load_semantic_model', arguments: { name: 'retail_cortex', max_length: 3000 } })) as ToolResult;
    const body = result.structuredContent as { prompt: string; truncated: boolean; dropped: string[] };
    expect(body.prompt.length).toBeLessThanOrEqual(3000);
    expect(body.truncated).toBe(true);
    expect(body.dropped[0]).toBe('sample_values');
  });

  it('loads by path inside the roots and refuses outside', async () => {
    const inside = (await modern.client.callTool({ name: 'load_semantic_model', arguments: { path: 'semantic_models/retail_cortex.yaml' } })) as ToolResult;
    expect(inside.structuredContent?.format).toBe('cortex');
    const outside = (await modern.client.callTool({ name: 'load_semantic_model', arguments: { path: '../../../../etc/passwd' } })) as ToolResult;
    expect(outside.isError).toBe(true);
    expect(text(outside)).toMatch(/outside the configured semantic model folders/);
    const unknown = (await modern.client.callTool({ name: 'load_semantic_model', arguments: { name: 'retial' } })) as ToolResult;
    expect(text(unknown)).toContain('Did you mean "retail"');
  });

  it('serves each model as a resource with the YAML and the parsed model', async () => {
    const { resources } = await modern.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['stratum://semantic-models/retail', 'stratum://semantic-models/retail_cortex', 'stratum://subagents/finance']);
    const read = await modern.client.readResource({ uri: 'stratum://semantic-models/retail_cortex' });
    expect(read.contents.map((c) => c.mimeType)).toEqual(['application/yaml', 'application/json']);
    expect((read.contents[0] as { text: string }).text).toContain('verified_queries:');
    expect(JSON.parse((read.contents[1] as { text: string }).text)).toMatchObject({ name: 'retail_cortex', format: 'cortex' });
    const { resourceTemplates } = await modern.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['stratum://semantic-models/{name}', 'stratum://subagents/{name}']);
  });

  it('completes model names in the resource template', async () => {
    const result = await modern.client.complete({ ref: { type: 'ref/resource', uri: 'stratum://semantic-models/{name}' }, argument: { name: 'name', value: 'retail_c' } });
    expect(result.completion.values).toEqual(['retail_cortex']);
  });
});

describe('stratum validate', () => {
  it('passes the demo workspace and fails a broken model with file:line:col', () => {
    const ok = spawnSync(process.execPath, [CLI, 'validate', '--config', join(dir, 'stratum.yaml')], { encoding: 'utf8', cwd: dir });
    expect(ok.stdout).toMatch(/2 model\(s\), 0 error\(s\)/);
    expect(ok.stdout).toContain('ok   finance subagents/finance.yaml\n1 subagent(s), 0 error(s), 0 warning(s)\n');
    expect(ok.status).toBe(0);
    // A broken subagent bundle fails the workspace check too.
    const bundle = join(dir, 'subagents', 'broken.yaml');
    writeFileSync(bundle, 'name: broken\ntools: [run_sql, drop_tables]\nscope: { tables: ["main.orders"] }\n');
    try {
      const failed = spawnSync(process.execPath, [CLI, 'validate', '--config', join(dir, 'stratum.yaml')], { encoding: 'utf8', cwd: dir });
      expect(failed.status).toBe(1);
      expect(failed.stdout).toMatch(/FAIL broken subagents\/broken\.yaml\n  subagents\/broken\.yaml:2:\d+: error: .*drop_tables/);
    } finally {
      rmSync(bundle);
    }
    const broken = join(tempDir(), 'broken.yml');
    writeFileSync(
      broken,
      [
        'semantic_models:',
        '  - name: orders',
        "    model: ref('orders')",
        '    entities: [{ name: order, type: primary, expr: order_id }]',
        '    measures: [{ name: bookings, agg: sum, expr: amount }]',
        'metrics:',
        '  - name: total',
        '    type: simple',
        '    type_params: { measure: bokings }',
        '',
      ].join('\n'),
    );
    const bad = spawnSync(process.execPath, [CLI, 'validate', broken], { encoding: 'utf8', cwd: dir });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/broken\.yml:9:\d+: error: Unknown measure "bokings" in metric "total".*Did you mean "bookings"\?/);
  });
});

describe('metric queries over MCP and the CLI', () => {
  const HAND_WRITTEN = `SELECT CASE c.region_id WHEN 1 THEN 'North America' WHEN 2 THEN 'Europe' WHEN 3 THEN 'APAC' WHEN 4 THEN 'LATAM' END AS region, SUM(oi.line_total) AS revenue
    FROM order_items oi JOIN orders o ON oi.order_id = o.order_id JOIN customers c ON o.customer_id = c.customer_id
    WHERE o.status <> 'cancelled' GROUP BY 1 ORDER BY 1`;

  it('generate_sql compiles a metric query, plans it, and its rows match hand-written SQL', async () => {
    const generated = (await modern.client.callTool({ name: 'generate_sql', arguments: { metrics: ['revenue'], group_by: ['customer__region'], order_by: ['customer__region'] } })) as ToolResult;
    expect(generated.isError).toBeFalsy();
    const structured = generated.structuredContent as { sql: string; source: string; semantic_model: string; validated: boolean; explanation: string; columns: string[] };
    expect({ source: structured.source, semantic_model: structured.semantic_model, validated: structured.validated, columns: structured.columns }).toEqual({
      source: 'semantic_compiler',
      semantic_model: 'retail',
      validated: true,
      columns: ['order__customer__region', 'revenue'],
    });
    expect(structured.explanation).toContain("where {{ Dimension('order__status') }} != 'cancelled'");
    const compiled = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: structured.sql } })) as ToolResult;
    const expected = (await modern.client.callTool({ name: 'run_sql', arguments: { sql: HAND_WRITTEN } })) as ToolResult;
    const rowsOf = (result: ToolResult) => (result.structuredContent as { rows: unknown[][] }).rows;
    expect(rowsOf(compiled).length).toBe(4);
    expect(rowsOf(compiled)).toEqual(rowsOf(expected));
  });

  it('generate_sql explains what to fix for an unknown metric, and for an empty call', async () => {
    const unknown = (await modern.client.callTool({ name: 'generate_sql', arguments: { metrics: ['revenu'] } })) as ToolResult;
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toContain('Unknown metric "revenu" in semantic model retail. Did you mean "revenue"');
    const empty = (await modern.client.callTool({ name: 'generate_sql', arguments: {} })) as ToolResult;
    expect(empty.isError).toBe(true);
    expect(text(empty)).toContain('Nothing to generate: give `question` (in words) or `metrics`');
    expect(text(empty)).toContain('{"metrics": ["revenue"], "group_by": ["metric_time__month"]}');
  });

  it('get_dimension_values finds the exact spelling of a value', async () => {
    const all = (await modern.client.callTool({ name: 'get_dimension_values', arguments: { dimension: 'customer__region' } })) as ToolResult;
    expect(all.structuredContent).toEqual({ semantic_model: 'retail', dimension: 'customer__region', values: ['APAC', 'Europe', 'LATAM', 'North America'], truncated: false });
    const searched = (await modern.client.callTool({ name: 'get_dimension_values', arguments: { dimension: 'customer__region', search: "AMERICA'" } })) as ToolResult;
    expect(searched.structuredContent).toEqual({ semantic_model: 'retail', dimension: 'customer__region', values: [], truncated: false });
    const insensitive = (await modern.client.callTool({ name: 'get_dimension_values', arguments: { dimension: 'customer__region', search: 'AMERICA' } })) as ToolResult;
    expect(insensitive.structuredContent).toEqual({ semantic_model: 'retail', dimension: 'customer__region', values: ['North America'], truncated: false });
    const limited = (await modern.client.callTool({ name: 'get_dimension_values', arguments: { dimension: 'customer__region', limit: 2 } })) as ToolResult;
    expect(limited.structuredContent).toEqual({ semantic_model: 'retail', dimension: 'customer__region', values: ['APAC', 'Europe'], truncated: true });
  });

  it('stratum query prints the SQL or the result table', () => {
    const config = join(dir, 'stratum.yaml');
    const sqlOnly = spawnSync(process.execPath, [CLI, 'query', '--config', config, '--metrics', 'revenue', '--group-by', 'customer__region', '--sql-only'], { encoding: 'utf8' });
    expect(sqlOnly.status).toBe(0);
    expect(sqlOnly.stdout).toMatch(/^SELECT\n/);
    const table = spawnSync(process.execPath, [CLI, 'query', '--config', config, '--metrics', 'revenue', '--group-by', 'customer__region', '--order-by', 'customer__region'], { encoding: 'utf8' });
    expect(table.status).toBe(0);
    expect(table.stdout.split('\n').slice(0, 3)).toEqual(['| order__customer__region | revenue |', '|---|---|', expect.stringMatching(/^\| APAC \| \d+\.\d{2} \|$/)]);
    const bad = spawnSync(process.execPath, [CLI, 'query', '--config', config, '--metrics', 'revenu'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Unknown metric "revenu"');
  });
});
