import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRandom } from '../db/random.ts';
import { SutMetrics } from '../metrics/sut-metrics.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';
import type { BatchWriter, FlushFence, WriteOutcome } from './batch-writer.ts';
import { FlushTicker } from './flush-ticker.ts';
import { FlushWorker, PRODUCTION_FLUSH_CONFIG, type FlushConfig } from './flush-worker.ts';
import { retryDelayMs } from './retry-delay.ts';

const backoff = { retryBaseMs: 100, retryMaxMs: 5000, retryJitter: 0.5 };

describe('retry delay', () => {
  it('doubles its ceiling per failure up to the cap, and never waits past it nor below the jitter', () => {
    expect(retryDelayMs(1, backoff, () => 0)).toBe(100);
    expect(retryDelayMs(1, backoff, () => 1)).toBe(50);
    expect(retryDelayMs(3, backoff, () => 0)).toBe(400);
    expect(retryDelayMs(3, backoff, () => 0.5)).toBe(300);
    expect(retryDelayMs(20, backoff, () => 0)).toBe(5000);
    expect(retryDelayMs(20, backoff, () => 1)).toBe(2500);
    expect(retryDelayMs(3, { ...backoff, retryJitter: 0 }, () => 0.7)).toBe(400);
  });
});

/** Fails every partition's first `failures` attempts; records when each attempt came. */
class FailingWriter implements BatchWriter {
  readonly attempts = new Map<number, number[]>();
  constructor(private readonly failures: number) {}

  write(
    partition: number,
    increments: readonly ProgressIncrement[],
    _fence: FlushFence,
  ): Promise<WriteOutcome> {
    const times = this.attempts.get(partition) ?? [];
    times.push(Date.now());
    this.attempts.set(partition, times);
    if (times.length <= this.failures) return Promise.reject(new Error('database unavailable'));
    return Promise.resolve({
      rowsUpdated: increments.length,
      alreadyApplied: false,
      deadLetters: [],
    });
  }

  close() {
    return Promise.resolve();
  }
}

describe('eight partitions failing on one tick (fake timers, seeded jitter)', () => {
  const partitions = 8;
  const config: FlushConfig = { ...PRODUCTION_FLUSH_CONFIG, retryBaseMs: 100, retryMaxMs: 5000 };
  let workers: FlushWorker[];
  let writer: FailingWriter;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(async () => {
    const stopping = Promise.all(workers.map((w) => w.stop()));
    await vi.runAllTimersAsync();
    await stopping;
    vi.useRealTimers();
  });

  function startWorkers(jitter: number, seed: number): void {
    writer = new FailingWriter(4);
    const metrics = new SutMetrics('join', partitions);
    const ticker = new FlushTicker();
    const random = createRandom(seed);
    const origin = Date.now();
    workers = Array.from(
      { length: partitions },
      (_, p) =>
        new FlushWorker(
          p,
          writer,
          metrics.partition(p),
          { ...config, retryJitter: jitter },
          () => undefined,
          Date.now,
          () => undefined,
          ticker,
          random,
        ),
    );
    for (const w of workers) {
      w.start(0, origin);
      w.tryAdd(
        'u',
        'ns',
        [{ goalId: 'g', challengeId: 'c', source: 'wins', targetValue: 9, daily: false }],
        1,
        origin,
      );
    }
  }

  /** Each retry round's attempt times, across the partitions, relative to the first failure. */
  function rounds(): number[][] {
    const all = [...writer.attempts.values()];
    const first = Math.min(...all.map((t) => t[0] ?? Infinity));
    return [1, 2, 3, 4].map((round) => all.map((t) => (t[round] ?? NaN) - first));
  }

  it('without jitter they retry in lockstep; with it each round spreads over half its ceiling', async () => {
    startWorkers(0, 1);
    await vi.advanceTimersByTimeAsync(100 + 100 + 200 + 400 + 800 + 100);
    for (const round of rounds()) expect(new Set(round).size).toBe(1);
    await Promise.all(workers.map((w) => w.stop()));

    startWorkers(0.5, 1);
    await vi.advanceTimersByTimeAsync(100 + 100 + 200 + 400 + 800 + 100);
    const spread = rounds();
    expect(spread.flat().every(Number.isFinite)).toBe(true);
    // Round 4 waits up to 800 ms after round 3; its eight retries land on eight different
    // milliseconds, spread across more than a quarter of the 400 ms the jitter may take off.
    const ceilings = [100, 200, 400, 800];
    spread.forEach((round, i) => {
      const previous = i === 0 ? round.map(() => 0) : (spread[i - 1] ?? []);
      const waits = round.map((t, p) => t - (previous[p] ?? 0));
      const ceiling = ceilings[i] ?? 0;
      for (const w of waits) {
        expect(w).toBeGreaterThanOrEqual(ceiling / 2 - 1);
        expect(w).toBeLessThanOrEqual(ceiling + 1);
      }
    });
    const last = spread[3] ?? [];
    expect(new Set(last).size).toBe(partitions);
    expect(Math.max(...last) - Math.min(...last)).toBeGreaterThan(100);
  });
});
