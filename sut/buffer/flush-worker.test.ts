import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadCatalogue, type Goal } from '../catalogue/goal-catalogue.ts';
import { FlushService } from '../service/flush-service.ts';
import { partitionOf } from '../partitioning/fnv1a.ts';
import type { PlayerEvent } from '../events/player-event.ts';
import { SutMetrics } from '../metrics/sut-metrics.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';
import type { BatchWriter, DeadLetter, FlushFence, WriteOutcome } from './batch-writer.ts';
import {
  BackpressureTimeoutError,
  FlushWorker,
  PRODUCTION_FLUSH_CONFIG,
  type FlushConfig,
} from './flush-worker.ts';

const goals: Goal[] = Array.from({ length: 10 }, (_, i) => ({
  goalId: `g${i}`,
  challengeId: 'c',
  source: 'wins',
  targetValue: 100,
  daily: false,
}));
const oneGoal = goals.slice(0, 1);

/** A writer whose calls the test controls: records batches, fails or blocks on demand. */
class ScriptedWriter implements BatchWriter {
  readonly batches: ProgressIncrement[][] = [];
  /** Every attempt's fence, failed ones included. */
  readonly fences: FlushFence[] = [];
  failuresLeft = 0;
  gate: Promise<void> | undefined;
  deadLetters: DeadLetter[] = [];

  async write(
    _partition: number,
    increments: readonly ProgressIncrement[],
    fence: FlushFence,
  ): Promise<WriteOutcome> {
    if (this.gate !== undefined) await this.gate;
    this.fences.push(fence);
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('database unavailable');
    }
    this.batches.push([...increments]);
    const deadLetters = this.deadLetters;
    this.deadLetters = [];
    return {
      rowsUpdated: increments.length - deadLetters.length,
      alreadyApplied: false,
      deadLetters,
    };
  }

  close() {
    return Promise.resolve();
  }

  totalDelta(): number {
    return this.batches.flat().reduce((sum, i) => sum + i.delta, 0);
  }
}

const config: FlushConfig = {
  ...PRODUCTION_FLUSH_CONFIG,
  bufferSize: 100,
  backpressureTimeoutMs: 5000,
  retryBaseMs: 100,
  retryMaxMs: 1000,
  // Exact retry times: the jitter has a test of its own.
  retryJitter: 0,
  shutdownTimeoutMs: 3000,
};

async function metricValue(
  metrics: SutMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as {
    value: number;
    labels: Record<string, string>;
    metricName?: string;
  }[];
  return values
    .filter(
      (v) =>
        (v.metricName === undefined || v.metricName === name || v.metricName === `${name}_count`) &&
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    )
    .reduce((sum, v) => sum + v.value, 0);
}

