import * as hdr from 'hdr-histogram-js';
import type { ArrivalPlan } from './executors/arrival-plan.ts';
import type { CombinedPlan } from './executors/combined-plan.ts';
import type { EventGenerator } from './event-generator.ts';
import type { Population } from './population.ts';
import type { SimClock } from './sim-clock.ts';
import type { EventSinkTarget } from './sinks/event-sink.ts';

export interface Shard {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

export interface RunnerOptions {
  readonly plan: ArrivalPlan;
  readonly generator: EventGenerator;
  readonly population: Population;
  readonly shard: Shard;
  readonly sink: EventSinkTarget;
  readonly clock: SimClock;
  /** An event still unsent this long after it was due is dropped, as k6 drops iterations. */
  readonly dropAfterMs: number;
  /** Called about once a second with the counts so far. */
  readonly onProgress?: (progress: {
    elapsedMs: number;
    sent: number;
    dropped: number;
    targetRate: number;
  }) => void;
  /** Stops the schedule early (a threshold with abortOnFail failed, or Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface PartitionStats {
  readonly partition: number;
  readonly sent: number;
  readonly dropped: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** This partition's schedule lag (microseconds), as a compressed HdrHistogram. */
  readonly lagHdr: string;
}

/** What one scenario of the plan sent (a plan of several: k6's `scenarios`). */
export interface ScenarioStats {
  readonly name: string;
  readonly scheduled: number;
  readonly sent: number;
  readonly dropped: number;
  readonly lagHdr: string;
}

export interface RunStats {
  /** Events the schedule gave this shard. */
  readonly scheduled: number;
  readonly sent: number;
  /** Too late (past dropAfterMs) or refused by the sink. */
  readonly dropped: number;
  /** How long the schedule ran: the plan's duration, or less when it was stopped early. */
  readonly elapsedMs: number;
  /** Scheduled events per second of the plan's duration (of the time it ran, when stopped early). */
  readonly targetRate: number;
  /** Sent events per second of elapsed time. */
  readonly achievedRate: number;
  readonly lag: {
    readonly p50Ms: number;
    readonly p90Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
  };
  /** Schedule lag of every sent event (microseconds), as a compressed HdrHistogram. */
  readonly lagHdr: string;
  readonly partitions: readonly PartitionStats[];
  readonly scenarios: readonly ScenarioStats[];
}

/** Events emitted between clock reads: small enough for sub-millisecond lag accounting. */
const CLOCK_EVERY = 64;
/** Longest stretch of emitting without yielding to I/O (sinks send while the loop runs). */
const YIELD_EVERY_MS = 5;
const histogramOptions = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3 as const,
};

/**
 * Keeps to an arrival plan, open-model: every event goes out at its due time whatever
 * happened to the ones before (offer() never blocks), late ones are measured (lag = actual
 * minus planned hand-over time), and events more than dropAfterMs late are dropped and
 * counted instead of silently slowing the schedule.
 *
 * A sink that batches (holds an event lingerMs before sending, or sends maxBatch at once, as
 * a producer does) is handed its events in groups: the runner sleeps until the first unsent
 * event's due time plus the linger (less when a batch would fill sooner), hands over
 * everything due by then, and tells the sink to send. The events leave when the sink's own
 * rules would have sent them, and the process wakes once a group instead of at every due
 * event (about 1,000 times a second at 5,000 events/s: on a virtual machine each wake-up
 * costs far more than the work it does). A group's planned hand-over is its first event's
 * due time plus that wait, and lag (and dropAfterMs) is measured from there (from an
 * event's own due time when that is later).
 */
