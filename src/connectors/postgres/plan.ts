/**
 * The planner's view of a statement: `EXPLAIN (FORMAT JSON, VERBOSE)`. Views are already expanded
 * into the tables they read, CTEs are subplans, and every expression is deparsed by the server
 * (comments gone, names resolved, literals quoted), so what a statement reads and calls can be read
 * off the plan instead of the SQL text.
 */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  Operation?: string;
  'Function Name'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** Every node of the plan, depth first. */
export function planNodes(root: PlanNode): PlanNode[] {
  const nodes: PlanNode[] = [];
  const visit = (node: PlanNode) => {
    nodes.push(node);
    node.Plans?.forEach(visit);
  };
  visit(root);
  return nodes;
}

/** Relations scanned anywhere in the plan, as `schema.table`, sorted and unique. */
export function planRelations(nodes: readonly PlanNode[]): { schema: string; table: string }[] {
  const seen = new Map<string, { schema: string; table: string }>();
  for (const node of nodes) {
    if (typeof node['Relation Name'] === 'string') {
      const relation = { schema: node.Schema ?? 'public', table: node['Relation Name'] };
      seen.set(`${relation.schema}.${relation.table}`, relation);
    }
  }
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, relation]) => relation);
}

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CALL = new RegExp(String.raw`(${IDENTIFIER}(?:\.${IDENTIFIER})*)\s*\(`, 'g');

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier;
}

/**
 * Names of the functions called in the plan's deparsed expressions (outputs, filters, join and
 * sort keys, function scans), without schema. Quoted literals are blanked first so that a string
 * that merely contains `pg_sleep(` is not mistaken for a call.
 */
export function planFunctions(nodes: readonly PlanNode[]): string[] {
  const names = new Set<string>();
  const scan = (value: unknown): void => {
    if (typeof value === 'string') {
      const withoutLiterals = value.replace(/'(?:[^']|'')*'/g, "''");
      for (const match of withoutLiterals.matchAll(CALL)) {
        const parts = match[1]!.match(new RegExp(IDENTIFIER, 'g')) ?? [];
        names.add(unquote(parts[parts.length - 1]!));
      }
    } else if (Array.isArray(value)) value.forEach(scan);
  };
  for (const node of nodes) {
    if (typeof node['Function Name'] === 'string') names.add(node['Function Name']);
    for (const [key, value] of Object.entries(node)) if (key !== 'Plans') scan(value);
  }
  return [...names].sort();
}
