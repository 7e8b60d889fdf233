import type pg from 'pg';
import { StalePositionError, type BatchWriter, type LogPosition } from '../buffer/batch-writer.ts';
import { connectClient } from '../db/pool.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../db/harness-schema.ts';
import type { SqlVariant } from '../sql/variant-registry.ts';
import { executeBatch, prepareBatch, type PreparedBatch } from './batch-increment-repository.ts';
import type { OffsetStore } from './offset-store.ts';
import type { ProgressIncrement } from './progress-increment.ts';

/**
 * Flushes through a SQL variant, one connection per partition (as the service's flush
 * workers each hold one). A connection that failed is dropped and opened again on the next
 * flush, so a database restart costs retries, not the process.
 *
 * Without a log position a flush is the variant alone, one autocommit statement. With one
 * (the Kafka transport) it is BEGIN; the fenced offset write; the variant; COMMIT: the
 * offsets cover exactly the increments committed with them.
 */
export class PostgresBatchWriter implements BatchWriter {
  private readonly clients = new Map<number, Promise<pg.Client>>();

  constructor(
    private readonly url: string,
    private readonly variant: SqlVariant,
    private readonly prepared: boolean,
    /** Where log positions go; required for writes that carry one. */
    readonly offsets?: OffsetStore,
    /** The harness's schema, where the offsets table lives. */
    private readonly schema: string = DEFAULT_HARNESS_SCHEMA,
  ) {}

  private client(partition: number): Promise<pg.Client> {
    let client = this.clients.get(partition);
    if (client === undefined) {
      client = connectClient(this.url, this.schema).then((c) => {
        // A broken connection emits 'error' between queries; forget it so the next flush reconnects.
        c.on('error', () => this.clients.delete(partition));
        return c;
      });
      client.catch(() => this.clients.delete(partition));
      this.clients.set(partition, client);
    }
    return client;
  }

  /** The connection a partition's flushes use (the Kafka source claims offsets on it too). */
  connection(partition: number): Promise<pg.Client> {
    return this.client(partition);
  }

  async write(
    partition: number,
    increments: readonly ProgressIncrement[],
    position?: LogPosition,
  ): Promise<{ rowsUpdated: number }> {
    const batch = prepareBatch(increments);
    const client = await this.client(partition);
    try {
      if (position === undefined)
        return await executeBatch(client, this.variant, batch, { prepared: this.prepared });
      return await this.writeWithPosition(client, partition, batch, position);
    } catch (error) {
      if (error instanceof StalePositionError) throw error;
      // The connection may be unusable; a fresh one costs little next to a failed flush.
      this.clients.delete(partition);
      client.end().catch(() => undefined);
      throw error;
    }
  }

  private async writeWithPosition(
    client: pg.Client,
    partition: number,
    batch: PreparedBatch,
    position: LogPosition,
  ): Promise<{ rowsUpdated: number }> {
    const offsets = this.offsets;
    if (offsets === undefined)
      throw new Error('a flush with a log position needs a writer built with an OffsetStore');
    await client.query('BEGIN');
    try {
      // The offset row first: a stale owner fails before the expensive UPDATE, and the row
      // lock orders two owners of one partition.
      await offsets.advanceInTransaction(client, partition, position.nextOffset);
      const result = await executeBatch(client, this.variant, batch, { prepared: this.prepared });
      await client.query('COMMIT');
      offsets.committed(partition, position.nextOffset);
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map(async (c) => (await c).end()));
  }
}
