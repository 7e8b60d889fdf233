import type pg from 'pg';
import { isContentError } from './content-error.ts';

/** A statement of a flush: text, parameters, and a name when it is to be prepared. */
export interface FlushStatement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Prepared once per connection under this name; unnamed statements are parsed each time. */
  readonly name?: string;
}

/** Where a flush transaction stopped: its fence, or the batch after it. */
export type FlushStep = 'fence' | 'batch';

export type FlushTransactionOutcome =
  | { readonly committed: true; readonly rowsUpdated: number }
  | { readonly committed: false; readonly step: FlushStep; readonly error: unknown };

/** The parts of pg's connection a flush transaction writes to (pg 8's extended protocol). */
interface ExtendedProtocolConnection {
  readonly stream: { cork(): void; uncork(): void };
  /** Names of the statements this connection has prepared, with their text (pg keeps it). */
  readonly parsedStatements: Record<string, string>;
  parse(query: { text: string; name: string; types: number[] }): void;
  bind(config: { portal: string; statement: string; values: (string | null)[] }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

/** A parameter as the text PostgreSQL parses; anything but a plain value is refused up front. */
function textParameter(value: unknown, text: string, index: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  throw new TypeError(
    `parameter $${index + 1} of "${text}" is a ${typeof value}; a flush sends strings, numbers, booleans or null`,
  );
}

function rowCount(commandTag: string): number {
  const count = Number(commandTag.slice(commandTag.lastIndexOf(' ') + 1));
  return Number.isInteger(count) ? count : 0;
}

/**
 * A flush (its fence, then the batch) as one implicit transaction of the extended query
 * protocol: Parse/Bind/Execute for each statement and a single Sync, in one write. PostgreSQL
 * runs everything before a Sync as one transaction, committed at the Sync, or rolled back
 * whole at the first error. One Sync means one ReadyForQuery: the answer arrives as a single
 * read, where BEGIN, the statements and COMMIT each ending in their own Sync were answered
 * in two or three, each a wake-up of the service. No Describe is sent: the rows of the
 * fence's SELECT are not read, only each statement's command tag.
 *
 * A pg submittable, so it takes its turn on the connection like a query: the connection must
 * not be in pipeline mode, where pg refuses custom submittables.
 */
export class FlushTransaction implements pg.Submittable {
  readonly outcome: Promise<FlushTransactionOutcome>;
  private settle!: (outcome: FlushTransactionOutcome) => void;
  private readonly statements: readonly FlushStatement[];
  private completed = 0;
  private rowsUpdated = 0;
  private settled = false;
  private parsing: FlushStatement | undefined;

  constructor(fence: FlushStatement, batch: FlushStatement | undefined) {
    this.statements = batch === undefined ? [fence] : [fence, batch];
    this.outcome = new Promise((resolve) => {
      this.settle = (outcome) => {
        if (this.settled) return;
        this.settled = true;
        resolve(outcome);
      };
    });
  }

  /** Returns an error instead of writing when a parameter cannot be sent (pg reports it). */
  submit(pgConnection: pg.Connection): Error | undefined {
    const connection = pgConnection as unknown as ExtendedProtocolConnection;
    let parameters: (string | null)[][];
    try {
      parameters = this.statements.map((s) =>
        s.values.map((value, i) => textParameter(value, s.text, i)),
      );
    } catch (error) {
      // Nothing has been written, so the connection is still ready for the next query.
      return error as Error;
    }
    connection.stream.cork();
    try {
      this.statements.forEach((statement, i) => {
        const name = statement.name ?? '';
        if (name === '' || connection.parsedStatements[name] === undefined) {
          connection.parse({ text: statement.text, name, types: [] });
          if (name !== '') this.parsing = statement;
        }
        connection.bind({ portal: '', statement: name, values: parameters[i] ?? [] });
        connection.execute({ portal: '', rows: 0 });
      });
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    return undefined;
  }

  handleCommandComplete(message: { text: string }, pgConnection: pg.Connection): void {
    this.completed++;
    if (this.completed === 2) {
      this.rowsUpdated = rowCount(message.text);
      this.remember(pgConnection);
    }
  }

  handleError(error: unknown, pgConnection: pg.Connection): void {
    const step: FlushStep = this.completed === 0 ? 'fence' : 'batch';
    // An error while executing the batch means its Parse succeeded: the statement exists.
    if (step === 'batch' && isContentError(error)) this.remember(pgConnection);
    this.settle({ committed: false, step, error });
  }

  handleReadyForQuery(): void {
    if (this.completed !== this.statements.length) {
      this.settle({
        committed: false,
        step: this.completed === 0 ? 'fence' : 'batch',
        error: new Error(
          `the flush transaction was answered with ${this.completed} of ${this.statements.length} statements complete`,
        ),
      });
      return;
    }
    this.settle({ committed: true, rowsUpdated: this.rowsUpdated });
  }

  /** The fence's row is not read (no Describe, so pg hands it over undecoded). */
  handleDataRow(): void {}
  handleRowDescription(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  handleCopyInResponse(pgConnection: pg.Connection): void {
    // A flush never copies; refusing makes the server fail the statement, so the
    // transaction rolls back and reports it instead of waiting for data.
    (pgConnection as unknown as ExtendedProtocolConnection).sendCopyFail(
      'a flush transaction sends no COPY data',
    );
  }

  handleCopyData(): void {}

  private remember(pgConnection: pg.Connection): void {
    const statement = this.parsing;
    if (statement?.name === undefined) return;
    (pgConnection as unknown as ExtendedProtocolConnection).parsedStatements[statement.name] =
      statement.text;
    this.parsing = undefined;
  }
}
