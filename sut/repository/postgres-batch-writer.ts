import type pg from 'pg';
import type { BatchWriter } from '../buffer/batch-writer.ts';
import { connectClient } from '../db/pool.ts';
import type { SqlVariant } from '../sql/variant-registry.ts';
import { executeBatch, prepareBatch } from './batch-increment-repository.ts';
import type { ProgressIncrement } from './progress-increment.ts';

/**
 * Flushes through a SQL variant, one connection per partition (as the service's flush
 * workers each hold one). A connection that failed is dropped and opened again on the next
 * flush, so a database restart costs retries, not the process.
 */
export class PostgresBatchWriter implements BatchWriter {
  private readonly clients = new Map<number, Promise<pg.Client>>();

  constructor(
    private readonly url: string,
    private readonly variant: SqlVariant,
    private readonly prepared: boolean,
  ) {}

  private client(partition: number): Promise<pg.Client> {
    let client = this.clients.get(partition);
    if (client === undefined) {
      client = connectClient(this.url).then((c) => {
        // A broken connection emits 'error' between queries; forget it so the next flush reconnects.
        c.on('error', () => this.clients.delete(partition));
        return c;
      });
      client.catch(() => this.clients.delete(partition));
      this.clients.set(partition, client);
    }
    return client;
  }

  async write(
    partition: number,
    increments: readonly ProgressIncrement[],
  ): Promise<{ rowsUpdated: number }> {
    const batch = prepareBatch(increments);
    const client = await this.client(partition);
    try {
      return await executeBatch(client, this.variant, batch, { prepared: this.prepared });
    } catch (error) {
      // The connection may be unusable; a fresh one costs little next to a failed flush.
      this.clients.delete(partition);
      client.end().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map(async (c) => (await c).end()));
  }
}
