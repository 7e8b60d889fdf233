import { decodeLatencies } from '../../results/stats/hdr-encoding.ts';
import { histogramQuantile, sumOf, type PromSample } from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { compare, parseThreshold, type Aggregation } from '../thresholds/threshold-parser.ts';
import type { AuditReport } from './increment-audit.ts';
import {
  HARNESS_METRICS,
  type HarnessMetric,
  type ValidScenarioOptions,
} from './scenario-options.ts';

/** A metric's value under one aggregation; NaN when it cannot be had (no flush yet, say). */
export type MetricReader = (aggregation: Aggregation) => number;

function trendFromHistogram(
  samples: readonly PromSample[],
  name: string,
  scale: number,
  maxGauge?: string,
): MetricReader {
  return (a) => {
    const count = sumOf(samples, `${name}_count`);
    switch (a.kind) {
      case 'avg':
        return count === 0 ? Number.NaN : (sumOf(samples, `${name}_sum`) / count) * scale;
      case 'med':
        return histogramQuantile(samples, name, 0.5) * scale;
      case 'p':
        return histogramQuantile(samples, name, a.percentile / 100) * scale;
      case 'min':
        return histogramQuantile(samples, name, 0) * scale;
      case 'max': {
        if (maxGauge !== undefined) {
          const values = samples.filter((s) => s.name === maxGauge).map((s) => s.value);
          return values.length === 0 ? Number.NaN : Math.max(...values) * scale;
        }
        return histogramQuantile(samples, name, 1) * scale;
      }
      default:
        return Number.NaN;
    }
  };
}

const counter =
  (count: number, seconds: number): MetricReader =>
  (a) =>
    a.kind === 'count' ? count : a.kind === 'rate' ? count / seconds : Number.NaN;
const gauge =
  (value: number): MetricReader =>
  (a) =>
    a.kind === 'value' ? value : Number.NaN;

/** Reads every harness metric from the service's /metrics, the simulator's stats and the DB CPU figure. */
export function metricReaders(
  samples: readonly PromSample[],
  sim: RunStats | undefined,
  seconds: number,
  dbCpuPercent: number | undefined,
  /** The end-of-run audit; during the run there is none yet. */
  audit?: Pick<AuditReport, 'lost' | 'doubled' | 'lostAtCrash'>,
): Record<HarnessMetric, MetricReader> {
  const lag = sim === undefined ? undefined : decodeLatencies(sim.lagHdr);
  return {
    flush_size: trendFromHistogram(
      samples,
      'harness_flush_size_rows',
      1,
      'harness_flush_size_rows_max',
    ),
    rows_updated: trendFromHistogram(samples, 'harness_flush_rows_updated', 1),
    flush_duration: trendFromHistogram(
      samples,
      'harness_flush_duration_seconds',
      1000,
      'harness_flush_duration_seconds_max',
    ),
    event_to_commit: trendFromHistogram(samples, 'harness_event_to_commit_seconds', 1000),
    schedule_lag: (a) => {
      if (lag === undefined || lag.totalCount === 0) return Number.NaN;
      if (a.kind === 'avg') return lag.mean / 1000;
      if (a.kind === 'max') return lag.maxValue / 1000;
      if (a.kind === 'min') return lag.minNonZeroValue / 1000;
      if (a.kind === 'med') return lag.getValueAtPercentile(50) / 1000;
      if (a.kind === 'p') return lag.getValueAtPercentile(a.percentile) / 1000;
      return Number.NaN;
    },
    events_per_second: gauge(sim?.achievedRate ?? Number.NaN),
    events_sent: counter(sim?.sent ?? 0, seconds),
    dropped_events: counter(sim?.dropped ?? 0, seconds),
    rejected_events: counter(sumOf(samples, 'harness_events_rejected_total'), seconds),
    flushes: counter(sumOf(samples, 'harness_flushes_total'), seconds),
    flush_errors: counter(sumOf(samples, 'harness_flush_errors_total'), seconds),
    db_cpu: gauge(dbCpuPercent ?? Number.NaN),
    lost_increments: counter(audit?.lost ?? Number.NaN, seconds),
    doubled_increments: counter(audit?.doubled ?? Number.NaN, seconds),
    lost_at_crash: counter(audit?.lostAtCrash ?? Number.NaN, seconds),
  };
}

export interface ThresholdOutcome {
  readonly metric: string;
  readonly expression: string;
  readonly value: number | null;
  readonly ok: boolean;
  readonly abortOnFail: boolean;
  readonly delayAbortEvalMs: number;
}

export interface ParsedThreshold {
  readonly metric: HarnessMetric;
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
  return Object.entries(options.thresholds ?? {}).flatMap(([metric, entries]) =>
    entries.map((entry) => {
      const spec = typeof entry === 'string' ? { threshold: entry } : entry;
      const t = parseThreshold(metric, HARNESS_METRICS[metric as HarnessMetric], spec.threshold);
      return {
        metric: metric as HarnessMetric,
        expression: t.expression,
        aggregation: t.aggregation,
        operator: t.operator,
        limit: t.value,
        abortOnFail: spec.abortOnFail ?? false,
        delayAbortEvalMs: spec.delayAbortEval === undefined ? 0 : toMs(spec.delayAbortEval),
      };
    }),
  );
}

/** k6's meaning: a threshold whose metric has no value yet fails. */
export function evaluate(
  thresholds: readonly ParsedThreshold[],
  readers: Record<HarnessMetric, MetricReader>,
): ThresholdOutcome[] {
  return thresholds.map((t) => {
    const value = readers[t.metric](t.aggregation);
    return {
      metric: t.metric,
      expression: t.expression,
      value: Number.isFinite(value) ? value : null,
      ok: Number.isFinite(value) && compare(value, t.operator, t.limit),
      abortOnFail: t.abortOnFail,
      delayAbortEvalMs: t.delayAbortEvalMs,
    };
  });
}
