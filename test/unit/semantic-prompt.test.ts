import { describe, expect, it } from 'vitest';
import type { LogicalTable, SemanticModel } from '../../src/semantic/ir.js';
import { renderSpecification } from '../../src/semantic/prompt.js';

function table(index: number): LogicalTable {
  return {
    name: `table_${index}`,
    description: `Table number ${index}. ${'It holds many rows of important business facts. '.repeat(4)}`,
    synonyms: [`t${index}`],
    physical: { schema: 'main', table: `t_${index}`, source: `main.t_${index}` },
    primaryKey: ['id'],
    entities: [{ name: `entity_${index}`, type: 'primary', expr: 'id', synonyms: [] }],
    dimensions: [{ name: 'status', kind: 'categorical', expr: 'status', sampleValues: ['open', 'closed', 'pending'], synonyms: ['state'], description: 'Status of the row.' }],
    measures: [{ name: `amount_${index}`, agg: 'sum', expr: 'amount', sampleValues: [], synonyms: [] }],
    filters: [],
  };
}

const model: SemanticModel = {
  name: 'big',
  format: 'cortex',
  path: '/m/big.yaml',
  files: ['/m/big.yaml'],
  description: 'A big model',
  tables: Array.from({ length: 12 }, (_, i) => table(i)),
  metrics: [{ type: 'expression', name: 'total', expr: 'sum(amount_1)', filter: [], synonyms: [] }],
  relationships: [{ name: 'r', leftTable: 'table_1', rightTable: 'table_2', columns: [{ left: 'id', right: 'id' }], joinType: 'left_outer', relationshipType: 'many_to_one', origin: 'declared' }],
  filters: [],
  verifiedQueries: Array.from({ length: 6 }, (_, i) => ({ name: `q${i}`, question: `Question ${i}?`, sql: `SELECT ${i}\nFROM main.t_${i}\nWHERE status = 'open'` })),
  savedQueries: [],
  timeSpines: [],
  customInstructions: 'Always round money to two decimals.',
  problems: [],
};

describe('semantic model specification', () => {
  it('holds tables, physical names, dimensions with samples, metrics, joins, verified SQL and instructions', () => {
    const { prompt, truncated, dropped } = renderSpecification(model, { maxLength: 100_000 });
    expect(truncated).toBe(false);
    expect(dropped).toEqual([]);
    expect(prompt).toContain('### table_3 (physical table main.t_3) (synonyms: t3)');
    expect(prompt).toContain('- dimension entity_3__status (categorical) (synonyms: state) — Status of the row. e.g. "open", "closed", "pending"');
    expect(prompt).toContain('- total [expression]: sum(amount_1)');
    expect(prompt).toContain('- table_1 -> table_2 (many_to_one, left outer): table_1.id = table_2.id');
    expect(prompt).toContain('    SELECT 5\n    FROM main.t_5');
    expect(prompt).toContain('## Instructions\nAlways round money to two decimals.');
  });

  it('drops detail by priority to fit, never mid-line, and says what it dropped', () => {
    const full = renderSpecification(model, { maxLength: 100_000 }).prompt;
    const noSamples = renderSpecification(model, { maxLength: full.length - 1 });
    expect(noSamples.dropped).toEqual(['sample_values']);
    expect(noSamples.prompt).not.toContain('e.g. "open"');
    expect(noSamples.prompt).toContain('SELECT 5');

    const tight = renderSpecification(model, { maxLength: 2500 });
    expect(tight.truncated).toBe(true);
    expect(tight.prompt.length).toBeLessThanOrEqual(2500);
    expect(tight.dropped.slice(0, 3)).toEqual(['sample_values', 'long_descriptions', 'verified_query_sql_beyond_first']);
    expect(tight.prompt).toContain('## Metrics');
  });

  it('cuts whole lines only, with a note, when even the skeleton is too long', () => {
    const tiny = renderSpecification(model, { maxLength: 600 });
    expect(tiny.prompt.length).toBeLessThanOrEqual(600);
    expect(tiny.dropped.at(-1)).toBe('tail_lines');
    const lines = tiny.prompt.split('\n');
    expect(lines.at(-1)).toMatch(/^… \(\d+ more lines omitted; ask for a narrower model or raise max_length\)$/);
    const skeleton = renderSpecification(model, { maxLength: 100_000 });
    expect(skeleton.prompt.startsWith(lines[0]!)).toBe(true);
  });
});
