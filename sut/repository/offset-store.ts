import type pg from 'pg';
import { StalePositionError } from '../buffer/batch-writer.ts';

/** Which log the offsets belong to: one row per (consumer group, topic, partition). */
export interface OffsetScope {
  readonly group: string;
  readonly topic: string;
}

/**
 * The consumed position of each Kafka partition, kept in PostgreSQL beside the progress it
 * produced (table kafka_offsets). The position a consumer last read or wrote is remembered
 * per partition and every write is conditional on it: a consumer that lost its partition to
 * another one fails its next write (StalePositionError) instead of applying events twice.
 */
export class OffsetStore {
  /** What this process believes is stored, per partition; null = claimed, nothing applied yet. */
  private readonly expected = new Map<number, number | null>();

  constructor(readonly scope: OffsetScope) {}

  /**
   * Takes a partition on (re)assignment: creates its row if missing and returns the stored
   * next offset (null: start at the log's beginning). Later writes are fenced on this value.
   */
  async claim(client: pg.ClientBase, partition: number): Promise<number | null> {
    await client.query(
      `INSERT INTO kafka_offsets (consumer_group, topic, partition, next_offset)
       VALUES ($1, $2, $3, NULL) ON CONFLICT DO NOTHING`,
      [this.scope.group, this.scope.topic, partition],
    );
    const { rows } = await client.query<{ next_offset: string | null }>(
      `SELECT next_offset FROM kafka_offsets
       WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
      [this.scope.group, this.scope.topic, partition],
    );
    const raw = rows[0]?.next_offset ?? null;
    const stored = raw === null ? null : Number(raw);
    this.expected.set(partition, stored);
    return stored;
  }

  /** Forgets a partition this process no longer owns: a write for it fails until it is claimed again. */
  release(partition: number): void {
    this.expected.delete(partition);
  }

  /**
   * The statement that, inside a flush's transaction, moves the stored position from the
   * expected one to `nextOffset` and takes the row lock that serialises two owners of one
   * partition (advance_offset, migration 0003). It fails with SQLSTATE HF001 when the position
   * already stands at `nextOffset` (applied before) and HF002 when it stands elsewhere
   * (staleError turns that into a StalePositionError). Throws StalePositionError at once for a
   * partition this process has not claimed.
   */
  fenceStatement(partition: number, nextOffset: number): { text: string; values: unknown[] } {
    if (!this.expected.has(partition)) throw new StalePositionError(partition, null, undefined);
    return {
      text: 'SELECT advance_offset($1, $2, $3, $4, $5)',
      values: [
        this.scope.group,
        this.scope.topic,
        partition,
        this.expected.get(partition) ?? null,
        nextOffset,
      ],
    };
  }

  /** The StalePositionError for advance_offset's HF002 (its detail is the stored offset). */
  staleError(partition: number, detail: string | undefined): StalePositionError {
    const found =
      detail === undefined || detail === 'missing'
        ? undefined
        : detail === 'null'
          ? null
          : Number(detail);
    return new StalePositionError(partition, this.expected.get(partition) ?? null, found);
  }

  /**
   * After COMMIT (or a retry that found its flush applied before): the new position is what
   * this process expects from now on. When a COMMIT fails with an unknown outcome nothing
   * changes here: the retry either finds the old position and applies once, or finds the new
   * one and knows its flush was applied.
   */
  committed(partition: number, nextOffset: number): void {
    if (this.expected.has(partition)) this.expected.set(partition, nextOffset);
  }
}
