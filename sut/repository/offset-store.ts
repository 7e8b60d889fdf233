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
   * Inside the caller's transaction: moves the stored position from the expected one to
   * `nextOffset`, and takes the row lock that serialises two owners of one partition. Throws
   * StalePositionError (the caller rolls back) when the stored position is not the expected one.
   */
  async advanceInTransaction(
    client: pg.ClientBase,
    partition: number,
    nextOffset: number,
  ): Promise<void> {
    if (!this.expected.has(partition)) throw new StalePositionError(partition, null, undefined);
    const expected = this.expected.get(partition) ?? null;
    const result = await client.query(
      `UPDATE kafka_offsets SET next_offset = $4, updated_at = now()
       WHERE consumer_group = $1 AND topic = $2 AND partition = $3
         AND next_offset IS NOT DISTINCT FROM $5`,
      [this.scope.group, this.scope.topic, partition, nextOffset, expected],
    );
    if (result.rowCount !== 1) {
      const { rows } = await client.query<{ next_offset: string | null }>(
        `SELECT next_offset FROM kafka_offsets
         WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
        [this.scope.group, this.scope.topic, partition],
      );
      const found = rows[0] === undefined ? undefined : Number(rows[0].next_offset);
      throw new StalePositionError(partition, expected, found);
    }
  }

  /**
   * After COMMIT: the new position is what this process expects from now on. (When a COMMIT
   * fails with an unknown outcome nothing changes here: the retry either finds the old
   * position and applies once, or finds the new one and fails as stale.)
   */
  committed(partition: number, nextOffset: number): void {
    if (this.expected.has(partition)) this.expected.set(partition, nextOffset);
  }
}