describe('flush worker (fake timers)', () => {
  let writer: ScriptedWriter;
  let metrics: SutMetrics;
  let worker: FlushWorker;
  beforeEach(() => {
    vi.useFakeTimers();
    writer = new ScriptedWriter();
    metrics = new SutMetrics('join', 1);
    worker = new FlushWorker(0, writer, metrics.partition(0), config);
    worker.start();
  });
  afterEach(async () => {
    writer.gate = undefined;
    writer.failuresLeft = 0;
    const stopping = worker.stop();
    await vi.runAllTimersAsync();
    await stopping;
    vi.useRealTimers();
  });

  it('flushes every interval, not before', async () => {
    worker.tryAdd('u1', 'ns', goals, 1, Date.now());
    await vi.advanceTimersByTimeAsync(99);
    expect(writer.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writer.batches).toHaveLength(1);
    expect(writer.batches[0]).toHaveLength(10);
    expect(await metricValue(metrics, 'harness_flushes_total', { trigger: 'interval' })).toBe(1);
  });

  it('tells /healthz since when increments wait and since when the flush in progress runs', async () => {
    const origin = Date.now();
    expect(worker.healthState()).toMatchObject({
      unwrittenKeys: 0,
      waitingSince: undefined,
      flushStartedAt: undefined,
    });
    await vi.advanceTimersByTimeAsync(30);
    worker.tryAdd('u1', 'ns', oneGoal, 1, Date.now());
    let release: () => void = () => undefined;
    writer.gate = new Promise((r) => (release = r));
    await vi.advanceTimersByTimeAsync(70); // the tick at 100 ms starts a flush that hangs
    worker.tryAdd('u2', 'ns', oneGoal, 1, Date.now());
    await vi.advanceTimersByTimeAsync(5000);
    expect(worker.healthState()).toMatchObject({
      unwrittenKeys: 2,
      waitingSince: origin + 30,
      flushStartedAt: origin + 100,
      atBackpressure: false,
    });
    writer.gate = undefined;
    release();
    await vi.advanceTimersByTimeAsync(200);
    expect(writer.batches).toHaveLength(2);
    expect(worker.healthState()).toMatchObject({
      unwrittenKeys: 0,
      waitingSince: undefined,
      flushStartedAt: undefined,
    });
  });

  it('marks as durable what came in before the drain of a batch that committed, and no more', async () => {
    const origin = Date.now();
    expect(worker.durableThrough).toBe(origin);
    await vi.advanceTimersByTimeAsync(30);
    worker.tryAdd('u1', 'ns', oneGoal, 1, Date.now());
    writer.failuresLeft = 1;
    await vi.advanceTimersByTimeAsync(70); // drained at 100 ms; the write fails
    worker.tryAdd('u2', 'ns', oneGoal, 1, Date.now());
    // Nothing committed: the mark stays where the worker started, before u1 came in.
    expect(worker.durableThrough).toBe(origin);
    await vi.advanceTimersByTimeAsync(100); // the retry of the same batch commits
    expect(writer.batches).toHaveLength(1);
    // u1's batch was drained at 100 ms; u2 came in after it and is not yet written.
    expect(worker.durableThrough).toBe(origin + 100);
    await vi.advanceTimersByTimeAsync(100); // u2's batch drained at 300 ms and committed
    expect(worker.durableThrough).toBe(origin + 300);
    await vi.advanceTimersByTimeAsync(100); // nothing left: durable through the idle tick
    expect(worker.durableThrough).toBe(origin + 400);
  });

  it('does not mark as durable a batch that carried part of a summed delta back', async () => {
    const origin = Date.now();
    const max = 2_147_483_647;
    worker.tryAdd('u1', 'ns', oneGoal, max, Date.now());
    worker.tryAdd('u1', 'ns', oneGoal, 5, Date.now());
    await vi.advanceTimersByTimeAsync(100);
    expect(writer.batches).toHaveLength(1);
    expect(worker.durableThrough).toBe(origin);
    await vi.advanceTimersByTimeAsync(100); // the carried 5 commits
    expect(worker.durableThrough).toBe(origin + 200);
  });

  it('flushes at once when the buffer reaches its size', async () => {
    for (let u = 0; u < 10; u++) worker.tryAdd(`u${u}`, 'ns', goals, 1, Date.now());
    await vi.advanceTimersByTimeAsync(0);
    expect(writer.batches).toHaveLength(1);
    expect(writer.batches[0]).toHaveLength(100);
    expect(await metricValue(metrics, 'harness_flushes_total', { trigger: 'size' })).toBe(1);
  });

  it("records event-to-commit latency from each event's intended time", async () => {
    const sentAt = Date.now();
    worker.tryAdd('u1', 'ns', oneGoal, 1, sentAt - 40);
    await vi.advanceTimersByTimeAsync(100);
    const histogram = (await metrics.registry.getMetricsAsJSON()).find(
      (m) => m.name === 'harness_event_to_commit_seconds',
    );
    const sum = (histogram?.values as unknown as { metricName: string; value: number }[]).find(
      (v) => v.metricName === 'harness_event_to_commit_seconds_sum',
    );
    expect(sum?.value).toBeCloseTo(0.14, 5);
  });

  it('retries a failed flush as it was (same batch, same fence) with backoff, and loses no increment', async () => {
    writer.failuresLeft = 2;
    for (let u = 0; u < 5; u++) worker.tryAdd(`u${u}`, 'ns', oneGoal, 2, Date.now());
    await vi.advanceTimersByTimeAsync(100); // first attempt fails
    expect(worker.trouble).toMatchObject({ failures: 1, error: 'database unavailable' });
    for (let u = 0; u < 5; u++) worker.tryAdd(`u${u}`, 'ns', oneGoal, 3, Date.now()); // same keys, new increments
    await vi.advanceTimersByTimeAsync(100); // retry after 100 ms fails
    expect(writer.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200); // retry after 200 ms succeeds: the first batch alone
    expect(writer.batches).toHaveLength(1);
    expect(writer.totalDelta()).toBe(5 * 2);
    expect(worker.trouble).toBeUndefined();
    await vi.advanceTimersByTimeAsync(100); // then what arrived meanwhile, as a flush of its own
    expect(writer.batches).toHaveLength(2);
    expect(writer.totalDelta()).toBe(5 * 2 + 5 * 3);
    // Every attempt of the first batch carried its number; the next batch the next one.
    expect(writer.fences).toEqual([
      { kind: 'sequence', seq: 1 },
      { kind: 'sequence', seq: 1 },
      { kind: 'sequence', seq: 1 },
      { kind: 'sequence', seq: 2 },
    ]);
    expect(await metricValue(metrics, 'harness_flush_errors_total')).toBe(2);
    expect(await metricValue(metrics, 'harness_flush_retries_total')).toBe(2);
  });

  it('a key whose summed delta passes INT is flushed in parts, none lost', async () => {
    const max = 2_147_483_647;
    worker.tryAdd('u1', 'ns', oneGoal, max, Date.now());
    worker.tryAdd('u1', 'ns', oneGoal, max, Date.now());
    worker.tryAdd('u1', 'ns', oneGoal, 5, Date.now());
    await vi.advanceTimersByTimeAsync(100);
    expect(writer.batches.map((b) => b.map((i) => i.delta))).toEqual([[max]]);
    await vi.advanceTimersByTimeAsync(200);
    expect(writer.batches.map((b) => b.map((i) => i.delta))).toEqual([[max], [max], [5]]);
  });

  it('increments the database refused are reported, counted apart from the rows', async () => {
    const letters: DeadLetter[][] = [];
    const reporting = new FlushWorker(
      0,
      writer,
      metrics.partition(0),
      config,
      undefined,
      Date.now,
      (_p, l) => letters.push([...l]),
    );
    reporting.start();
    reporting.tryAdd('u1', 'ns', goals.slice(0, 3), 1, Date.now());
    const refused: DeadLetter = {
      increment: {
        userId: 'u1',
        goalId: 'g0',
        challengeId: 'c',
        namespace: 'ns',
        delta: 1,
        targetValue: 100,
        isDaily: false,
      },
      sqlstate: '22003',
      problem: 'integer out of range',
    };
    writer.deadLetters = [refused];
    await vi.advanceTimersByTimeAsync(100);
    expect(letters).toEqual([[refused]]);
    expect(await metricValue(metrics, 'harness_increments_unmatched_total')).toBe(0);
    const stopping = reporting.stop();
    await vi.advanceTimersByTimeAsync(1000);
    await stopping;
  });

  it('backpressure: above 1.5x the size, ingest waits for a flush and fails after the timeout', async () => {
    let release: () => void = () => undefined;
    writer.gate = new Promise((r) => {
      release = r;
    });
    for (let u = 0; u < 10; u++) worker.tryAdd(`u${u}`, 'ns', goals, 1, Date.now()); // 100 keys: a flush starts and blocks
    await vi.advanceTimersByTimeAsync(0);
    for (let u = 10; u < 25; u++) worker.tryAdd(`u${u}`, 'ns', goals, 1, Date.now()); // 150 keys waiting
    expect(worker.needsRoom).toBe(true);
    const waiting = worker.waitForRoom();
    const outcome = waiting.then(
      () => 'room',
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(4999);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBeInstanceOf(BackpressureTimeoutError);
    expect(String(await outcome)).toMatch(
      /partition 0's buffer stayed at or above 150 keys for 5000 ms/,
    );
    // Once the database answers, the next flush drains the buffer and waiters get room.
    const second = worker.waitForRoom();
    release();
    await vi.advanceTimersByTimeAsync(0);
    await expect(second).resolves.toBeUndefined();
    expect(await metricValue(metrics, 'harness_backpressure_waits_total')).toBe(2);
  });

  it('circuit breaker: above 2.5x the size, events are rejected and counted', async () => {
    writer.failuresLeft = 1000;
    let accepted = 0;
    for (let u = 0; u < 30; u++) if (worker.tryAdd(`u${u}`, 'ns', goals, 1, Date.now())) accepted++;
    expect(accepted).toBe(25); // 250 keys = 2.5 x 100
    expect(worker.buffer.size).toBe(250);
    expect(await metricValue(metrics, 'harness_circuit_breaker_rejections_total')).toBe(5);
  });

  it('stop() flushes what is buffered, retrying through failures', async () => {
    for (let u = 0; u < 3; u++) worker.tryAdd(`u${u}`, 'ns', oneGoal, 7, Date.now());
    writer.failuresLeft = 1;
    const stopping = worker.stop();
    await vi.runAllTimersAsync();
    expect(await stopping).toBe(0);
    expect(writer.totalDelta()).toBe(21);
    expect(await metricValue(metrics, 'harness_flushes_total', { trigger: 'shutdown' })).toBe(1);
  });

  it('stop() gives up after the shutdown timeout and reports what is left', async () => {
    worker.tryAdd('u1', 'ns', oneGoal, 1, Date.now());
    writer.failuresLeft = 1_000_000;
    const stopping = worker.stop();
    await vi.advanceTimersByTimeAsync(config.shutdownTimeoutMs + config.retryMaxMs * 2);
    expect(await stopping).toBe(1);
  });
});

describe('flush phase (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('staggered: partition p flushes p/partitions of an interval after partition 0', async () => {
    vi.useFakeTimers();
    const flushedAt = new Map<number, number>();
    const writer: BatchWriter = {
      write: (partition, increments) => {
        if (!flushedAt.has(partition)) flushedAt.set(partition, Date.now());
        return Promise.resolve({
          rowsUpdated: increments.length,
          alreadyApplied: false,
          deadLetters: [],
        });
      },
      close: () => Promise.resolve(),
    };
    const partitions = 4;
    const catalogue = await loadCatalogue();
    const run = async (phase: FlushConfig['phase']) => {
      flushedAt.clear();
      const service = new FlushService(
        catalogue,
        writer,
        new SutMetrics('join', partitions),
        partitions,
        { ...config, phase },
      );
      const started = Date.now();
      service.start();
      for (let p = 0; p < partitions; p += 1)
        service.workers[p]?.tryAdd(`u${p}`, 'ns', goals, 1, Date.now());
      await vi.advanceTimersByTimeAsync(250);
      const stopping = service.stop();
      await vi.runAllTimersAsync();
      await stopping;
      return [...Array(partitions).keys()].map((p) => (flushedAt.get(p) ?? NaN) - started);
    };
    expect(await run('aligned')).toEqual([100, 100, 100, 100]);
    expect(await run('staggered')).toEqual([100, 125, 150, 175]);
  });
});

