import type { DatePart, Expr, FromItem, Grain, OrderItem, Select } from './ast.js';

/**
 * A dialect renders the few constructs SQL engines spell differently. Everything else is the
 * ANSI spelling both DuckDB and PostgreSQL accept.
 */
export interface Dialect {
  name: 'duckdb' | 'postgres';
  dateTrunc(grain: Grain, expr: string): string;
  extract(part: DatePart, expr: string): string;
  dateAdd(expr: string, count: number, grain: Grain): string;
  castType(type: 'timestamp' | 'double' | 'integer' | 'date'): string;
  /** An approximate continuous percentile, where the engine has one. */
  approximateQuantile?(expr: string, fraction: number): string;
  /**
   * `left IS NOT DISTINCT FROM right` inside a FULL OUTER JOIN condition, for engines that only
   * full-join on conditions they can hash or merge (PostgreSQL). Absent: rendered as written.
   */
  fullJoinSameValue?(left: string, right: string): string;
}

const intervalUnit = (count: number, grain: Grain): [number, string] => {
  if (grain === 'quarter') return [count * 3, 'month'];
  if (grain === 'week') return [count * 7, 'day'];
  return [count, grain];
};

const EXTRACT_FIELDS: Record<DatePart, string> = { year: 'year', quarter: 'quarter', month: 'month', week: 'week', day: 'day', dow: 'isodow', doy: 'doy', hour: 'hour', minute: 'minute', second: 'second' };

export const DUCKDB: Dialect = {
  name: 'duckdb',
  dateTrunc: (grain, expr) => `DATE_TRUNC('${grain}', ${expr})`,
  extract: (part, expr) => `EXTRACT(${EXTRACT_FIELDS[part]} FROM ${expr})`,
  dateAdd(expr, count, grain) {
    const [amount, unit] = intervalUnit(count, grain);
    return `${expr} ${amount < 0 ? '-' : '+'} INTERVAL ${Math.abs(amount)} ${unit}`;
  },
  castType: (type) => ({ timestamp: 'TIMESTAMP', double: 'DOUBLE', integer: 'BIGINT', date: 'DATE' })[type],
  approximateQuantile: (expr, fraction) => `APPROX_QUANTILE(${expr}, ${fraction})`,
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  // DATE_TRUNC of a date is a timestamptz in the session's time zone; truncating a timestamp keeps periods wall-clock and zone-free.
  dateTrunc: (grain, expr) => `DATE_TRUNC('${grain}', CAST(${expr} AS TIMESTAMP))`,
  extract: (part, expr) => `EXTRACT(${EXTRACT_FIELDS[part]} FROM ${expr})`,
  dateAdd(expr, count, grain) {
    const [amount, unit] = intervalUnit(count, grain);
    return `${expr} ${amount < 0 ? '-' : '+'} INTERVAL '${Math.abs(amount)} ${unit}'`;
  },
  // INTEGER: PostgreSQL casts boolean to integer but not to bigint (sum_boolean), and SUM(integer) is a bigint.
  castType: (type) => ({ timestamp: 'TIMESTAMP', double: 'DOUBLE PRECISION', integer: 'INTEGER', date: 'DATE' })[type],
  // IS NOT DISTINCT FROM can be neither hashed nor merged; one-element jsonb arrays compare NULL equal to NULL with a hashable `=`.
  fullJoinSameValue: (left, right) => `JSONB_BUILD_ARRAY(${left}) = JSONB_BUILD_ARRAY(${right})`,
};

export const DIALECTS = { duckdb: DUCKDB, postgres: POSTGRES } as const;

const RESERVED = new Set([
  'all', 'and', 'any', 'as', 'asc', 'between', 'by', 'case', 'cast', 'check', 'column', 'constraint', 'create', 'cross', 'current_date', 'current_time',
  'current_timestamp', 'default', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'full', 'grant', 'group',
  'having', 'in', 'inner', 'intersect', 'into', 'is', 'join', 'left', 'like', 'limit', 'natural', 'not', 'null', 'offset', 'on', 'or', 'order', 'outer',
  'primary', 'references', 'right', 'select', 'table', 'then', 'to', 'true', 'union', 'unique', 'user', 'using', 'when', 'where', 'window', 'with',
]);

