import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
    expect(resources.map((r) => r.uri)).toEqual(['stratum://semantic-models/retail', 'stratum://semantic-models/retail_cortex']);
    const read = await modern.client.readResource({ uri: 'stratum://semantic-models/retail_cortex' });
    expect(read.contents.map((c) => c.mimeType)).toEqual(['application/yaml', 'application/json']);
    expect((read.contents[0] as { text: string }).text).toContain('verified_queries:');
    expect(JSON.parse((read.contents[1] as { text: string }).text)).toMatchObject({ name: 'retail_cortex', format: 'cortex' });
    const { resourceTemplates } = await modern.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['stratum://semantic-models/{name}']);
  });

  it('completes model names in the resource template', async () => {
    const result = await modern.client.complete({ ref: { type: 'ref/resource', uri: 'stratum://semantic-models/{name}' }, argument: { name: 'name', value: 'retail_c' } });
    expect(result.completion.values).toEqual(['retail_cortex']);
  });
});

describe('stratum validate', () => {
  it('passes the demo workspace and fails a broken model with file:line:col', () => {
    const ok = spawnSync(process.execPath, [CLI, 'validate', '--config', join(dir, 'stratum.yaml')], { encoding: 'utf8' });
    expect(ok.stdout).toMatch(/2 model\(s\), 0 error\(s\)/);
    expect(ok.status).toBe(0);
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
