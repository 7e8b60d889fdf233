import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Goal } from '../catalogue/goal-catalogue.ts';
import { SutMetrics } from '../metrics/sut-metrics.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';
import {
  StalePositionError,
  type BatchWriter,
  type FlushFence,
  type WriteOutcome,
} from './batch-writer.ts';
import { FlushWorker, PRODUCTION_FLUSH_CONFIG } from './flush-worker.ts';

const goal: Goal = {
  goalId: 'g',
  challengeId: 'c',
  source: 'wins',
  targetValue: 100,
  daily: false,
};

/** Records each batch with its log position; fails, refuses as stale, or blocks on demand. */
class PositionWriter implements BatchWriter {
  readonly writes: { delta: number; position: number | undefined }[] = [];
  next: 'ok' | 'fail' | 'stale' = 'ok';
  gate: Promise<void> | undefined;

  async write(
    partition: number,
    increments: readonly ProgressIncrement[],
    fence: FlushFence,
  ): Promise<WriteOutcome> {
    if (this.gate !== undefined) await this.gate;
    const outcome = this.next;
    this.next = 'ok';
    if (outcome === 'fail') throw new Error('database unavailable');
    if (outcome === 'stale') throw new StalePositionError(partition, 0, 99);
    this.writes.push({
      delta: increments.reduce((sum, i) => sum + i.delta, 0),
      position: fence.kind === 'log' ? fence.nextOffset : undefined,
    });
    return { rowsUpdated: increments.length, alreadyApplied: false, deadLetters: [] };
  }

  close() {
    return Promise.resolve();
  }
}

describe('flush worker with log positions (fake timers)', () => {
  let writer: PositionWriter;
  let worker: FlushWorker;
  const committed: number[] = [];
  const stale: number[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
    writer = new PositionWriter();
    committed.length = 0;
    stale.length = 0;
    worker = new FlushWorker(0, writer, new SutMetrics('join', 1).partition(0), {
      ...PRODUCTION_FLUSH_CONFIG,
      retryBaseMs: 100,
      // Exact retry times: the jitter has a test of its own.
      retryJitter: 0,
    });
    worker.listenToLog({
      committed: (_p, offset) => committed.push(offset),
      stale: (p) => stale.push(p),
    });
    worker.start();
  });
  afterEach(async () => {
    writer.gate = undefined;
    const stopping = worker.stop();
    await vi.runAllTimersAsync();
    await stopping;
    vi.useRealTimers();
  });

  function add(delta: number, nextOffset: number): void {
    worker.tryAdd('u', 'ns', [goal], delta, Date.now());
    worker.advanceTo(nextOffset);
  }

  it('a flush carries the position after its last event and reports it once committed', async () => {
    add(1, 1);
    add(2, 2);
    await vi.advanceTimersByTimeAsync(100);
    expect(writer.writes).toEqual([{ delta: 3, position: 2 }]);
    expect(committed).toEqual([2]);
  });

  it('a failed flush is retried with its own events and position, then what came after with the newer one', async () => {
    writer.next = 'fail';
    add(1, 1);
    await vi.advanceTimersByTimeAsync(100); // fails
    add(5, 7);
    await vi.advanceTimersByTimeAsync(100); // retry
    expect(writer.writes).toEqual([{ delta: 1, position: 1 }]);
    await vi.advanceTimersByTimeAsync(100);
    expect(writer.writes).toEqual([
      { delta: 1, position: 1 },
      { delta: 5, position: 7 },
    ]);
    expect(committed).toEqual([1, 7]);
  });

  it('a failed flush with nothing new keeps its own position', async () => {
    writer.next = 'fail';
    add(4, 3);
    await vi.advanceTimersByTimeAsync(200);
    expect(writer.writes).toEqual([{ delta: 4, position: 3 }]);
  });

  it('moving the position alone (dead-lettered records) still flushes it', async () => {
    worker.advanceTo(5);
    await vi.advanceTimersByTimeAsync(100);
    expect(writer.writes).toEqual([{ delta: 0, position: 5 }]);
  });

  it('a stale flush drops the buffer, is not retried and tells the source', async () => {
    writer.next = 'stale';
    add(1, 1);
    await vi.advanceTimersByTimeAsync(100);
    expect(stale).toEqual([0]);
    expect(worker.buffer.hasPending).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(writer.writes).toEqual([]);
    expect(committed).toEqual([]);
  });

  it('a flush that fails after discard() does not put the revoked entries back', async () => {
    let open: () => void = () => undefined;
    writer.gate = new Promise((r) => (open = r));
    writer.next = 'fail';
    add(1, 1);
    await vi.advanceTimersByTimeAsync(100); // in flight, blocked
    expect(worker.discard()).toBe(1); // the flush in flight is dropped with the buffer
    writer.gate = undefined;
    open();
    await vi.advanceTimersByTimeAsync(1000);
    expect(worker.buffer.hasPending).toBe(false);
    expect(writer.writes).toEqual([]);
  });
});
