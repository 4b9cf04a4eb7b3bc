import type { JsonValue, QueryResult } from './types.js';

/**
 * Keeps a result inside its row and character budgets. Rows are offered one at a time; the budget
 * says when to stop reading so that a huge result is never materialised. The character count is
 * that of the serialized rows, which is what a model pays for.
 */
export class ResultBudget {
  readonly rows: JsonValue[][] = [];
  private chars = 2;
  private cutBy: 'rows' | 'chars' | undefined;

  constructor(
    private readonly maxRows: number,
    private readonly maxChars: number,
  ) {}

  /** Returns false once the budget is spent: the caller stops reading. */
  offer(row: JsonValue[]): boolean {
    if (this.cutBy) return false;
    if (this.rows.length >= this.maxRows) {
      this.cutBy = 'rows';
      return false;
    }
    const size = JSON.stringify(row).length + 1;
    if (this.chars + size > this.maxChars) {
      this.cutBy = 'chars';
      return false;
    }
    this.chars += size;
    this.rows.push(row);
    return true;
  }

  get truncated(): boolean {
    return this.cutBy !== undefined;
  }

  /** Tells the model what happened and how to narrow the query. */
  warning(): string | undefined {
    if (this.cutBy === 'rows') {
      return `Result truncated: only the first ${this.rows.length} rows are shown (max_rows=${this.maxRows}). Add a WHERE filter, aggregate with GROUP BY, or add ORDER BY ... LIMIT to get the rows you need.`;
    }
    if (this.cutBy === 'chars') {
      return `Result truncated at ${this.rows.length} rows to stay under ${this.maxChars} characters. Select fewer or narrower columns (avoid SELECT *), aggregate, or add a LIMIT.`;
    }
    return undefined;
  }

  /** The query result as every connector reports it: rows read so far, truncation and elapsed time. */
  result(columns: QueryResult['columns'], started: number): QueryResult {
    const warning = this.warning();
    return {
      columns,
      rows: this.rows,
      rowCount: this.rows.length,
      truncated: this.truncated,
      elapsedMs: Math.round((performance.now() - started) * 100) / 100,
      ...(warning ? { warning } : {}),
    };
  }
}
