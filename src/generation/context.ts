import type { TableDetail } from '../catalog/index.js';
import type { Dialect, JsonValue } from '../connectors/index.js';
import type { JoinPath } from '../search/index.js';
import { renderSpecification, type SemanticModel } from '../semantic/index.js';
import type { SubagentBundle } from '../subagents/types.js';
import { dialectName, dialectNotes } from './dialects.js';
import type { BudgetReport, BudgetSection, ContextSectionName } from './types.js';

/** Everything gathered for one question, before the budget decides what fits. */
export interface ContextInputs {
  question: string;
  dialect: Dialect;
  datasource: string;
  model?: SemanticModel;
  /** The longest specification a model may take (semantic_models.prompt_max_length). */
  specificationMaxLength: number;
  /** Linked tables, best first. */
  tables: LinkedTable[];
  joinPaths: JoinPath[];
  similar: { question: string; sql: string; source: 'verified_query' | 'history' | 'subagent_example'; score?: number }[];
  subagent?: Pick<SubagentBundle, 'name' | 'description' | 'instructions' | 'rules'>;
}

export interface LinkedTable {
  detail: TableDetail;
  /** Columns search matched to the question: kept even in the shortest form. */
  matched: string[];
}

export interface AssembledContext {
  text: string;
  budget: BudgetReport;
  /** Tables whose description made it into the text. */
  tables: string[];
}

interface Filled {
  body: string;
  kept?: number;
  dropped: string[];
  tables?: string[];
}

interface Section {
  name: ContextSectionName;
  title: string;
  required?: boolean;
  fill(budget: number): Filled | undefined;
}

/** Sections in the order they are spent from the budget; the text lists them in OUTPUT_ORDER. */
const OUTPUT_ORDER: ContextSectionName[] = ['dialect', 'subagent', 'semantic_model', 'linked_tables', 'join_paths', 'verified_queries', 'question'];
const SEPARATOR = '\n\n';
const MIN_SPECIFICATION = 600;
/** The specification has a few dozen headings at most; each grows by two characters. */
const HEADING_ROOM = 200;
const COMMENT_CHARS = 200;
const SAMPLE_CHARS = 40;

/**
 * Builds the prompt within one budget. Sections are paid for by priority: the question, the dialect,
 * the subagent's rules, similar verified SQL, the semantic model, join paths, then linked tables
 * (each in full, shorter, or shortest form). What did not fit is reported, never silently cut.
 */
export function assembleContext(inputs: ContextInputs, maxLength: number): AssembledContext {
  const sections = prioritisedSections(inputs);
  let remaining = maxLength;
  const filled = new Map<ContextSectionName, { section: Section; result: Filled; chars: number }>();
  const skipped: BudgetSection[] = [];
  for (const section of sections) {
    const frame = `## ${section.title}\n`.length + SEPARATOR.length;
    const result = section.fill(section.required ? Math.max(remaining - frame, 0) : remaining - frame);
    if (!result || (!section.required && result.body === '')) {
      if (result?.dropped.length) skipped.push({ name: section.name, chars: 0, ...(result.kept !== undefined ? { kept: 0 } : {}), dropped: result.dropped });
      continue;
    }
    const chars = frame + result.body.length;
    remaining -= chars;
    filled.set(section.name, { section, result, chars });
  }
  const parts = OUTPUT_ORDER.flatMap((name) => {
    const entry = filled.get(name);
    return entry ? [`## ${entry.section.title}\n${entry.result.body}`] : [];
  });
  const text = parts.join(SEPARATOR);
  const report: BudgetSection[] = [
    ...OUTPUT_ORDER.flatMap((name) => {
      const entry = filled.get(name);
      return entry ? [{ name, chars: entry.chars, ...(entry.result.kept !== undefined ? { kept: entry.result.kept } : {}), dropped: entry.result.dropped }] : [];
    }),
    ...skipped,
  ];
  return { text, budget: { max_length: maxLength, used: text.length, sections: report }, tables: filled.get('linked_tables')?.result.tables ?? [] };
}

function prioritisedSections(inputs: ContextInputs): Section[] {
  const sections: Section[] = [
    { name: 'question', title: 'Question', required: true, fill: () => ({ body: inputs.question.trim(), dropped: [] }) },
    { name: 'dialect', title: `Dialect: ${dialectName(inputs.dialect)} (datasource ${inputs.datasource})`, required: true, fill: () => ({ body: dialectNotes(inputs.dialect), dropped: [] }) },
  ];
  if (inputs.subagent) sections.push(subagentSection(inputs.subagent));
  if (inputs.similar.length) sections.push(similarSection(inputs.similar));
  const model = inputs.model;
  if (model) sections.push(specificationSection(model, inputs.specificationMaxLength));
  if (inputs.joinPaths.length) sections.push(joinSection(inputs.joinPaths));
  if (inputs.tables.length) sections.push(tablesSection(inputs.tables));
  return sections;
}

/** Whole items while they fit; an item that does not fit is reported and the next, shorter one still tried. */
function fitItems(items: { label: string; forms: string[] }[], budget: number, join = '\n'): Filled {
  const kept: string[] = [];
  const dropped: string[] = [];
  let used = 0;
  for (const item of items) {
    const cost = (text: string) => text.length + (kept.length ? join.length : 0);
    const index = item.forms.findIndex((form) => used + cost(form) <= budget);
    if (index < 0) {
      dropped.push(item.label);
      continue;
    }
    if (index > 0) dropped.push(`${item.label} (shortened)`);
    used += cost(item.forms[index]!);
    kept.push(item.forms[index]!);
  }
  return { body: kept.join(join), kept: kept.length, dropped };
}

