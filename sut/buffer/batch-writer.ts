import type { ProgressIncrement } from '../repository/progress-increment.ts';

/**
 * How far into a log (a Kafka partition) a flush reaches: every event below `nextOffset` is in
 * this flush or in an earlier committed one. Given, the writer records it in the same
 * transaction as the increments.
 */
export interface LogPosition {
  readonly nextOffset: number;
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
  /** Applies one partition's batch atomically (with `position` when given); rejects if nothing was applied. */
  write(
    partition: number,
    increments: readonly ProgressIncrement[],
    position?: LogPosition,
  ): Promise<{ rowsUpdated: number }>;
  close(): Promise<void>;
}

/** Accepts every batch at once: measures the service without a database behind it. */
export class NoopBatchWriter implements BatchWriter {
  write(
    _partition: number,
    increments: readonly ProgressIncrement[],
  ): Promise<{ rowsUpdated: number }> {
    return Promise.resolve({ rowsUpdated: increments.length });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
