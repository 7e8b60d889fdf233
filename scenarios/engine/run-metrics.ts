import type * as hdr from 'hdr-histogram-js';
import { decodeLatencies } from '../../results/stats/hdr-encoding.ts';
import type { IntervalMetric } from '../../sut/metrics/interval-recorder.ts';
import { parseMetricKey, type MetricFilter } from '../thresholds/metric-key.ts';
import type { LatencyStore } from './latency-store.ts';
import { histogramQuantile, sumOf, type PromSample } from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { compare, parseThreshold, type Aggregation } from '../thresholds/threshold-parser.ts';
import type { AuditReport } from './increment-audit.ts';
import { customTagsOf, type ValidScenarioOptions } from './scenario-options.ts';
import {
  HARNESS_METRICS,
  METRIC_TAGS_OF,
  type HarnessMetric,
} from '../../results/metric-registry.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';
import type { SeriesPoint } from './run-plan.ts';
import { rateGauge } from './sustained-rate.ts';

/**
 * A metric's value under one aggregation, for the samples a filter keeps (a sub-metric such
 * as `flush_duration{scenario:steady}`); NaN when it cannot be had (no flush yet, say).
 */
export type MetricReader = (aggregation: Aggregation, filter?: MetricFilter) => number;

/**
 * A trend from the service's Prometheus histogram, bounded by its buckets (the service's
 * `_max` gauges hold the last minute's largest, not the run's).
 */
function trendFromHistogram(
  samples: readonly PromSample[],
  name: string,
  scale: number,
): MetricReader {
  return (a, filter = {}) => {
    const match: Record<string, string> =
      filter.partition === undefined ? {} : { partition: String(filter.partition) };
    const count = sumOf(samples, `${name}_count`, match);
    switch (a.kind) {
      case 'avg':
        return count === 0 ? Number.NaN : (sumOf(samples, `${name}_sum`, match) / count) * scale;
      case 'med':
        return histogramQuantile(samples, name, 0.5, match) * scale;
      case 'p':
        return histogramQuantile(samples, name, a.percentile / 100, match) * scale;
      case 'min':
        return histogramQuantile(samples, name, 0, match) * scale;
      case 'max':
        return histogramQuantile(samples, name, 1, match) * scale;
      default:
        return Number.NaN;
    }
  };
}

/** A trend's value from an exact HdrHistogram (`scale` turns its unit into the metric's). */
export function fromHdr(h: hdr.Histogram, a: Aggregation, scale: number): number {
  if (h.totalCount === 0) return Number.NaN;
  switch (a.kind) {
    case 'avg':
      return h.mean * scale;
    case 'min':
      return h.getValueAtPercentile(0) * scale;
    case 'max':
      return h.maxValue * scale;
    case 'med':
      return h.getValueAtPercentile(50) * scale;
    case 'p':
      return h.getValueAtPercentile(a.percentile) * scale;
    default:
      return Number.NaN;
  }
}

function trendFromStore(store: LatencyStore, metric: IntervalMetric, scale: number): MetricReader {
  return (a, filter = {}) => {
    const h = store.read(metric, filter);
    const value = fromHdr(h, a, scale);
    h.destroy();
    return value;
  };
}

/** How long the samples a filter keeps were taken over: a scenario's own window, or the run. */
type SecondsOf = (filter: MetricFilter) => number;

const counter =
  (count: (filter: MetricFilter) => number, secondsOf: SecondsOf): MetricReader =>
  (a, filter = {}) => {
    const n = count(filter);
    return a.kind === 'count' ? n : a.kind === 'rate' ? n / secondsOf(filter) : Number.NaN;
  };

/** Flushes counted exactly: one flush-size sample per flush, so a scenario's flushes are its own. */
function flushCount(store: LatencyStore) {
  return (filter: MetricFilter): number => {
    const h = store.read('flushRows', filter);
    const n = h.totalCount;
    h.destroy();
    return n;
  };
}
const whole = (n: number) => () => n;
const gauge =
  (value: number): MetricReader =>
  (a) =>
    a.kind === 'value' ? value : Number.NaN;

/**
 * events_per_second, a k6 gauge sampled once a second (rateGauge): its value the last sample
 * of the load, with its lowest and highest. Without a per-second series (during a run's
 * first second, or in tests) it is the simulator's sent events over the time it ran.
 */
