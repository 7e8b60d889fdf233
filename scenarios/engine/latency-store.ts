import * as hdr from 'hdr-histogram-js';
import {
  INTERVAL_HISTOGRAM,
  INTERVAL_METRICS,
  type IntervalHistogram,
  type IntervalMetric,
} from '../../sut/metrics/interval-recorder.ts';
import type { MetricFilter } from '../thresholds/metric-key.ts';

/** When a scenario ran, in ms from the start of the load: its samples are tagged with its name. */
export interface ScenarioWindow {
  readonly name: string;
  readonly startMs: number;
  /** Where its samples stop being its own: the end of its schedule plus its graceful stop. */
  readonly endMs: number;
  /** The end of its schedule, when known: the end of the time it ran. */
  readonly runEndMs?: number;
}

/** One second of one partition's values of a metric, and the scenario it belongs to. */
export interface SecondOfValues {
  readonly second: number;
  readonly partition: number;
  readonly metric: IntervalMetric;
  readonly scenario: string;
}

/** Every aggregate as the results JSON keeps it: metric -> scenario -> partition -> compressed HdrHistogram. */
export type EncodedLatencies = Record<string, Record<string, Record<string, string>>>;

/** Samples that fall in no scenario's window (the final flushes after the load) carry this scenario tag. */
export const AFTER_LOAD = 'after-load';

/**
 * The service's exact per-second histograms, gathered by the harness as a run goes (read every
 * second, so a killed service loses at most its last second) and added up by metric,
 * scenario and partition: the run's minima, maxima and percentiles, whole or for any
 * sub-metric (`flush_duration{scenario:steady}`), are read from these. A second is tagged with
 * the scenario running then (of several, the one that started last), as k6 tags a sample
 * with its scenario.
 */
/** How long the start and the end of a load are that `edges()` compares. */
export const EDGE_SECONDS = 30;
/** Seconds kept for the end window: the edge, plus the final flushes after the load. */
const KEEP_SECONDS = EDGE_SECONDS + 15;

/** A metric's exact values in the first and the last seconds of the load. */
export interface LoadEdges {
  readonly seconds: number;
  readonly first: Map<IntervalMetric, hdr.Histogram>;
  readonly last: Map<IntervalMetric, hdr.Histogram>;
}

function addInto(
  bySecond: Map<number, Map<IntervalMetric, hdr.Histogram>>,
  second: number,
  metric: IntervalMetric,
  h: hdr.Histogram,
): void {
  let histograms = bySecond.get(second);
  if (histograms === undefined) {
    histograms = new Map();
    bySecond.set(second, histograms);
  }
  let target = histograms.get(metric);
  if (target === undefined) {
    target = hdr.build(INTERVAL_HISTOGRAM);
    histograms.set(metric, target);
  }
  target.add(h);
}

export class LatencyStore {
  private readonly aggregates = new Map<string, hdr.Histogram>();
  /** Per service instance: where its history was last read up to (its sequence numbers). */
  private readonly lastSeq = new Map<number, number>();
  /** The most recent seconds of the load, merged over partitions: the end window is read from these. */
  private readonly recent = new Map<number, Map<IntervalMetric, hdr.Histogram>>();
  /** The first seconds of the load, likewise: the start window. */
  private readonly early = new Map<number, Map<IntervalMetric, hdr.Histogram>>();

  private loadStartEpochMs = Date.now();

  constructor(
    private readonly windows: readonly ScenarioWindow[],
    /** Told of every second's histogram as it arrives, with its scenario (k6's --out json). */
    private readonly onInterval?: (interval: SecondOfValues, h: hdr.Histogram) => void,
  ) {}

  /** The load starts now: the scenarios' windows count from here. */
  startLoad(epochMs: number = Date.now()): void {
    this.loadStartEpochMs = epochMs;
  }

  /** Where a service instance's history was last read up to (its sequence numbers). */
  seqOf(instance = 0): number {
    return this.lastSeq.get(instance) ?? 0;
  }

  /** A new service process starts its sequence at 0. */
  restarted(instance = 0): void {
    this.lastSeq.set(instance, 0);
  }

  /**
   * How long a scenario ran, in seconds: from its start to the next scenario's start, its
   * own end or the end of the load (`loadMs`, cut short by an abort), whichever comes first
   * (a later scenario takes the seconds they share). Its graceful stop is not time it ran.
   */
  secondsOf(scenario: string, loadMs = Number.POSITIVE_INFINITY): number {
    const own = this.windows.find((w) => w.name === scenario);
    if (own === undefined) return Number.NaN;
    const cut = Math.min(
      own.runEndMs ?? own.endMs,
      loadMs,
      ...this.windows.filter((w) => w.startMs > own.startMs).map((w) => w.startMs),
    );
    return Math.max(0, cut - own.startMs) / 1000;
  }

