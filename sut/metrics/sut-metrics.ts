import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '../kafka/event-codec.ts';
import { IntervalRecorder } from './interval-recorder.ts';
import { METRIC_NAMES } from './metric-names.ts';
import { WindowMax } from './window-max.ts';

/** prom-client's default gauges named like counters, left out of /metrics. */
const PROM_CLIENT_TOTAL_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** How far back the `_max` gauges look. */
export const MAX_WINDOW_S = 60;

/**
 * Bucket boundaries. Flush sizes resolve the production ~60 rows, the analysis's 200-row limit
 * and the 500-row revisit line; durations resolve 50 ms (the analysis's target) finely;
 * event-to-commit covers a 100 ms flush interval up to seconds of backlog.
 */
export const FLUSH_SIZE_BUCKETS = [
  1, 5, 10, 25, 50, 60, 75, 100, 150, 200, 300, 400, 500, 600, 750, 1000, 1500, 2000, 3000, 4500,
  7500,
];
export const FLUSH_DURATION_BUCKETS = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5,
  1, 2, 5,
];
export const EVENT_TO_COMMIT_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
  30,
];

export const FLUSH_TRIGGERS = ['interval', 'size', 'shutdown'] as const;
export type FlushTrigger = (typeof FLUSH_TRIGGERS)[number];
export const EVENT_REJECTIONS = [
  'invalid_event',
  'unknown_event_type',
  'malformed_body',
  'unsupported_media_type',
  'body_too_large',
  'overloaded',
  'circuit_breaker',
  'backpressure_timeout',
  'shutting_down',
  'slow_body',
] as const;
export type EventRejection = (typeof EVENT_REJECTIONS)[number];
/** Refusals that mean the service cannot take more now (not that the events were bad). */
export const BACKPRESSURE_REJECTIONS = [
  'overloaded',
  'circuit_breaker',
  'backpressure_timeout',
] as const satisfies readonly EventRejection[];
type BackpressureRejection = (typeof BACKPRESSURE_REJECTIONS)[number];
function isBackpressureRejection(reason: EventRejection): reason is BackpressureRejection {
  return (BACKPRESSURE_REJECTIONS as readonly string[]).includes(reason);
}

/** What `harness_build_info` says about the running service. */
export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

/** The metrics of one partition, resolved once so the hot path does no label lookups. */
export interface PartitionMetrics {
  readonly flushSize: { observe(rows: number): void };
  readonly rowsUpdated: { observe(rows: number): void };
  readonly flushDuration: { observe(seconds: number): void };
  /** Each flush's size (rows) and time (seconds), for the last minute's largest and longest. */
  readonly flushSizeMax: { observe(value: number): void };
  readonly flushDurationMax: { observe(value: number): void };
  /** A flush committed at `committedAt` (epoch ms) the events intended at these times. */
  eventsCommitted(committedAt: number, intendedAt: readonly number[]): void;
  readonly flushes: Record<FlushTrigger, { inc(n?: number): void }>;
  readonly eventsAccepted: { inc(n?: number): void };
  readonly incrementsBuffered: { inc(n?: number): void };
  readonly bufferDepth: { set(value: number): void };
  readonly backpressureWaits: { inc(n?: number): void };
  readonly breakerRejections: { inc(n?: number): void };
  readonly flushErrors: { inc(n?: number): void };
  readonly flushRetries: { inc(n?: number): void };
  /** A committed flush sent `sent` increments and changed `updated` rows: counts the rest as unmatched. */
  matched(sent: number, updated: number): void;
}

/** The service's Prometheus metrics (prom-client), every series labelled with the SQL variant. */
export class SutMetrics {
  readonly registry = new Registry();
  /** The exact per-second histograms the harness reads on `GET /intervals`. */
  readonly intervals: IntervalRecorder;
  private readonly partitions: PartitionMetrics[];
  private readonly eventsReceived: Counter;
  private readonly eventsRejected: Counter<'reason'>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly logStale: Counter<'partition'>;
  private readonly logCommitErrors: Counter;
  /** Increments flushed and those that changed no row, since start: read by the unmatched warning. */
  readonly matchTotals = { increments: 0, unmatched: 0 };
  /** When ingest last refused events for each backpressure reason (clock ms): read by /healthz. */
  readonly lastRefusedAt: Partial<Record<BackpressureRejection, number>> = {};

