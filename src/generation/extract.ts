/**
 * The SQL in a model's answer: a ```sql fence first, then any fence, then <sql> tags, then a JSON
 * `{"sql": ...}` object, then the text from the first line that starts a statement. Whatever comes
 * out is only a candidate: the read-only guard and EXPLAIN decide, never this function.
 */
export function extractSql(answer: string): string | undefined {
  const text = answer.replace(/\r\n/g, '\n');
  const fences = [...text.matchAll(/```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g)].map((match) => ({ language: match[1]!.toLowerCase(), body: match[2]! }));
  const fenced = fences.find((fence) => fence.language === 'sql' || fence.language === 'duckdb' || fence.language === 'postgresql') ?? fences.find((fence) => fence.body.trim() !== '');
  if (fenced) return clean(fenced.body);
  const tagged = /<sql>([\s\S]*?)<\/sql>/i.exec(text);
  if (tagged) return clean(tagged[1]!);
  const json = fromJson(text.trim());
  if (json) return clean(json);
  const lines = text.split('\n');
  const start = lines.findIndex((line) => STATEMENT_START.test(line));
  return start >= 0 ? clean(lines.slice(start).join('\n')) : undefined;
}

const STATEMENT_START = /^\s*(SELECT|WITH|FROM|VALUES|TABLE|EXPLAIN|DESCRIBE|SHOW|SUMMARIZE|INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE|COPY|ATTACH|DETACH|PRAGMA|SET|CALL|INSTALL|LOAD|GRANT|EXPORT|IMPORT)\b/i;

function fromJson(text: string): string | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as { sql?: unknown; query?: unknown };
    const sql = value.sql ?? value.query;
    return typeof sql === 'string' ? sql : undefined;
  } catch {
    return undefined;
  }
}

function clean(sql: string): string | undefined {
  const trimmed = sql.trim().replace(/;\s*$/, '').trim();
  return trimmed === '' ? undefined : trimmed;
}
