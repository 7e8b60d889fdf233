import type { ProgressIncrement } from '../repository/progress-increment.ts';

/** Where a flush goes: PostgreSQL through a SQL variant, or nowhere (ingest benchmarks). */
export interface BatchWriter {
  /** Applies one partition's batch atomically; rejects if nothing was applied. */
  write(
    partition: number,
    increments: readonly ProgressIncrement[],
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
