/** Every failure a user can act on: a stable code, what went wrong, and how to fix the call. */
export type StratumErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'DATASOURCE_UNKNOWN'
  | 'DATASOURCE_UNAVAILABLE'
  | 'SQL_EMPTY'
  | 'SQL_MULTIPLE_STATEMENTS'
  | 'SQL_NOT_READ_ONLY'
  | 'SQL_FORBIDDEN'
  | 'SQL_ERROR'
  | 'QUERY_TIMEOUT'
  | 'QUERY_CANCELLED'
  | 'TABLE_UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'NOT_IMPLEMENTED'
  | 'EMBEDDER_UNAVAILABLE'
  | 'SCOPE_VIOLATION'
  | 'LLM_ERROR'
  | 'LLM_TIMEOUT'
  | 'SUBAGENT_UNKNOWN'
  | 'SUBAGENT_INVALID';

export class StratumError extends Error {
  readonly code: StratumErrorCode;
  readonly hint: string | undefined;

  constructor(code: StratumErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'StratumError';
    this.code = code;
    this.hint = hint;
  }

  /** One readable block for a tool result or a terminal: never a stack trace. */
  toText(): string {
    return this.hint ? `${this.message}\nHint: ${this.hint}` : this.message;
  }
}

/** Levenshtein distance, for "did you mean" suggestions over short identifiers. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The closest known names to `name`, best first; empty when nothing is plausibly meant. */
export function closestNames(name: string, known: Iterable<string>, max = 3): string[] {
  const wanted = name.toLowerCase();
  return [...known]
    .map((candidate) => {
      const lower = candidate.toLowerCase();
      const edits = editDistance(wanted, lower);
      const distance = lower.includes(wanted) || wanted.includes(lower) ? Math.min(edits, 1.5) : edits;
      return { candidate, distance };
    })
    .filter(({ candidate, distance }) => distance <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .slice(0, max)
    .map(({ candidate }) => candidate);
}

export function didYouMean(name: string, known: Iterable<string>): string {
  return formatSuggestions(closestNames(name, known));
}

export function formatSuggestions(close: readonly string[]): string {
  return close.length > 0 ? ` Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
}