describe('a batch of events for several partitions (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds up only the events of a partition that waits for room, not the others'", async () => {
    vi.useFakeTimers();
    const blocked = new Promise<never>(() => undefined);
    // Partition 0's database never answers; partition 1's does.
    const writer: BatchWriter = {
      write: (partition, increments) =>
        partition === 0
          ? blocked
          : Promise.resolve({
              rowsUpdated: increments.length,
              alreadyApplied: false,
              deadLetters: [],
            }),
      close: () => Promise.resolve(),
    };
    const service = new FlushService(
      await loadCatalogue(),
      writer,
      new SutMetrics('join', 2),
      2,
      config,
    );
    service.start();
    const zero = service.workers[0] as FlushWorker;
    for (let u = 0; u < 10; u++) zero.tryAdd(`held${u}`, 'ns', goals, 1, Date.now()); // a flush that never ends
    await vi.advanceTimersByTimeAsync(0);
    for (let u = 10; u < 25; u++) zero.tryAdd(`held${u}`, 'ns', goals, 1, Date.now()); // 150 keys waiting
    expect(zero.needsRoom).toBe(true);
    const playerOn = (p: number) =>
      Array.from({ length: 100 }, (_, i) => `player${i}`).find(
        (id) => partitionOf(id, 2) === p,
      ) as string;
    const login = (playerId: string): PlayerEvent => ({
      eventId: playerId,
      playerId,
      namespace: 'ns',
      type: 'login',
      delta: 1,
      intendedAt: Date.now(),
    });
    const ingesting = service.ingest([login(playerOn(0)), login(playerOn(1))]);
    await vi.advanceTimersByTimeAsync(0);
    expect(service.workers[1]?.buffer.size).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(config.backpressureTimeoutMs);
    // The answer says which partition's part was taken, so the sender can tell its events apart.
    expect(await ingesting).toMatchObject({
      accepted: 1,
      rejected: 1,
      parts: [
        { partition: 0, accepted: 0, rejected: 1 },
        { partition: 1, accepted: 1, rejected: 0 },
      ],
    });
  });
});