export async function runArrivals(options: RunnerOptions): Promise<RunStats> {
  const { plan, generator, population, shard, sink, clock, dropAfterMs } = options;
  const partitionCount = population.partitionCount;
  const sent = new Array<number>(partitionCount).fill(0);
  const dropped = new Array<number>(partitionCount).fill(0);
  // Each event's lag is recorded once, in its partition's histogram (and its scenario's when
  // the plan has several); the totals are merged at the end, exactly, as the buckets agree.
  const lagByPartition = Array.from({ length: partitionCount }, () => hdr.build(histogramOptions));
  // A plan of several scenarios says which one each event belongs to; one plan is one scenario.
  const scenarioNames =
    'scenarios' in plan ? (plan as CombinedPlan).scenarios.map((s) => s.name) : [plan.executor];
  const scenarioOf =
    'scenarioOf' in plan ? (k: number) => (plan as CombinedPlan).scenarioOf(k) : () => 0;
  const byScenario = scenarioNames.map((name) => ({
    name,
    scheduled: 0,
    sent: 0,
    dropped: 0,
    lag: scenarioNames.length > 1 ? hdr.build(histogramOptions) : undefined,
  }));
  let scheduled = 0;
  const start = clock.now();
  const wallStart = clock.wallNow();
  let nextProgress = 1000;
  let k = 0;
  const total = plan.totalEvents;
  const batching = sink.sendQueued === undefined ? undefined : sink.batching;
  const linger = batching?.lingerMs ?? 0;
  // How long a group may gather: the linger, or less when a batch would fill sooner (the
  // sink sends a full batch at once), judged from the plan's rate now; the plan is read
  // forwards only, so the event that would fill it cannot be looked up. All shards' events
  // are counted, so a shard wakes early rather than late.
  const groupMs = (at: number): number => {
    if (batching === undefined || linger <= 0) return 0;
    const rate = plan.rateAt(at);
    return rate > 0 ? Math.min(linger, ((batching.maxBatch - 1) / rate) * 1000) : linger;
  };
  while (k < total && options.signal?.aborted !== true) {
    let now = clock.now() - start;
    const sliceEnd = now + YIELD_EVERY_MS;
    // With no linger this is the first event's due time, and every event's lag is from its own.
    const plannedAt = plan.offsetMs(k) + groupMs(now);
    let emitted = 0;
    while (k < total) {
      const due = plan.offsetMs(k);
      if (due > now) {
        now = clock.now() - start;
        if (due > now || now > sliceEnd) break;
      }
      const player = generator.playerAt(k);
      if (player % shard.count === shard.index) {
        scheduled++;
        const partition = population.partitions[player] as number;
        const ofScenario = byScenario[scenarioOf(k)] as (typeof byScenario)[number];
        ofScenario.scheduled++;
        const lag = now - Math.max(due, plannedAt);
        if (
          lag > dropAfterMs ||
          !sink.offer(generator.eventAt(k, player, wallStart + due), partition, k)
        ) {
          dropped[partition] = (dropped[partition] ?? 0) + 1;
          ofScenario.dropped++;
        } else {
          sent[partition] = (sent[partition] ?? 0) + 1;
          ofScenario.sent++;
          const lagUs = Math.max(1, Math.round(lag * 1000));
          (lagByPartition[partition] as hdr.Histogram).recordValue(lagUs);
          ofScenario.lag?.recordValue(lagUs);
        }
      }
      k++;
      if (++emitted % CLOCK_EVERY === 0) now = clock.now() - start;
    }
    if (linger > 0) sink.sendQueued?.();
    if (now >= nextProgress) {
      nextProgress = now + 1000;
      options.onProgress?.({
        elapsedMs: now,
        sent: sum(sent),
        dropped: sum(dropped),
        targetRate: plan.rateAt(now) / shard.count,
      });
    }
    if (k >= total) break;
    const at = clock.now() - start;
    await clock.sleep(plan.offsetMs(k) + groupMs(at) - at);
  }
  // A run that kept to its plan lasts the plan (its last event may be due a little before
  // the end); one stopped early lasted only as long as it ran, and its rates divide by that.
  const ranMs = clock.now() - start;
  const elapsedMs = options.signal?.aborted === true ? ranMs : Math.max(ranMs, plan.durationMs);
  await sink.drain();
  const lagAll = hdr.build(histogramOptions);
  for (const h of lagByPartition) lagAll.add(h);
  const ms = (h: hdr.Histogram, p: number) =>
    h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000;
  const stats: RunStats = {
    scheduled,
    sent: sum(sent),
    dropped: sum(dropped),
    elapsedMs,
    targetRate:
      (scheduled / (options.signal?.aborted === true ? elapsedMs : plan.durationMs)) * 1000,
    achievedRate: (sum(sent) / elapsedMs) * 1000,
    lag: {
      p50Ms: ms(lagAll, 50),
      p90Ms: ms(lagAll, 90),
      p99Ms: ms(lagAll, 99),
      maxMs: lagAll.totalCount === 0 ? 0 : lagAll.maxValue / 1000,
    },
    lagHdr: hdr.encodeIntoCompressedBase64(lagAll),
    partitions: sent.map((s, p) => {
      const h = lagByPartition[p] as hdr.Histogram;
      return {
        partition: p,
        sent: s,
        dropped: dropped[p] as number,
        lagP50Ms: ms(h, 50),
        lagP99Ms: ms(h, 99),
        lagMaxMs: h.totalCount === 0 ? 0 : h.maxValue / 1000,
        lagHdr: hdr.encodeIntoCompressedBase64(h),
      };
    }),
    scenarios: byScenario.map((s) => ({
      name: s.name,
      scheduled: s.scheduled,
      sent: s.sent,
      dropped: s.dropped,
      lagHdr: hdr.encodeIntoCompressedBase64(s.lag ?? lagAll),
    })),
  };
  lagAll.destroy();
  for (const h of lagByPartition) h.destroy();
  for (const s of byScenario) s.lag?.destroy();
  return stats;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