  /**
   * Labels every series with the scenario a harness run says is running (`PUT /scenario`):
   * applied at each scrape, so a counter's series under the new label carries on from its
   * total, and rate() over it starts from its second scrape.
   */
  scenario(name: string): void {
    this.registry.setDefaultLabels({ variant: this.variant, scenario: name });
  }

  constructor(
    private readonly variant: string,
    partitionCount: number,
    build: BuildInfo = { version: 'unknown', commit: 'unknown' },
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ variant });
    const intervals = (this.intervals = new IntervalRecorder(partitionCount));
    // The process and Node.js metrics every Prometheus client exports (CPU, memory, event
    // loop lag, GC), so a dashboard can tell a busy service from a slow database. The lag is
    // sampled every 100 ms, not prom-client's 10: its timer wakes the process each time, and a
    // wake-up of an otherwise idle service costs more CPU than the sample (on the project's
    // machine 120 wake-ups a second at 10 ms took 27 ms of CPU a second, 14 at 100 ms took
    // 9.5). A stall long enough to matter to a flush still shows at 100 ms.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    // prom-client names three of its gauges *_total, the suffix Prometheus keeps for counters
    // (`promtool check metrics` fails on them). Their by-type series stay
    // (nodejs_active_handles{type}, ...): sum them for the totals.
    for (const name of PROM_CLIENT_TOTAL_GAUGES) this.registry.removeSingleMetric(name);
    new Gauge({
      name: METRIC_NAMES.buildInfo,
      help: 'The running service: harness version, git commit and SQL variant (always 1)',
      labelNames: ['version', 'commit'],
      registers,
    }).set({ version: build.version, commit: build.commit }, 1);
    const byPartition = ['partition'] as const;
    const flushSize = new Histogram({
      name: METRIC_NAMES.flushSizeRows,
      help: 'Rows (buffered keys) sent per flush',
      labelNames: byPartition,
      buckets: FLUSH_SIZE_BUCKETS,
      registers,
    });
    const rowsUpdated = new Histogram({
      name: METRIC_NAMES.flushUpdatedRows,
      help: 'Rows the UPDATE changed per flush',
      labelNames: byPartition,
      buckets: FLUSH_SIZE_BUCKETS,
      registers,
    });
    const flushDuration = new Histogram({
      name: METRIC_NAMES.flushDurationSeconds,
      help: 'Time a flush took, from drain to commit',
      labelNames: byPartition,
      buckets: FLUSH_DURATION_BUCKETS,
      registers,
    });
    const eventToCommit = new Histogram({
      name: METRIC_NAMES.eventToCommitSeconds,
      help: "From an event's intended send time to the commit of the flush that applied it",
      labelNames: byPartition,
      buckets: EVENT_TO_COMMIT_BUCKETS,
      registers,
    });
    // The largest and longest flush of the last minute, per partition: a histogram only bounds
    // them by a bucket, and a maximum since start would hold one bad second for the life of
    // the service (a warm-up's, say) and hide every later one. Read at each scrape from
    // per-second maxima, so any number of scrapers see the same value.
    const sizeMaxima = Array.from({ length: partitionCount }, () => new WindowMax(MAX_WINDOW_S));
    const durationMaxima = Array.from(
      { length: partitionCount },
      () => new WindowMax(MAX_WINDOW_S),
    );
    const windowGauge = (name: string, help: string, maxima: WindowMax[]) =>
      new Gauge({
        name,
        help,
        labelNames: byPartition,
        registers,
        collect() {
          const now = Date.now();
          maxima.forEach((m, p) => {
            this.set({ partition: String(p) }, m.read(now));
          });
        },
      });
    windowGauge(
      METRIC_NAMES.flushSizeMaxRows,
      `Largest flush (rows sent) in the last ${MAX_WINDOW_S} s; 0 when none committed`,
      sizeMaxima,
    );
    windowGauge(
      METRIC_NAMES.flushDurationMaxSeconds,
      `Longest flush in the last ${MAX_WINDOW_S} s; 0 when none committed`,
      durationMaxima,
    );
    const flushes = new Counter({
      name: METRIC_NAMES.flushesTotal,
      help: 'Flushes that committed, by trigger',
      labelNames: ['partition', 'trigger'],
      registers,
    });
    // What changes with every event is counted in plain numbers and handed to prom-client when
    // it collects (each scrape): a labelled inc() or set() hashes its labels on every call, and
    // three of them per event were a visible share of the service's CPU at 5,000 events/s.
    const tallies = Array.from({ length: partitionCount }, () => ({
      accepted: 0,
      buffered: 0,
      depth: 0,
    }));
    const tallied = (name: string, help: string, key: 'accepted' | 'buffered') =>
      new Counter({
        name,
        help,
        labelNames: byPartition,
        registers,
        collect() {
          tallies.forEach((t, p) => {
            this.inc({ partition: String(p) }, t[key]);
            t[key] = 0;
          });
        },
      });
    tallied(METRIC_NAMES.eventsAcceptedTotal, 'Events buffered', 'accepted');
    tallied(
      METRIC_NAMES.incrementsBufferedTotal,
      'Goal increments folded into buffers',
      'buffered',
    );
    new Gauge({
      name: METRIC_NAMES.bufferDepth,
      help: 'Keys in the buffer now',
      labelNames: byPartition,
      registers,
      collect() {
        tallies.forEach((t, p) => {
          this.set({ partition: String(p) }, t.depth);
        });
      },
    });
    const waits = new Counter({
      name: METRIC_NAMES.backpressureWaitsTotal,
      help: 'Times ingest waited for a flush',
      labelNames: byPartition,
      registers,
    });
    const breaker = new Counter({
      name: METRIC_NAMES.circuitBreakerRejectionsTotal,
      help: 'Events rejected by the circuit breaker',
      labelNames: byPartition,
      registers,
    });
    const errors = new Counter({
      name: METRIC_NAMES.flushErrorsTotal,
      help: 'Flushes that failed',
      labelNames: byPartition,
      registers,
    });
    const retries = new Counter({
      name: METRIC_NAMES.flushRetriesTotal,
      help: 'Flush retries after a failure',
      labelNames: byPartition,
      registers,
    });
    const unmatched = new Counter({
      name: METRIC_NAMES.incrementsUnmatchedTotal,
      help: 'Increments in committed flushes that changed no row: no row for the key (an unseeded table, players or goals the table lacks), or an inactive or claimed one',
      labelNames: byPartition,
      registers,
    });
    this.eventsReceived = new Counter({
      name: METRIC_NAMES.eventsReceivedTotal,
      help: 'Events received, valid or not',
      registers,
    });
    this.eventsRejected = new Counter({
      name: METRIC_NAMES.eventsRejectedTotal,
      help: 'Events rejected, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.deadLetters = new Counter({
      name: METRIC_NAMES.deadLettersTotal,
      help: 'Kafka records that were not valid events, sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.logStale = new Counter({
      name: METRIC_NAMES.kafkaStaleFlushesTotal,
      help: 'Flushes refused because another consumer had moved the stored offset (buffer dropped, partition re-read)',
      labelNames: byPartition,
      registers,
    });
    this.logCommitErrors = new Counter({
      name: METRIC_NAMES.kafkaCommitErrorsTotal,
      help: 'Offset commits to Kafka that failed (harmless: PostgreSQL holds the offsets that count)',
      registers,
    });
    // Every labelled series exists from the start at 0: rate() and alert rules need a
    // series before the first error, not after it.
    for (const reason of EVENT_REJECTIONS) this.eventsRejected.inc({ reason }, 0);
    for (const reason of [...DEAD_LETTER_REASONS, 'database_refused'])
      this.deadLetters.inc({ reason }, 0);
    const totals = this.matchTotals;
    this.partitions = Array.from({ length: partitionCount }, (_, p) => {
      const partition = String(p);
      for (const h of [flushSize, rowsUpdated, flushDuration, eventToCommit]) h.zero({ partition });
      for (const trigger of FLUSH_TRIGGERS) flushes.inc({ partition, trigger }, 0);
      for (const c of [waits, breaker, errors, retries, unmatched, this.logStale])
        c.inc({ partition }, 0);
      const tally = tallies[p] as (typeof tallies)[number];
      const unmatchedHere = unmatched.labels(partition);
      const size = flushSize.labels(partition);
      const updated = rowsUpdated.labels(partition);
      const duration = flushDuration.labels(partition);
      const toCommit = eventToCommit.labels(partition);
      // Each value goes to Prometheus (bucketed, for scraping) and to the exact recorder.
      return {
        flushSize: {
          observe(rows: number) {
            size.observe(rows);
            intervals.record(p, 'flushRows', rows);
          },
        },
        rowsUpdated: {
          observe(rows: number) {
            updated.observe(rows);
            intervals.record(p, 'rowsUpdated', rows);
          },
        },
        flushDuration: {
          observe(seconds: number) {
            duration.observe(seconds);
            intervals.record(p, 'flushDurationUs', seconds * 1e6);
          },
        },
        flushSizeMax: {
          observe(rows: number) {
            (sizeMaxima[p] as WindowMax).observe(rows, Date.now());
          },
        },
        flushDurationMax: {
          observe(seconds: number) {
            (durationMaxima[p] as WindowMax).observe(seconds, Date.now());
          },
        },
        eventsCommitted(committedAt: number, intendedAt: readonly number[]) {
          if (intendedAt.length === 0) return;
          const exact = intervals.histogram(p, 'eventToCommitUs');
          for (let i = 0; i < intendedAt.length; i++) {
            const ms = Math.max(0, committedAt - (intendedAt[i] as number));
            toCommit.observe(ms / 1000);
            exact.recordValue(Math.round(ms * 1000));
          }
        },
        flushes: {
          interval: flushes.labels(partition, 'interval'),
          size: flushes.labels(partition, 'size'),
          shutdown: flushes.labels(partition, 'shutdown'),
        },
        eventsAccepted: {
          inc(n = 1) {
            tally.accepted += n;
          },
        },
        incrementsBuffered: {
          inc(n = 1) {
            tally.buffered += n;
          },
        },
        bufferDepth: {
          set(value: number) {
            tally.depth = value;
          },
        },
        backpressureWaits: waits.labels(partition),
        breakerRejections: breaker.labels(partition),
        flushErrors: errors.labels(partition),
        flushRetries: retries.labels(partition),
        matched(sent: number, updated: number) {
          totals.increments += sent;
          if (updated < sent) {
            unmatchedHere.inc(sent - updated);
            totals.unmatched += sent - updated;
          }
        },
      };
    });
  }

  /**
   * `harness_unwritten_increments`: what the service holds that is not known to be in the
   * database (buffered, or in a flush not yet committed), read at each scrape: what a crash
   * would lose. The harness reads it before it kills the service in a fault scenario.
   */
  watchUnwritten(read: () => number): void {
    new Gauge({
      name: METRIC_NAMES.unwrittenIncrements,
      help: 'Increments (sum of deltas over keys) buffered or in a flush not yet committed: what a crash now would lose',
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /**
   * `harness_durable_through_timestamp_seconds{partition}`: every event a partition took in
   * before this clock time is committed (Unix seconds, to the millisecond: Prometheus's unit
   * for a timestamp). The harness reads it before it kills the service, so
   * that the audit can tell, per key, which acknowledged increments a crash may have lost.
   */
  watchDurableThrough(read: () => readonly number[]): void {
    new Gauge({
      name: METRIC_NAMES.durableThroughSeconds,
      help: 'Unix time (seconds) before which every event the partition took in is committed',
      labelNames: ['partition'],
      registers: [this.registry],
      collect() {
        read().forEach((ms, p) => {
          this.set({ partition: String(p) }, ms / 1000);
        });
      },
    });
  }

  partition(p: number): PartitionMetrics {
    const m = this.partitions[p];
    if (m === undefined) throw new RangeError(`no partition ${p}`);
    return m;
  }

  received(n: number): void {
    this.eventsReceived.inc(n);
  }

  deadLettered(reason: DeadLetterReason | 'database_refused', n = 1): void {
    this.deadLetters.inc({ reason }, n);
  }

  staleFlush(partition: number): void {
    this.logStale.inc({ partition: String(partition) });
  }

  kafkaCommitFailed(): void {
    this.logCommitErrors.inc();
  }

  rejected(reason: EventRejection, n = 1): void {
    if (n <= 0) return;
    this.eventsRejected.inc({ reason }, n);
    if (isBackpressureRejection(reason)) this.lastRefusedAt[reason] = Date.now();
  }
}
