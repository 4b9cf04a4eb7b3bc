import type { ClientBase, Connection, FieldDef, QueryConfig, QueryResult, QueryResultRow, Submittable } from 'pg';

/**
 * Extended-protocol messages node-postgres has no public API for. Each submittable ends with Sync,
 * so it settles at ReadyForQuery (or at the error, which pg reports before the ReadyForQuery that
 * the pipelined Sync brings). Inside a transaction block a named portal survives Sync, so a
 * statement is described once and then read in batches with ordinary queries in between.
 */
abstract class ProtocolStep<T> implements Submittable {
  readonly result: Promise<T>;
  private resolve!: (value: T) => void;
  private reject!: (error: unknown) => void;

  constructor() {
    this.result = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.result.catch(() => undefined);
  }

  abstract submit(connection: Connection): void;
  protected abstract value(): T;

  handleRowDescription(_message: { fields: FieldDef[] }): void {}
  handleDataRow(_message: { fields: (string | null)[] }): void {}
  handlePortalSuspended(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleCopyInResponse(connection: Connection & { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('COPY is not allowed');
  }
  handleCopyData(): void {}

  handleError(error: unknown): void {
    this.reject(error);
  }

  handleReadyForQuery(): void {
    this.resolve(this.value());
  }
}

/**
 * Parse and Describe a statement without running it: its result columns, or null when it returns
 * no rows (a write, a utility command, SELECT ... INTO, an empty statement). With a portal name the
 * statement is also bound to that portal, ready for {@link FetchRows}.
 */
export class DescribeStatement extends ProtocolStep<FieldDef[] | null> {
  private fields: FieldDef[] | null = null;

  constructor(
    private readonly text: string,
    private readonly portal?: string,
  ) {
    super();
  }

  submit(connection: Connection): void {
    connection.parse({ text: this.text, name: '', types: [] }, true);
    if (this.portal !== undefined) {
      connection.bind({ portal: this.portal, statement: '', values: [] }, true);
      connection.describe({ type: 'P', name: this.portal }, true);
    } else {
      connection.describe({ type: 'S', name: '' }, true);
    }
    connection.sync();
  }

  override handleRowDescription(message: { fields: FieldDef[] }): void {
    this.fields = message.fields;
  }

  protected value(): FieldDef[] | null {
    return this.fields;
  }
}

export interface RowBatch {
  /** Raw text values, as the server sent them. */
  rows: (string | null)[][];
  /** True once the portal has no more rows. */
  done: boolean;
}

/**
 * Execute up to `count` more rows of an open portal (0: all of them), keeping at most `keep`.
 * PostgreSQL runs a portal without parallel workers when Execute carries a row limit, so a result
 * the planner expects to be small is read in one go and what exceeds `keep` is dropped on arrival.
 */
export class FetchRows extends ProtocolStep<RowBatch> {
  private readonly rows: (string | null)[][] = [];
  private done = false;

  constructor(
    private readonly portal: string,
    private readonly count: number,
    private readonly keep = count,
  ) {
    super();
  }

  submit(connection: Connection): void {
    connection.execute({ portal: this.portal, rows: this.count as unknown as string }, true);
    connection.sync();
  }

  override handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.rows.length < this.keep) this.rows.push(message.fields);
  }

  override handleCommandComplete(): void {
    this.done = true;
  }

  override handleEmptyQuery(): void {
    this.done = true;
  }

  protected value(): RowBatch {
    return { rows: this.rows, done: this.done };
  }
}

/**
 * An ordinary query forced through the extended protocol (Parse/Bind/Execute), whose Parse refuses
 * a second statement. node-postgres would otherwise send a parameterless query as a simple Query,
 * which runs `;`-separated batches.
 */
export function queryExtended<R extends QueryResultRow>(client: ClientBase, text: string): Promise<QueryResult<R>> {
  return client.query<R>({ text, queryMode: 'extended' } as QueryConfig);
}
