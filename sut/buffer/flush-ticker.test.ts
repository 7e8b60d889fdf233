import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Goal } from '../catalogue/goal-catalogue.ts';
import { SutMetrics } from '../metrics/sut-metrics.ts';
import type { BatchWriter, WriteOutcome } from './batch-writer.ts';
import { FlushTicker, tickAfter } from './flush-ticker.ts';
import { FlushWorker, PRODUCTION_FLUSH_CONFIG, type FlushConfig } from './flush-worker.ts';

const goals: Goal[] = [
  { goalId: 'g', challengeId: 'c', source: 'wins', targetValue: 9, daily: false },
];
const config: FlushConfig = { ...PRODUCTION_FLUSH_CONFIG, intervalMs: 100, bufferSize: 5 };

/** Records when each partition's flushes start; a flush lasts `took(partition, n)` ms. */
function timingWriter(took: (partition: number, flush: number) => number = () => 0) {
  const starts = new Map<number, number[]>();
  const writer: BatchWriter = {
    async write(partition, increments): Promise<WriteOutcome> {
      const mine = starts.get(partition) ?? [];
      starts.set(partition, mine);
      mine.push(Date.now());
      const ms = took(partition, mine.length);
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      return { rowsUpdated: increments.length, alreadyApplied: false, deadLetters: [] };
    },
    close: () => Promise.resolve(),
  };
  return { writer, starts };
}

describe('flush ticks (fake timers)', () => {
  const workers: FlushWorker[] = [];
  let origin: number;
  beforeEach(() => {
    vi.useFakeTimers();
    origin = Date.now();
  });
  afterEach(async () => {
    const stopping = Promise.all(workers.splice(0).map((w) => w.stop()));
    await vi.runAllTimersAsync();
    await stopping;
    vi.useRealTimers();
  });

  function startWorkers(writer: BatchWriter, count: number, ticker = new FlushTicker()) {
    const metrics = new SutMetrics('join', count);
    for (let p = 0; p < count; p++) {
      const worker = new FlushWorker(
        p,
        writer,
        metrics.partition(p),
        config,
        undefined,
        Date.now,
        undefined,
        ticker,
      );
      worker.start(0, origin);
      workers.push(worker);
    }
  }

  /** One event into every worker, so each has something to flush on the next tick. */
  function feed(): void {
    for (const w of workers) w.tryAdd(`u${w.partition}`, 'ns', goals, 1, Date.now());
  }

  it('workers on one ticker wait on one timer and flush on the same tick', async () => {
    const { writer, starts } = timingWriter((p) => 3 * p);
    startWorkers(writer, 8);
    expect(vi.getTimerCount()).toBe(1);
    for (let tick = 1; tick <= 3; tick++) {
      feed();
      await vi.advanceTimersByTimeAsync(100);
    }
    // Once the last flushes are done, every worker waits again, on the one timer.
    await vi.advanceTimersByTimeAsync(50);
    expect(vi.getTimerCount()).toBe(1);
    for (let p = 0; p < 8; p++)
      expect(starts.get(p)?.map((t) => t - origin)).toEqual([100, 200, 300]);
  });

  it('a timer that fires late does not move the grid', async () => {
    const { writer, starts } = timingWriter();
    startWorkers(writer, 2);
    feed();
    await vi.advanceTimersByTimeAsync(99);
    // The wall clock runs 7 ms ahead of the timers: the tick at 100 is handled at 107.
    vi.setSystemTime(Date.now() + 7);
    await vi.advanceTimersByTimeAsync(1);
    feed();
    await vi.advanceTimersByTimeAsync(100);
    for (let p = 0; p < 2; p++) {
      const [first, second] = (starts.get(p) ?? []).map((t) => t - origin);
      expect(first).toBe(107);
      // Not 207: the next flush is the grid's next tick.
      expect(second).toBe(200);
    }
  });

  it('a flush longer than the interval is followed by one at once, then the grid', async () => {
    const { writer, starts } = timingWriter((_p, n) => (n === 1 ? 250 : 0));
    startWorkers(writer, 1);
    feed();
    await vi.advanceTimersByTimeAsync(150);
    feed();
    await vi.advanceTimersByTimeAsync(500);
    feed();
    await vi.advanceTimersByTimeAsync(100);
    // 100 lasts to 350; what came meanwhile goes at once, not on the tick at 400 and not 100 ms
    // after 350; 400-600 are ticks with nothing to write; the event fed at 650 goes at 700.
    expect(starts.get(0)?.map((t) => t - origin)).toEqual([100, 350, 700]);
  });

  it('a flush at the size limit leaves the grid where it was', async () => {
    const { writer, starts } = timingWriter();
    startWorkers(writer, 1);
    await vi.advanceTimersByTimeAsync(40);
    for (let u = 0; u < config.bufferSize; u++)
      workers[0]?.tryAdd(`u${u}`, 'ns', goals, 1, Date.now());
    await vi.advanceTimersByTimeAsync(0);
    feed();
    await vi.advanceTimersByTimeAsync(60);
    expect(starts.get(0)?.map((t) => t - origin)).toEqual([40, 100]);
  });
});

describe('FlushTicker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls each callback once at its tick, earliest first, and forgets cancelled ones', async () => {
    vi.useFakeTimers();
    const ticker = new FlushTicker();
    const t0 = Date.now();
    const fired: string[] = [];
    ticker.at(t0 + 20, () => fired.push('b'));
    ticker.at(t0 + 10, () => fired.push('a'));
    const cancel = ticker.at(t0 + 10, () => fired.push('cancelled'));
    ticker.at(t0 + 20, () => fired.push('c'));
    cancel();
    await vi.advanceTimersByTimeAsync(10);
    expect(fired).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(10);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
    const last = ticker.at(t0 + 50, () => fired.push('never'));
    last();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tickAfter finds the first tick of the grid after a time', () => {
    expect(tickAfter(100, 100, 50)).toBe(100);
    expect(tickAfter(100, 100, 100)).toBe(200);
    expect(tickAfter(100, 100, 351)).toBe(400);
    expect(tickAfter(125, 100, 400)).toBe(425);
  });
});
