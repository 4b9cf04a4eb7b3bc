import type { Dialect } from '../connectors/index.js';

/** What a model must know about the engine to write SQL that plans: syntax and the date functions. */
const NOTES: Record<Dialect, string[]> = {
  duckdb: [
    'Engine: DuckDB. Write one read-only SELECT (WITH ... SELECT is fine); no DDL, no writes, no PRAGMA/SET, no files.',
    'Name tables as schema.table; quote identifiers with double quotes only when needed; string literals use single quotes.',
    "Dates: date_trunc('month', d), date_part('year', d) or extract(year FROM d), strftime(d, '%Y-%m'), d + INTERVAL 7 DAY, date_diff('day', a, b), make_date(y, m, d), current_date, CAST(ts AS DATE).",
    "Text: ILIKE for case-insensitive matching, || to concatenate, regexp_matches(s, 'p'). Aggregates: count(DISTINCT x), sum(x) FILTER (WHERE ...), quantile_cont(x, 0.5), arg_max(a, b).",
    'Division: / on integers gives a double; use round(x, 2) for display. LIMIT n for top-n questions; ORDER BY what the question ranks by.',
  ],
  postgres: [
    'Engine: PostgreSQL. Write one read-only SELECT (WITH ... SELECT is fine); no DDL, no writes, no SET, no locking clauses.',
    'Name tables as schema.table; quote identifiers with double quotes only when needed; string literals use single quotes.',
    "Dates: date_trunc('month', d), extract(year FROM d), to_char(d, 'YYYY-MM'), d + interval '7 days', d::date, age(a, b), make_date(y, m, d), current_date.",
    "Text: ILIKE for case-insensitive matching, || to concatenate, ~ for regular expressions. Aggregates: count(DISTINCT x), sum(x) FILTER (WHERE ...), percentile_cont(0.5) WITHIN GROUP (ORDER BY x).",
    'Division: integer / integer truncates; cast one side to numeric. LIMIT n for top-n questions; ORDER BY what the question ranks by.',
  ],
};

export function dialectNotes(dialect: Dialect): string {
  return NOTES[dialect].map((line) => `- ${line}`).join('\n');
}

export function dialectName(dialect: Dialect): string {
  return dialect === 'duckdb' ? 'DuckDB' : 'PostgreSQL';
}
