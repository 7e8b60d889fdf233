import { describe, expect, it } from 'vitest';
import {
  defaultHealthThresholds,
  evaluateHealth,
  type HealthThresholds,
  type ServiceHealthState,
} from './health-evaluation.ts';
import type { PartitionHealthState } from '../buffer/partition-health.ts';

const LIMITS: HealthThresholds = {
  flushOverdueMs: 10_000,
  flushRunningMs: 5_000,
  fetchOverdueMs: 8_000,
  refusalHoldMs: 2_000,
};
const NOW = 1_000_000;

function partition(p: number, over: Partial<PartitionHealthState> = {}): PartitionHealthState {
  return {
    partition: p,
    unwrittenKeys: 0,
    waitingSince: undefined,
    flushStartedAt: undefined,
    failures: 0,
    failingSince: 0,
    lastError: '',
    atBackpressure: false,
    ...over,
  };
}

function state(over: Partial<ServiceHealthState> = {}): ServiceHealthState {
  return {
    stopping: false,
    partitions: [partition(0), partition(1)],
    lastRefusedAt: {},
    ...over,
  };
}

const checks = (s: ServiceHealthState, now = NOW) =>
  evaluateHealth(s, now, LIMITS).problems.map((p) => p.check);

describe('evaluateHealth', () => {
  it('is ok for a service that flushes, idle or busy', () => {
    expect(evaluateHealth(state(), NOW, LIMITS)).toEqual({ ok: true, problems: [] });
    const busy = state({
      partitions: [
        partition(0, { unwrittenKeys: 60, waitingSince: NOW - 90, flushStartedAt: NOW - 40 }),
        partition(1, { unwrittenKeys: 0, waitingSince: undefined }),
      ],
    });
    expect(evaluateHealth(busy, NOW, LIMITS).ok).toBe(true);
  });

  it('degrades when increments wait past the limit with no flush completed, and recovers after one', () => {
    const stalled = state({
      partitions: [
        partition(0, { unwrittenKeys: 120, waitingSince: NOW - 12_000 }),
        partition(1, { unwrittenKeys: 5, waitingSince: NOW - 9_000 }),
      ],
    });
    const verdict = evaluateHealth(stalled, NOW, LIMITS);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([
      {
        check: 'flush_overdue',
        reason:
          'no flush completed for 12.0 s on 1 of 2 partitions holding unwritten increments (limit 10.0 s)',
        detail: {
          limitMs: 10_000,
          partitions: [{ partition: 0, unwrittenKeys: 120, waitingMs: 12_000 }],
        },
      },
    ]);
    // The same partition just after a flush committed: it waits from that flush on.
    const flushed = state({
      partitions: [partition(0, { unwrittenKeys: 3, waitingSince: NOW - 50 }), partition(1)],
    });
    expect(evaluateHealth(flushed, NOW, LIMITS).ok).toBe(true);
  });

  it('does not count an idle partition: nothing waits, however long ago its last flush', () => {
    expect(checks(state({ partitions: [partition(0, { waitingSince: NOW - 60_000 })] }))).toEqual(
      [],
    );
  });

  it('degrades while a flush runs past its limit', () => {
    const hung = state({
      partitions: [
        partition(0, { unwrittenKeys: 10, waitingSince: NOW - 6_000, flushStartedAt: NOW - 6_000 }),
        partition(1, { unwrittenKeys: 10, waitingSince: NOW - 4_000, flushStartedAt: NOW - 4_000 }),
      ],
    });
    const verdict = evaluateHealth(hung, NOW, LIMITS);
    expect(verdict.problems.map((p) => p.check)).toEqual(['flush_running_long']);
    expect(verdict.problems[0]?.reason).toBe(
      'a flush has been running for 6.0 s on 1 of 2 partitions (limit 5.0 s)',
    );
    expect(verdict.problems[0]?.detail).toEqual({
      limitMs: 5_000,
      partitions: [{ partition: 0, runningMs: 6_000 }],
    });
  });

  it('degrades on flushes failing twice in a row, not on one failure', () => {
    const once = partition(0, { failures: 1, failingSince: NOW - 100, lastError: 'ECONNRESET' });
    expect(checks(state({ partitions: [once, partition(1)] }))).toEqual([]);
    const twice = { ...once, failures: 2 };
    const verdict = evaluateHealth(state({ partitions: [twice, partition(1)] }), NOW, LIMITS);
    expect(verdict.problems[0]?.check).toBe('flushes_failing');
    expect(verdict.problems[0]?.reason).toBe('flushes failing on 1 of 2 partitions: ECONNRESET');
  });

  it('degrades when the Kafka consumer has not fetched past its limit while it has lag', () => {
    const idleCaughtUp = state({ consumer: { lastFetchAt: NOW - 30_000, lag: 0 } });
    expect(checks(idleCaughtUp)).toEqual([]);
    const recent = state({ consumer: { lastFetchAt: NOW - 7_000, lag: 500 } });
    expect(checks(recent)).toEqual([]);
    const stuck = evaluateHealth(
      state({ consumer: { lastFetchAt: NOW - 9_000, lag: 500 } }),
      NOW,
      LIMITS,
    );
    expect(stuck.problems).toEqual([
      {
        check: 'consumer_not_fetching',
        reason:
          'the Kafka consumer has not fetched for 9.0 s with 500 records to read (limit 8.0 s)',
        detail: { limitMs: 8_000, lastFetchMsAgo: 9_000, lag: 500 },
      },
    ]);
    // A broker that does not answer: how much waits cannot be known, so it counts.
    const unanswered = evaluateHealth(
      state({ consumer: { lastFetchAt: NOW - 9_000, lag: undefined } }),
      NOW,
      LIMITS,
    );
    expect(unanswered.problems[0]?.reason).toBe(
      'the Kafka consumer has not fetched for 9.0 s with an unknown number of records (its fetch is unanswered) to read (limit 8.0 s)',
    );
  });

  it('degrades while a buffer is at the backpressure threshold or ingest refused lately', () => {
    const full = state({ partitions: [partition(0, { atBackpressure: true }), partition(1)] });
    const verdict = evaluateHealth(full, NOW, LIMITS);
    expect(verdict.problems.map((p) => p.check)).toEqual(['ingest_refusing']);
    expect(verdict.problems[0]?.reason).toBe(
      'ingest under backpressure: 1 of 2 partitions at the backpressure threshold (ingest waits, then refuses)',
    );
    const refused = state({ lastRefusedAt: { overloaded: NOW - 1_500 } });
    expect(evaluateHealth(refused, NOW, LIMITS).problems).toEqual([
      {
        check: 'ingest_refusing',
        reason: 'ingest under backpressure: events refused for overloaded within the last 2.0 s',
        detail: { partitions: [], refused: { overloaded: { msAgo: 1_500 } } },
      },
    ]);
    // Recovers on its own once the refusals stop.
    expect(checks(refused, NOW + 600)).toEqual([]);
  });

  it('lists every condition that holds, and says stopping', () => {
    const bad = state({
      stopping: true,
      partitions: [
        partition(0, {
          unwrittenKeys: 1,
          waitingSince: NOW - 20_000,
          flushStartedAt: NOW - 20_000,
          failures: 3,
          lastError: 'timeout',
          atBackpressure: true,
        }),
      ],
      consumer: { lastFetchAt: NOW - 20_000, lag: 1 },
    });
    expect(checks(bad)).toEqual([
      'stopping',
      'flushes_failing',
      'flush_overdue',
      'flush_running_long',
      'consumer_not_fetching',
      'ingest_refusing',
    ]);
  });

  it('defaults to 10 s, or 20 flush intervals when that is longer', () => {
    expect(defaultHealthThresholds(100)).toEqual({
      flushOverdueMs: 10_000,
      flushRunningMs: 10_000,
      fetchOverdueMs: 10_000,
      refusalHoldMs: 5_000,
    });
    expect(defaultHealthThresholds(1_000).flushOverdueMs).toBe(20_000);
  });
});
