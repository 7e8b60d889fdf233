import * as hdr from 'hdr-histogram-js';

/**
 * What the service records exactly, per partition and per second: flush duration and
 * event-to-commit in microseconds, rows per flush and rows updated per flush. Prometheus
 * histograms (on /metrics) only bound a value by its bucket; these keep every value to three
 * significant digits, so the harness reports true minima, maxima and percentiles.
 */
export const INTERVAL_METRICS = [
  'flushDurationUs',
  'eventToCommitUs',
  'flushRows',
  'rowsUpdated',
] as const;
export type IntervalMetric = (typeof INTERVAL_METRICS)[number];

const METRIC_INDEX = Object.fromEntries(INTERVAL_METRICS.map((m, i) => [m, i])) as Record<
  IntervalMetric,
  number
>;

/** One closed second of one partition's one metric, as a compressed base64 HdrHistogram. */
export interface IntervalHistogram {
  /** Increasing with every histogram closed: where a reader left off. */
  readonly seq: number;
  /** Epoch second the values fell in (a second closed early can come in two parts). */
  readonly second: number;
  readonly partition: number;
  readonly metric: IntervalMetric;
  readonly hdr: string;
}

/** Up to an hour in microseconds, three significant digits: the format every HdrHistogram reads. */
export const INTERVAL_HISTOGRAM: hdr.BuildRequest = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
  // Plain 32-bit counts (about 100 KB each, 32 of them for 8 partitions): every event records
  // its event-to-commit here, and the packed form's index lookups were a tenth of the
  // service's CPU at 5,000 events/s (bench:e2e --profile).
  bitBucketSize: 32,
};

/**
 * Per-second HdrHistograms of a service's partitions. Values go into the open second's
 * histograms; when the second changes they are encoded and kept (the last `keepSeconds`) until
 * the harness reads them (`since`), and the live histograms are reset for the next second.
 */
export class IntervalRecorder {
  private readonly live: hdr.Histogram[][];
  private readonly touched: boolean[][];
  private openSecond: number;
  private readonly closed: IntervalHistogram[] = [];
  private seq = 0;

  constructor(
    readonly partitions: number,
    private readonly clock: () => number = Date.now,
    private readonly keepSeconds = 300,
  ) {
    this.live = Array.from({ length: partitions }, () =>
      INTERVAL_METRICS.map(() => hdr.build(INTERVAL_HISTOGRAM)),
    );
    this.touched = Array.from({ length: partitions }, () => INTERVAL_METRICS.map(() => false));
    this.openSecond = Math.floor(this.clock() / 1000);
  }

  private rotate(now: number, force = false): void {
    const second = Math.floor(now / 1000);
    if (second === this.openSecond && !force) return;
    for (let p = 0; p < this.partitions; p++) {
      const row = this.live[p] as hdr.Histogram[];
      const touched = this.touched[p] as boolean[];
      for (let m = 0; m < INTERVAL_METRICS.length; m++) {
        if (!touched[m]) continue;
        const histogram = row[m] as hdr.Histogram;
        this.closed.push({
          seq: ++this.seq,
          second: this.openSecond,
          partition: p,
          metric: INTERVAL_METRICS[m] as IntervalMetric,
          hdr: hdr.encodeIntoCompressedBase64(histogram),
        });
        histogram.reset();
        touched[m] = false;
      }
    }
    this.openSecond = second;
    const oldest = second - this.keepSeconds;
    while ((this.closed[0]?.second ?? Number.POSITIVE_INFINITY) < oldest) this.closed.shift();
  }

  record(partition: number, metric: IntervalMetric, value: number): void {
    this.histogram(partition, metric).recordValue(Math.max(0, Math.round(value)));
  }

  /**
   * The open second's histogram of `metric` for `partition`, to record several values at
   * once (a flush's event-to-commit times) with one read of the clock; values are whole and
   * not negative.
   */
  histogram(partition: number, metric: IntervalMetric): hdr.Histogram {
    this.rotate(this.clock());
    const m = METRIC_INDEX[metric];
    (this.touched[partition] as boolean[])[m] = true;
    return (this.live[partition] as hdr.Histogram[])[m] as hdr.Histogram;
  }

  /**
   * Every histogram closed after `afterSeq`. With `closeOpen` the open second is closed as it
   * stands (the end of a run, a service about to be stopped), so nothing recorded is left out;
   * what comes later in that second follows as a second part.
   */
  since(afterSeq: number, closeOpen = false): IntervalHistogram[] {
    this.rotate(this.clock(), closeOpen);
    return this.closed.filter((h) => h.seq > afterSeq);
  }
}