  scenarioAt(epochSecond: number): string {
    const at = epochSecond * 1000 + 500 - this.loadStartEpochMs;
    let found: ScenarioWindow | undefined;
    for (const w of this.windows)
      if (at >= w.startMs && at < w.endMs && (found === undefined || w.startMs >= found.startMs))
        found = w;
    return found?.name ?? AFTER_LOAD;
  }

  private aggregate(metric: IntervalMetric, scenario: string, partition: number): hdr.Histogram {
    const key = `${metric}\u0001${scenario}\u0001${partition}`;
    let h = this.aggregates.get(key);
    if (h === undefined) {
      h = hdr.build(INTERVAL_HISTOGRAM);
      this.aggregates.set(key, h);
    }
    return h;
  }

  /**
   * Adds what the service reported since the last read; returns the same seconds merged over
   * partitions, by metric: the per-second series is read from these.
   */
  add(intervals: readonly IntervalHistogram[], instance = 0): Map<IntervalMetric, hdr.Histogram> {
    const merged = new Map<IntervalMetric, hdr.Histogram>();
    for (const interval of intervals) {
      const decoded = hdr.decodeFromCompressedBase64(interval.hdr);
      const scenario = this.scenarioAt(interval.second);
      this.aggregate(interval.metric, scenario, interval.partition).add(decoded);
      this.onInterval?.(
        {
          second: interval.second,
          partition: interval.partition,
          metric: interval.metric,
          scenario,
        },
        decoded,
      );
      let m = merged.get(interval.metric);
      if (m === undefined) {
        m = hdr.build(INTERVAL_HISTOGRAM);
        merged.set(interval.metric, m);
      }
      m.add(decoded);
      this.keepRecent(interval.second, interval.metric, decoded);
      decoded.destroy();
      this.lastSeq.set(instance, Math.max(this.seqOf(instance), interval.seq));
    }
    return merged;
  }

  private keepRecent(second: number, metric: IntervalMetric, h: hdr.Histogram): void {
    const offset = second - Math.floor(this.loadStartEpochMs / 1000);
    if (offset >= 0 && offset < EDGE_SECONDS) addInto(this.early, second, metric, h);
    if (!this.recent.has(second)) {
      const newest = Math.max(second, ...this.recent.keys());
      for (const [old, histograms] of this.recent)
        if (old < newest - KEEP_SECONDS) {
          for (const x of histograms.values()) x.destroy();
          this.recent.delete(old);
        }
    }
    addInto(this.recent, second, metric, h);
  }

  /**
   * Every metric's values in the first and the last seconds of a load of `loadMs` (the
   * scenarios, not the flushes after them), merged over partitions: whether a run settled
   * shows in the two compared. EDGE_SECONDS each, less for a load under a minute; undefined
   * under two seconds. The caller destroys the histograms.
   */
  edges(loadMs: number): LoadEdges | undefined {
    const seconds = Math.min(EDGE_SECONDS, Math.floor(loadMs / 2000));
    if (seconds < 1) return undefined;
    const startSecond = Math.floor(this.loadStartEpochMs / 1000);
    const endSecond = Math.floor((this.loadStartEpochMs + loadMs) / 1000);
    const window = (
      from: Map<number, Map<IntervalMetric, hdr.Histogram>>,
      lo: number,
      hi: number,
    ): Map<IntervalMetric, hdr.Histogram> => {
      const out = new Map<IntervalMetric, hdr.Histogram>();
      for (const metric of INTERVAL_METRICS) {
        const h = hdr.build(INTERVAL_HISTOGRAM);
        for (const [second, histograms] of from) {
          const x = histograms.get(metric);
          if (second >= lo && second < hi && x !== undefined) h.add(x);
        }
        out.set(metric, h);
      }
      return out;
    };
    return {
      seconds,
      first: window(this.early, startSecond, startSecond + seconds),
      last: window(this.recent, endSecond - seconds, endSecond),
    };
  }

  /** The metric's samples that match `filter`, in one histogram (the caller destroys it). */
  read(metric: IntervalMetric, filter: MetricFilter = {}): hdr.Histogram {
    const out = hdr.build(INTERVAL_HISTOGRAM);
    for (const [key, h] of this.aggregates) {
      const [m, scenario, partition] = key.split('\u0001');
      if (m !== metric) continue;
      if (filter.scenario !== undefined && scenario !== filter.scenario) continue;
      if (filter.partition !== undefined && Number(partition) !== filter.partition) continue;
      out.add(h);
    }
    return out;
  }

  encode(): EncodedLatencies {
    const out: EncodedLatencies = {};
    for (const [key, h] of this.aggregates) {
      const [metric = '', scenario = '', partition = ''] = key.split('\u0001');
      ((out[metric] ??= {})[scenario] ??= {})[partition] = hdr.encodeIntoCompressedBase64(h);
    }
    return out;
  }

  /** The metrics the store keeps, whatever was recorded. */
  static readonly metrics = INTERVAL_METRICS;
}
