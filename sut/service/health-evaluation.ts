import type { PartitionHealthState } from '../buffer/partition-health.ts';
import type { ConsumerHealthState } from '../sources/consumer-health.ts';

/**
 * What /healthz decides, as a pure function of the service's state and the time: degraded
 * when increments wait with no flush completing, when a flush hangs, when flushes keep
 * failing, when the Kafka consumer stops fetching with records to read, or while ingest is
 * refused for backpressure. Every condition clears on its own once its cause does.
 */

/** How long each condition may last before the service counts as degraded (ms). */
export interface HealthThresholds {
  /** Increments waiting with no flush of their partition completed for longer than this. */
  readonly flushOverdueMs: number;
  /** One flush attempt running for longer than this. */
  readonly flushRunningMs: number;
  /** The Kafka consumer with no completed fetch for longer than this while it has lag (or its lag is unknown). */
  readonly fetchOverdueMs: number;
  /** Degraded for this long after ingest last refused events for backpressure. */
  readonly refusalHoldMs: number;
}

/** Failed attempts in a row before a partition counts as failing: one is a blip. */
export const FAILING_AFTER_ATTEMPTS = 2;

/**
 * The defaults: a flush every 100 ms makes 10 s a hundred missed flushes, far beyond a slow
 * one, yet short against an outage; a slower interval gets 20 of its own. A flush waits on a
 * row lock for 5 s at most (lock_timeout), so one running twice that long is hung on its link.
 * The consumer's group session is 10 s, the same time the broker allows it to go silent.
 */
export function defaultHealthThresholds(flushIntervalMs: number): HealthThresholds {
  return {
    flushOverdueMs: Math.max(10_000, 20 * flushIntervalMs),
    flushRunningMs: Math.max(10_000, 20 * flushIntervalMs),
    fetchOverdueMs: 10_000,
    refusalHoldMs: 5_000,
  };
}

export interface ServiceHealthState {
  readonly stopping: boolean;
  readonly partitions: readonly PartitionHealthState[];
  /** When ingest last refused events, by the reason it gave (backpressure reasons only). */
  readonly lastRefusedAt: Readonly<Record<string, number>>;
  readonly consumer?: ConsumerHealthState;
}

export type HealthCheck =
  | 'stopping'
  | 'flushes_failing'
  | 'flush_overdue'
  | 'flush_running_long'
  | 'consumer_not_fetching'
  | 'ingest_refusing';

export interface HealthProblem {
  readonly check: HealthCheck;
  readonly reason: string;
  readonly detail?: Record<string, unknown>;
}

export interface HealthVerdict {
  readonly ok: boolean;
  readonly problems: readonly HealthProblem[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function evaluateHealth(
  state: ServiceHealthState,
  now: number,
  limits: HealthThresholds,
): HealthVerdict {
  const problems: HealthProblem[] = [];
  const total = state.partitions.length;
  if (state.stopping) problems.push({ check: 'stopping', reason: 'stopping' });

  const failing = state.partitions.filter((p) => p.failures >= FAILING_AFTER_ATTEMPTS);
  if (failing.length > 0)
    problems.push({
      check: 'flushes_failing',
      reason: `flushes failing on ${failing.length} of ${total} partitions: ${failing[0]?.lastError ?? ''}`,
      detail: {
        partitions: failing.map((p) => ({
          partition: p.partition,
          failures: p.failures,
          since: new Date(p.failingSince).toISOString(),
          error: p.lastError,
        })),
      },
    });

  const overdue = state.partitions.filter(
    (p) =>
      p.unwrittenKeys > 0 &&
      p.waitingSince !== undefined &&
      now - p.waitingSince > limits.flushOverdueMs,
  );
  if (overdue.length > 0) {
    const longest = Math.max(...overdue.map((p) => now - (p.waitingSince as number)));
    problems.push({
      check: 'flush_overdue',
      reason: `no flush completed for ${seconds(longest)} on ${overdue.length} of ${total} partitions holding unwritten increments (limit ${seconds(limits.flushOverdueMs)})`,
      detail: {
        limitMs: limits.flushOverdueMs,
        partitions: overdue.map((p) => ({
          partition: p.partition,
          unwrittenKeys: p.unwrittenKeys,
          waitingMs: now - (p.waitingSince as number),
        })),
      },
    });
  }

  const hung = state.partitions.filter(
    (p) => p.flushStartedAt !== undefined && now - p.flushStartedAt > limits.flushRunningMs,
  );
  if (hung.length > 0) {
    const longest = Math.max(...hung.map((p) => now - (p.flushStartedAt as number)));
    problems.push({
      check: 'flush_running_long',
      reason: `a flush has been running for ${seconds(longest)} on ${hung.length} of ${total} partitions (limit ${seconds(limits.flushRunningMs)})`,
      detail: {
        limitMs: limits.flushRunningMs,
        partitions: hung.map((p) => ({
          partition: p.partition,
          runningMs: now - (p.flushStartedAt as number),
        })),
      },
    });
  }

  const consumer = state.consumer;
  if (
    consumer !== undefined &&
    consumer.lag !== 0 &&
    now - consumer.lastFetchAt > limits.fetchOverdueMs
  )
    problems.push({
      check: 'consumer_not_fetching',
      reason: `the Kafka consumer has not fetched for ${seconds(now - consumer.lastFetchAt)} with ${consumer.lag === undefined ? 'an unknown number of records (its fetch is unanswered)' : `${consumer.lag} records`} to read (limit ${seconds(limits.fetchOverdueMs)})`,
      detail: {
        limitMs: limits.fetchOverdueMs,
        lastFetchMsAgo: now - consumer.lastFetchAt,
        lag: consumer.lag,
      },
    });

  const full = state.partitions.filter((p) => p.atBackpressure);
  const refused = Object.entries(state.lastRefusedAt).filter(
    ([, at]) => now - at <= limits.refusalHoldMs,
  );
  if (full.length > 0 || refused.length > 0) {
    const parts: string[] = [];
    if (full.length > 0)
      parts.push(
        `${full.length} of ${total} partitions at the backpressure threshold (ingest waits, then refuses)`,
      );
    if (refused.length > 0)
      parts.push(
        `events refused for ${refused.map(([why]) => why).join(', ')} within the last ${seconds(limits.refusalHoldMs)}`,
      );
    problems.push({
      check: 'ingest_refusing',
      reason: `ingest under backpressure: ${parts.join('; ')}`,
      detail: {
        partitions: full.map((p) => p.partition),
        refused: Object.fromEntries(refused.map(([why, at]) => [why, { msAgo: now - at }])),
      },
    });
  }

  return { ok: problems.length === 0, problems };
}