/** An identifier, quoted only when it must be. */
export function identifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

const quoteString = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** Renders a SELECT tree as formatted SQL: one clause per line, nested queries indented. */
export function renderSelect(select: Select, dialect: Dialect): string {
  return new Renderer(dialect).select(select, '');
}

class Renderer {
  constructor(private readonly dialect: Dialect) {}

  select(select: Select, indent: string): string {
    const inner = `${indent}  `;
    const lines: string[] = [];
    if (select.comment) lines.push(...select.comment.split('\n').map((line) => `${indent}-- ${line}`));
    lines.push(`${indent}SELECT${select.distinct ? ' DISTINCT' : ''}`);
    select.columns.forEach((column, index) => {
      const rendered = this.expr(column.expr, inner);
      const aliased = column.alias && !(column.expr.kind === 'column' && column.expr.name === column.alias) ? `${rendered} AS ${identifier(column.alias)}` : rendered;
      lines.push(`${inner}${index === 0 ? '' : ', '}${aliased}`);
    });
    lines.push(`${indent}FROM ${this.from(select.from, indent)}`);
    for (const join of select.joins ?? []) {
      const keyword = { left: 'LEFT OUTER JOIN', inner: 'INNER JOIN', full: 'FULL OUTER JOIN', cross: 'CROSS JOIN' }[join.type];
      const on = join.on && (join.type === 'full' ? this.fullJoinCondition(join.on, inner) : this.expr(join.on, inner));
      lines.push(`${indent}${keyword} ${this.from(join.item, indent)}${on ? `\n${inner}ON ${on}` : ''}`);
    }
    if (select.where?.length) lines.push(`${indent}WHERE ${select.where.map((condition) => this.condition(condition, inner)).join(`\n${inner}AND `)}`);
    if (select.groupBy?.length) lines.push(`${indent}GROUP BY\n${select.groupBy.map((expr, index) => `${inner}${index === 0 ? '' : ', '}${this.expr(expr, inner)}`).join('\n')}`);
    if (select.having?.length) lines.push(`${indent}HAVING ${select.having.map((condition) => this.condition(condition, inner)).join(`\n${inner}AND `)}`);
    if (select.orderBy?.length) lines.push(`${indent}ORDER BY ${select.orderBy.map((item) => this.order(item, inner)).join(', ')}`);
    if (select.limit !== undefined) lines.push(`${indent}LIMIT ${select.limit}`);
    return lines.join('\n');
  }

  private from(item: FromItem, indent: string): string {
    if (item.kind === 'table') {
      const name = [item.database, item.schema, item.name].filter((part): part is string => part !== undefined).map(identifier).join('.');
      return `${name} ${identifier(item.alias)}`;
    }
    return `(\n${this.select(item.query, `${indent}  `)}\n${indent}) ${identifier(item.alias)}`;
  }

  /** A FULL JOIN condition: null-safe equalities the way the dialect can full-join on them. */
  private fullJoinCondition(on: Expr, indent: string): string {
    const sameValue = this.dialect.fullJoinSameValue;
    if (!sameValue) return this.expr(on, indent);
    const rewrite = (expr: Expr): Expr => {
      if (expr.kind !== 'binary') return expr;
      if (expr.op === 'IS NOT DISTINCT FROM') return { kind: 'raw', sql: sameValue(this.expr(expr.left, indent), this.expr(expr.right, indent)) };
      return { ...expr, left: rewrite(expr.left), right: rewrite(expr.right) };
    };
    return this.expr(rewrite(on), indent);
  }

