import type { ProgressIncrement } from '../model/progress-increment.ts';

/**
 * What makes a flush safe to retry after an unknown outcome (a COMMIT whose reply was lost):
 * the writer records it in the flush's own transaction, and a retry that finds it recorded
 * applies nothing.
 * - `sequence` (HTTP): the flush's number in this service instance and partition; a retry of
 *   a pending flush carries the same number.
 * - `log` (Kafka): every event below `nextOffset` is in this flush or in an earlier committed
 *   one; the stored offset moves to it with the increments.
 */
export type FlushFence =
  | { readonly kind: 'sequence'; readonly seq: number }
  | { readonly kind: 'log'; readonly nextOffset: number };

/** An increment the database refused for its own content, set aside so the partition goes on. */
export interface DeadLetter {
  readonly increment: ProgressIncrement;
  /** PostgreSQL's error code (22003: a progress that would pass INT, ...). */
  readonly sqlstate: string | undefined;
  readonly problem: string;
}

export interface WriteOutcome {
  /** Rows the UPDATE changed (0 when the flush had been applied before). */
  readonly rowsUpdated: number;
  /** The fence said an earlier attempt of this very flush committed: nothing was applied now. */
  readonly alreadyApplied: boolean;
  /** Increments refused by the database and recorded in dead_letters instead. */
  readonly deadLetters: readonly DeadLetter[];
}

/**
 * The stored log position was not the one this writer expected: another consumer took the
 * partition and moved it. Nothing of the flush was applied; the caller must drop what it
 * buffered for the partition and re-read from the stored position.
 */
export class StalePositionError extends Error {
  override readonly name = 'StalePositionError';
  constructor(
    readonly partition: number,
    expected: number | null,
    found: number | null | undefined,
  ) {
    super(
      `partition ${partition}: stored offset is ${found === undefined ? 'missing' : String(found)}, expected ${String(expected)}; another consumer moved it`,
    );
  }
}

/** Where a flush goes: PostgreSQL through a SQL variant, or nowhere (ingest benchmarks). */
export interface BatchWriter {
  /**
   * Applies one partition's batch and its fence atomically, or nothing. Rejects when nothing
   * was applied, or when it cannot tell (the connection died around COMMIT): the caller
   * retries the same batch with the same fence, which the fence makes safe.
   */
  write(
    partition: number,
    increments: readonly ProgressIncrement[],
    fence: FlushFence,
  ): Promise<WriteOutcome>;
  close(): Promise<void>;
}

/** Accepts every batch at once: measures the service without a database behind it. */
export class NoopBatchWriter implements BatchWriter {
  write(_partition: number, increments: readonly ProgressIncrement[]): Promise<WriteOutcome> {
    return Promise.resolve({
      rowsUpdated: increments.length,
      alreadyApplied: false,
      deadLetters: [],
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
