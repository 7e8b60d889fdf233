import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import type { BatchWriter } from '../../sut/buffer/batch-writer.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../../sut/buffer/flush-worker.ts';
import type { ProgressIncrement } from '../../sut/model/progress-increment.ts';
import { startSut, type RunningSut, type SutOptions } from '../../sut/service/sut-app.ts';

/**
 * A writer that keeps every increment flushed to it: what the service's ingest side (HTTP
 * transport, buffers, flush workers) handed over, for tests of that side without a database.
 */
export class RecordingWriter implements BatchWriter {
  readonly increments: ProgressIncrement[] = [];
  write(_partition: number, batch: readonly ProgressIncrement[]) {
    this.increments.push(...batch);
    return Promise.resolve({ rowsUpdated: batch.length, alreadyApplied: false, deadLetters: [] });
  }
  close() {
    return Promise.resolve();
  }
}

/** The service with production's flush settings on a free port, flushing into a RecordingWriter. */
export async function startRecordingSut(
  options: Partial<SutOptions> = {},
): Promise<{ sut: RunningSut; writer: RecordingWriter }> {
  const writer = new RecordingWriter();
  const sut = await startSut({
    host: '127.0.0.1',
    port: 0,
    partitions: 8,
    variant: 'join',
    flush: PRODUCTION_FLUSH_CONFIG,
    catalogue: await loadCatalogue(),
    writer,
    ...options,
  });
  return { sut, writer };
}

/** Event i as a sender posts it: a "wins" stat of 2 for one of 7 players, with `extra` over it. */
export const winsEvent = (i: number, extra: Record<string, unknown> = {}) => ({
  eventId: `e${i}`,
  playerId: `p${i % 7}`,
  namespace: 'harness',
  type: 'stat',
  statCode: 'wins',
  delta: 2,
  ...extra,
});