function eventsPerSecond(
  sim: RunStats | undefined,
  series: readonly SeriesPoint[] | undefined,
  loadMs: number,
): MetricReader {
  const sampled = series === undefined ? undefined : rateGauge(series, loadMs);
  if (sampled === undefined) return gauge(sim?.achievedRate ?? Number.NaN);
  return (a) =>
    a.kind === 'value'
      ? sampled.value
      : a.kind === 'min'
        ? sampled.min
        : a.kind === 'max'
          ? sampled.max
          : Number.NaN;
}

/** The simulator's lag, whole or for a scenario or partition (microsecond HdrHistograms). */
function lagReader(sim: RunStats | undefined): MetricReader {
  return (a, filter = {}) => {
    if (sim === undefined) return Number.NaN;
    const encoded =
      filter.scenario !== undefined
        ? sim.scenarios.find((s) => s.name === filter.scenario)?.lagHdr
        : filter.partition !== undefined
          ? sim.partitions.find((p) => p.partition === filter.partition)?.lagHdr
          : sim.lagHdr;
    if (encoded === undefined) return Number.NaN;
    const h = decodeLatencies(encoded);
    const value = fromHdr(h, a, 1 / 1000);
    h.destroy();
    return value;
  };
}

/** Events the simulator sent or dropped, whole or for a scenario or partition. */
function simCount(sim: RunStats | undefined, field: 'sent' | 'dropped') {
  return (filter: MetricFilter): number => {
    if (sim === undefined) return 0;
    if (filter.scenario !== undefined)
      return sim.scenarios.find((s) => s.name === filter.scenario)?.[field] ?? 0;
    if (filter.partition !== undefined)
      return sim.partitions.find((p) => p.partition === filter.partition)?.[field] ?? 0;
    return sim[field];
  };
}

/**
 * Reads every harness metric: the service's exact histograms (`exact.latency`) for the
 * flush and event-to-commit trends (Prometheus's buckets only where there are none, as in
 * results from before them), its /metrics for counters, the simulator's stats, the DB CPU
 * figure and the audit. A filter on another variant than the run's reads nothing.
 */
export function metricReaders(
  samples: readonly PromSample[],
  sim: RunStats | undefined,
  seconds: number,
  dbCpuPercent: number | undefined,
  /** The end-of-run audit; during the run there is none yet. */
  audit?: Pick<AuditReport, 'lost' | 'doubled' | 'lostAtCrash'>,
  exact?: { readonly latency: LatencyStore; readonly variant: string },
  /** The per-second series so far: events_per_second is sampled from it. */
  series?: readonly SeriesPoint[],
): Record<HarnessMetric, MetricReader> {
  const latency = exact?.latency;
  // How long the load ran: its schedule's time once over (cut short by an abort), the time
  // so far while it runs.
  const loadMs = sim?.elapsedMs ?? seconds * 1000;
  const trend = (metric: IntervalMetric, scale: number, name: string) =>
    latency === undefined
      ? trendFromHistogram(samples, name, scale === 1 ? 1 : 1000)
      : trendFromStore(latency, metric, scale);
  const secondsOf: SecondsOf = (filter) =>
    filter.scenario === undefined || latency === undefined
      ? seconds
      : latency.secondsOf(filter.scenario, loadMs);
  const byPartition = (name: string) => (filter: MetricFilter) =>
    sumOf(
      samples,
      name,
      filter.partition === undefined ? {} : { partition: String(filter.partition) },
    );
  const readers: Record<HarnessMetric, MetricReader> = {
    flush_size: trend('flushRows', 1, METRIC_NAMES.flushSizeRows),
    rows_updated: trend('rowsUpdated', 1, METRIC_NAMES.flushUpdatedRows),
    flush_duration: trend('flushDurationUs', 1 / 1000, METRIC_NAMES.flushDurationSeconds),
    event_to_commit: trend('eventToCommitUs', 1 / 1000, METRIC_NAMES.eventToCommitSeconds),
    schedule_lag: lagReader(sim),
    events_per_second: eventsPerSecond(sim, series, loadMs),
    events_sent: counter(simCount(sim, 'sent'), secondsOf),
    dropped_events: counter(simCount(sim, 'dropped'), secondsOf),
    rejected_events: counter(whole(sumOf(samples, METRIC_NAMES.eventsRejectedTotal)), secondsOf),
    flushes: counter(
      latency === undefined ? byPartition(METRIC_NAMES.flushesTotal) : flushCount(latency),
      secondsOf,
    ),
    flush_errors: counter(byPartition(METRIC_NAMES.flushErrorsTotal), secondsOf),
    db_cpu: gauge(dbCpuPercent ?? Number.NaN),
    lost_increments: counter(whole(audit?.lost ?? Number.NaN), secondsOf),
    doubled_increments: counter(whole(audit?.doubled ?? Number.NaN), secondsOf),
    lost_at_crash: counter(whole(audit?.lostAtCrash ?? Number.NaN), secondsOf),
  };
  const variant = exact?.variant;
  if (variant === undefined) return readers;
  return Object.fromEntries(
    Object.entries(readers).map(([metric, read]) => [
      metric,
      (a: Aggregation, filter: MetricFilter = {}) =>
        filter.variant !== undefined && filter.variant !== variant ? Number.NaN : read(a, filter),
    ]),
  ) as Record<HarnessMetric, MetricReader>;
}