function subagentSection(subagent: NonNullable<ContextInputs['subagent']>): Section {
  return {
    name: 'subagent',
    title: `Subagent ${subagent.name}: instructions and rules (follow them)`,
    fill(budget) {
      const items = [
        ...(subagent.description ? [{ label: 'description', forms: [subagent.description.trim()] }] : []),
        ...(subagent.instructions?.trim() ? [{ label: 'instructions', forms: [subagent.instructions.trim()] }] : []),
        ...subagent.rules.map((rule, index) => ({ label: `rule ${index + 1}`, forms: [`- Rule: ${rule.trim()}`] })),
      ];
      return fitItems(items, budget);
    },
  };
}

function similarSection(similar: ContextInputs['similar']): Section {
  return {
    name: 'verified_queries',
    title: 'Similar questions with known-correct SQL (reuse their tables, joins and filters)',
    fill(budget) {
      const items = similar.map((entry, index) => {
        const label = entry.source === 'verified_query' ? 'verified query' : entry.source === 'history' ? 'from SQL history' : 'subagent example';
        const score = entry.score !== undefined ? `, match ${entry.score.toFixed(2)}` : '';
        return { label: `similar ${index + 1}`, forms: [`Q: ${entry.question.trim()} (${label}${score})\n\`\`\`sql\n${entry.sql.trim()}\n\`\`\``] };
      });
      return fitItems(items, budget, '\n\n');
    },
  };
}

function specificationSection(model: SemanticModel, maxLength: number): Section {
  return {
    name: 'semantic_model',
    title: `Semantic model ${model.name} (metrics, dimensions and joins are the agreed definitions: use them)`,
    fill(budget) {
      const length = Math.min(budget, maxLength);
      if (length < MIN_SPECIFICATION) return { body: '', dropped: ['semantic_model (no room left)'] };
      const specification = renderSpecification(model, { maxLength: length - HEADING_ROOM });
      // Its headings go two levels down, under this section's own.
      return { body: specification.prompt.replace(/^(#+) /gm, '$1## '), dropped: specification.dropped };
    },
  };
}

function joinSection(paths: JoinPath[]): Section {
  return {
    name: 'join_paths',
    title: 'Join paths between the linked tables',
    fill(budget) {
      const items = paths.map((path) => ({ label: `join ${path.from} -> ${path.to}`, forms: [`- ${path.from} -> ${path.to}: ${path.steps.map((step) => `${step.on}${step.source === 'inferred' ? ' (inferred from names)' : ''}`).join(', then ')}`] }));
      return fitItems(items, budget);
    },
  };
}

function tablesSection(tables: LinkedTable[]): Section {
  return {
    name: 'linked_tables',
    title: 'Tables (live metadata: columns, keys, comments, sample values)',
    fill(budget) {
      const items = tables.map((table) => ({ label: `table ${table.detail.name}`, forms: tableForms(table) }));
      const result = fitItems(items, budget, '\n\n');
      const droppedNames = new Set(result.dropped.filter((label) => !label.endsWith('(shortened)')).map((label) => label.slice('table '.length)));
      return { ...result, tables: tables.map((table) => table.detail.name).filter((name) => !droppedNames.has(name)) };
    },
  };
}

/** A table in full (every column with comment and samples), shorter (names and types), and shortest (keys and matched columns). */
export function tableForms({ detail, matched }: LinkedTable): string[] {
  const rows = detail.rowCount !== undefined ? `, ~${detail.rowCount.toLocaleString('en-US')} rows` : '';
  const heading = `### ${detail.name} (${detail.kind}${rows})${detail.comment ? ` — ${shorten(detail.comment, COMMENT_CHARS)}` : ''}`;
  const key = (column: TableDetail['columns'][number]) => [column.primaryKey ? 'primary key' : '', column.references ? `-> ${column.references}` : ''].filter(Boolean).join(', ');
  const full = [
    heading,
    ...detail.columns.map((column) => {
      const keys = key(column);
      const samples = column.samples.length ? `, e.g. ${column.samples.map(sampleLiteral).join(', ')}` : '';
      return `- ${column.name} ${column.type}${keys ? `, ${keys}` : ''}${column.comment ? ` — ${shorten(column.comment, COMMENT_CHARS)}` : ''}${samples}`;
    }),
    ...(detail.referencedBy.length ? [`Referenced by: ${detail.referencedBy.map((ref) => `${ref.table} (${ref.columns.join(', ')})`).join('; ')}`] : []),
  ].join('\n');
  const compactColumn = (column: TableDetail['columns'][number]) => `${column.name} ${column.type}${key(column) ? ` (${key(column)})` : ''}`;
  const shorter = `${heading}\nColumns: ${detail.columns.map(compactColumn).join(', ')}`;
  const essential = detail.columns.filter((column) => column.primaryKey || column.references || matched.includes(column.name));
  const omitted = detail.columns.length - essential.length;
  const shortest = `### ${detail.name}\nColumns: ${essential.map(compactColumn).join(', ')}${omitted ? ` (+${omitted} more: describe_table ${detail.name})` : ''}`;
  return [full, shorter, shortest];
}

function sampleLiteral(value: JsonValue): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${shorten(text, SAMPLE_CHARS).replaceAll("'", "''")}'`;
}

function shorten(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
