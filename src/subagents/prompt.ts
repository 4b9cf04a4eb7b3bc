import type { SubagentBundle } from './types.js';

/** What the prompt needs beyond the bundle: resolved tables and the scoped semantic specifications. */
export interface SubagentPromptContext {
  datasource: string;
  /** Tables in scope, resolved against the catalog (`schema.table`). */
  tables: readonly string[];
  /** Each scoped semantic model's specification, metrics already narrowed. */
  specifications: readonly { model: string; metrics: readonly string[]; prompt: string }[];
  question?: string;
}

export interface SubagentPromptMessage {
  role: 'user';
  content: { type: 'text'; text: string };
}

/** Scope lines shared by the prompt, the server instructions and `stratum subagent show`. */
export function scopeSummary(bundle: SubagentBundle, context: Pick<SubagentPromptContext, 'datasource' | 'tables' | 'specifications'>): string[] {
  const patterns = bundle.scope.tables;
  const resolved = patterns && context.tables.join(', ') !== patterns.join(', ') ? ` (${context.tables.length ? context.tables.join(', ') : 'none found'})` : '';
  return [
    `- Datasource: ${context.datasource}`,
    `- Tables: ${patterns ? `${patterns.join(', ')}${resolved}` : 'every table of the datasource'}`,
    `- Semantic models: ${context.specifications.length ? context.specifications.map((spec) => `${spec.model} (metrics: ${spec.metrics.length ? spec.metrics.join(', ') : 'none'})`).join('; ') : 'none'}`,
    `- Tools: ${bundle.tools.join(', ')}`,
    '- The server refuses any call outside this scope (a SCOPE_VIOLATION error names what was out of scope).',
  ];
}

function section(title: string, lines: readonly string[]): string[] {
  return lines.length ? ['', `## ${title}`, ...lines] : [];
}

/**
 * The subagent as an MCP prompt: one user message with the instructions, rules, scope, the scoped
 * semantic specification and the examples; a second one with the question when it is given.
 */
export function renderSubagentPrompt(bundle: SubagentBundle, context: SubagentPromptContext): SubagentPromptMessage[] {
  const lines = [
    `You are the "${bundle.name}" data assistant${bundle.description ? `: ${bundle.description}` : '.'}`,
    ...section('Instructions', bundle.instructions ? [bundle.instructions] : []),
    ...section('Rules', bundle.rules.map((rule, index) => `${index + 1}. ${rule}`)),
    ...section('Scope', scopeSummary(bundle, context)),
    ...context.specifications.flatMap((spec) => section(`Semantic model "${spec.model}"`, [spec.prompt])),
    ...section(
      'Examples',
      bundle.examples.flatMap((example) => [`### ${example.question}`, ...(example.sql ? ['```sql', example.sql, '```'] : [])]),
    ),
  ];
  const messages: SubagentPromptMessage[] = [{ role: 'user', content: { type: 'text', text: lines.join('\n') } }];
  if (context.question?.trim()) messages.push({ role: 'user', content: { type: 'text', text: context.question.trim() } });
  return messages;
}

/** The scoped server's `instructions`: who it is, its rules and what it may touch. */
export function subagentInstructions(bundle: SubagentBundle, datasource: string): string {
  return [
    `Stratum serves the "${bundle.name}" subagent${bundle.description ? `: ${bundle.description}` : ''}.`,
    ...(bundle.instructions ? [bundle.instructions] : []),
    ...(bundle.rules.length ? ['Rules:', ...bundle.rules.map((rule) => `- ${rule}`)] : []),
    `Scope: datasource ${datasource}; tables ${bundle.scope.tables?.join(', ') ?? 'all'}; semantic models ${bundle.scope.semantic_models?.join(', ') ?? 'all'}${bundle.scope.metrics ? `; metrics ${bundle.scope.metrics.join(', ')}` : ''}. Tools: ${bundle.tools.join(', ')}.`,
    'Calls outside the scope are refused with a SCOPE_VIOLATION error that names what was out of scope. The prompt of the same name carries the semantic specification and examples.',
  ].join('\n');
}
