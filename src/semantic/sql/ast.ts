/**
 * The SQL tree the semantic compiler builds. Small immutable node types; a dialect renderer
 * (render.ts) walks it. Nothing outside the renderer concatenates SQL, except `raw` nodes, which
 * carry expressions written by the model's author (a measure's `expr`) or the caller (a `where`).
 */

export type Grain = 'nanosecond' | 'microsecond' | 'millisecond' | 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';
export type DatePart = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'dow' | 'doy' | 'hour' | 'minute' | 'second';

export type Expr =
  /** A column of a FROM item, by its alias; `table` absent for an unqualified name. */
  | { kind: 'column'; table?: string; name: string }
  /** SQL text as written by a person; rendered verbatim (in parentheses when compound). */
  | { kind: 'raw'; sql: string }
  | { kind: 'literal'; value: string | number | boolean | null }
  /** A timestamp literal, `CAST('2020-01-01' AS TIMESTAMP)`. */
  | { kind: 'timestamp'; value: string }
  | { kind: 'call'; name: string; args: Expr[]; distinct?: boolean }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'isNull'; expr: Expr; negated?: boolean }
  | { kind: 'cast'; expr: Expr; type: 'timestamp' | 'double' | 'integer' | 'date' }
  | { kind: 'dateTrunc'; grain: Grain; expr: Expr }
  | { kind: 'extract'; part: DatePart; expr: Expr }
  /** `expr + count * grain` (count may be negative). */
  | { kind: 'dateAdd'; expr: Expr; count: number; grain: Grain }
  | { kind: 'case'; when: { condition: Expr; then: Expr }[]; else?: Expr }
  | { kind: 'aggregate'; fn: 'sum' | 'min' | 'max' | 'count' | 'avg'; expr: Expr; distinct?: boolean }
  | { kind: 'percentile'; fraction: number; discrete: boolean; approximate?: boolean; expr: Expr }
  /** A window function, e.g. `FIRST_VALUE(x) OVER (PARTITION BY ... ORDER BY ...)`. */
  | { kind: 'window'; fn: Expr; partitionBy: Expr[]; orderBy: OrderItem[]; frame?: string }
  | { kind: 'star' };

export interface SelectItem {
  expr: Expr;
  alias?: string;
}

export type FromItem =
  | { kind: 'table'; schema?: string; database?: string; name: string; alias: string }
  | { kind: 'subquery'; query: Select; alias: string };

export interface Join {
  type: 'left' | 'inner' | 'full' | 'cross';
  item: FromItem;
  on?: Expr;
}

export interface OrderItem {
  expr: Expr;
  descending?: boolean;
}

export interface Select {
  /** Why this step exists, rendered as a `--` comment above it so a person can follow the plan. */
  comment?: string;
  distinct?: boolean;
  columns: SelectItem[];
  from: FromItem;
  joins?: Join[];
  where?: Expr[];
  groupBy?: Expr[];
  having?: Expr[];
  orderBy?: OrderItem[];
  limit?: number;
}

export const col = (table: string | undefined, name: string): Expr => (table === undefined ? { kind: 'column', name } : { kind: 'column', table, name });
export const raw = (sql: string): Expr => ({ kind: 'raw', sql });
export const lit = (value: string | number | boolean | null): Expr => ({ kind: 'literal', value });
export const call = (name: string, ...args: Expr[]): Expr => ({ kind: 'call', name, args });
export const binary = (left: Expr, op: string, right: Expr): Expr => ({ kind: 'binary', op, left, right });
export const and = (parts: Expr[]): Expr | undefined => parts.reduce<Expr | undefined>((all, part) => (all ? binary(all, 'AND', part) : part), undefined);
export const sameValue = (left: Expr, right: Expr): Expr => binary(left, 'IS NOT DISTINCT FROM', right);
export const coalesce = (...args: Expr[]): Expr => (args.length === 1 ? args[0]! : call('COALESCE', ...args));
