/** What `stratum subagent add` fills in: the workspace's datasource, schema, models and tools. */
export interface ScaffoldOptions {
  datasource: string;
  defaultSchema: string;
  models: readonly string[];
  /** Tools offered by default (read-only ones and record_feedback). */
  tools: readonly string[];
}

/** A commented bundle that validates as written; the engineer narrows it from there. */
export function scaffoldSubagent(name: string, options: ScaffoldOptions): string {
  const list = (items: readonly string[]) => `[${items.join(', ')}]`;
  return `# Subagent "${name}": a domain assistant served as an MCP prompt and as a scoped server
# (stratum serve --subagent ${name}; over HTTP at /mcp/${name}). Check it with: stratum subagent validate
name: ${name}
# One line; clients show it next to the prompt.
description: ${name} questions for the ${name} team
# What the assistant does, in the words you would brief an analyst with.
instructions: |
  You answer ${name} questions from the tables and semantic models in scope.
  Prefer the semantic model's metrics (generate_sql) over hand-written SQL.
# Business rules the answers must follow, one per item.
rules:
  - Say which date column a figure is based on.
# Tools the scoped server lists; every other tool is absent and cannot be called.
tools: ${list(options.tools)}
# What the subagent may see. The server enforces it in every tool: run_sql refuses any statement that
# reads a table outside \`tables\` (found from the engine's own parse), searches and listings only show these.
scope:
  datasource: ${options.datasource}
  # schema.table names or globs (* is any run of characters), case-insensitive. Narrow this list.
  tables: ["${options.defaultSchema}.*"]
${options.models.length ? `  semantic_models: ${list(options.models)}\n  # metrics: [revenue]      # optional: only these metrics of the models\n` : '  # semantic_models: [retail]\n'}# Question and SQL pairs that show the expected answers (each SQL must run inside the scope).
examples: []
# How generate_sql answers free-text questions: auto | schema_linking | semantic_model
default_strategy: auto
`;
}