  private order(item: OrderItem, indent: string): string {
    return `${this.expr(item.expr, indent)}${item.descending ? ' DESC' : ''}`;
  }

  /** A condition in a WHERE list: parenthesised when it could bind differently next to AND. */
  private condition(expr: Expr, indent: string): string {
    const rendered = this.expr(expr, indent);
    return expr.kind === 'raw' || (expr.kind === 'binary' && expr.op === 'OR') ? `(${rendered})` : rendered;
  }

  expr(expr: Expr, indent: string): string {
    const d = this.dialect;
    switch (expr.kind) {
      case 'column':
        return expr.table === undefined ? identifier(expr.name) : `${identifier(expr.table)}.${identifier(expr.name)}`;
      case 'raw':
        return /^\s*[A-Za-z_][A-Za-z0-9_.]*\s*$|^\s*\d+(\.\d+)?\s*$|^\s*'[^']*'\s*$/.test(expr.sql) ? expr.sql.trim() : `(${expr.sql.trim()})`;
      case 'literal':
        if (expr.value === null) return 'NULL';
        if (typeof expr.value === 'string') return quoteString(expr.value);
        return typeof expr.value === 'boolean' ? (expr.value ? 'TRUE' : 'FALSE') : String(expr.value);
      case 'timestamp':
        return `CAST(${quoteString(expr.value)} AS ${d.castType('timestamp')})`;
      case 'call':
        return `${expr.name}(${expr.distinct ? 'DISTINCT ' : ''}${expr.args.map((arg) => this.expr(arg, indent)).join(', ')})`;
      case 'binary': {
        const side = (operand: Expr) => {
          const rendered = this.expr(operand, indent);
          return operand.kind === 'binary' && operand.op !== expr.op ? `(${rendered})` : rendered;
        };
        return `${side(expr.left)} ${expr.op} ${side(expr.right)}`;
      }
      case 'not':
        return `NOT (${this.expr(expr.expr, indent)})`;
      case 'isNull':
        return `${this.expr(expr.expr, indent)} IS ${expr.negated ? 'NOT ' : ''}NULL`;
      case 'cast':
        return `CAST(${this.expr(expr.expr, indent)} AS ${d.castType(expr.type)})`;
      case 'dateTrunc':
        return d.dateTrunc(expr.grain, this.expr(expr.expr, indent));
      case 'extract':
        return d.extract(expr.part, this.expr(expr.expr, indent));
      case 'dateAdd':
        return d.dateAdd(this.expr(expr.expr, indent), expr.count, expr.grain);
      case 'case': {
        const whens = expr.when.map((branch) => `WHEN ${this.expr(branch.condition, indent)} THEN ${this.expr(branch.then, indent)}`).join(' ');
        return `CASE ${whens}${expr.else ? ` ELSE ${this.expr(expr.else, indent)}` : ''} END`;
      }
      case 'aggregate':
        return `${expr.fn.toUpperCase()}(${expr.distinct ? 'DISTINCT ' : ''}${this.expr(expr.expr, indent)})`;
      case 'percentile':
        if (expr.approximate && !expr.discrete && d.approximateQuantile) return d.approximateQuantile(this.expr(expr.expr, indent), expr.fraction);
        return `PERCENTILE_${expr.discrete ? 'DISC' : 'CONT'}(${expr.fraction}) WITHIN GROUP (ORDER BY ${this.expr(expr.expr, indent)})`;
      case 'window': {
        const parts: string[] = [];
        if (expr.partitionBy.length) parts.push(`PARTITION BY ${expr.partitionBy.map((item) => this.expr(item, indent)).join(', ')}`);
        if (expr.orderBy.length) parts.push(`ORDER BY ${expr.orderBy.map((item) => this.order(item, indent)).join(', ')}`);
        if (expr.frame) parts.push(expr.frame);
        return `${this.expr(expr.fn, indent)} OVER (${parts.join(' ')})`;
      }
      case 'star':
        return '*';
    }
  }
}