/**
 * The readers with a scenario filter applied wherever the metric carries the tag: the part of
 * a run its verdict and tables are about (the steady part, not the warm-up before it).
 */
export function scenarioReaders(
  readers: Record<HarnessMetric, MetricReader>,
  scenario: string,
): Record<HarnessMetric, MetricReader> {
  return Object.fromEntries(
    (Object.keys(readers) as HarnessMetric[]).map((metric) => [
      metric,
      METRIC_TAGS_OF[metric].includes('scenario')
        ? (a: Aggregation, filter: MetricFilter = {}) => readers[metric](a, { scenario, ...filter })
        : readers[metric],
    ]),
  ) as Record<HarnessMetric, MetricReader>;
}

export interface ThresholdOutcome {
  /** The metric as the scenario file names it: `flush_duration`, or a sub-metric `flush_duration{scenario:steady}`. */
  readonly metric: string;
  readonly expression: string;
  readonly value: number | null;
  readonly ok: boolean;
  readonly abortOnFail: boolean;
  readonly delayAbortEvalMs: number;
}

export interface ParsedThreshold {
  readonly metric: HarnessMetric;
  /** Which samples it judges (a sub-metric); {} for all. */
  readonly filter: MetricFilter;
  /** How the file names the metric, as k6 prints it. */
  readonly key: string;
  readonly expression: string;
  readonly aggregation: Aggregation;
  readonly operator: Parameters<typeof compare>[1];
  readonly limit: number;
  readonly abortOnFail: boolean;
  readonly delayAbortEvalMs: number;
}

/** Parses every threshold of a scenario up front, so a typo fails before anything starts. */
export function parseThresholds(
  options: ValidScenarioOptions,
  toMs: (d: string) => number,
): ParsedThreshold[] {
  return Object.entries(options.thresholds ?? {}).flatMap(([name, entries]) => {
    const { metric, filter, key } = parseMetricKey(name, customTagsOf(options));
    return entries.map((entry) => {
      const spec = typeof entry === 'string' ? { threshold: entry } : entry;
      const t = parseThreshold(key, HARNESS_METRICS[metric as HarnessMetric], spec.threshold);
      return {
        metric: metric as HarnessMetric,
        filter,
        key,
        expression: t.expression,
        aggregation: t.aggregation,
        operator: t.operator,
        limit: t.value,
        abortOnFail: spec.abortOnFail ?? false,
        delayAbortEvalMs: spec.delayAbortEval === undefined ? 0 : toMs(spec.delayAbortEval),
      };
    });
  });
}

/**
 * k6's meaning: a threshold whose metric has no value yet fails. A threshold on another
 * variant's samples (`{variant:cte}` in a run of join) is not this run's to judge: left out.
 */
export function evaluate(
  thresholds: readonly ParsedThreshold[],
  readers: Record<HarnessMetric, MetricReader>,
  variant?: string,
): ThresholdOutcome[] {
  return thresholds
    .filter(
      (t) =>
        t.filter.variant === undefined || variant === undefined || t.filter.variant === variant,
    )
    .map((t) => {
      const value = readers[t.metric](t.aggregation, t.filter);
      return {
        metric: t.key,
        expression: t.expression,
        value: Number.isFinite(value) ? value : null,
        ok: Number.isFinite(value) && compare(value, t.operator, t.limit),
        abortOnFail: t.abortOnFail,
        delayAbortEvalMs: t.delayAbortEvalMs,
      };
    });
}
