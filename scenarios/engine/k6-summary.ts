import { HARNESS_METRICS, type HarnessMetric } from '../../results/metric-registry.ts';
import type { ThresholdOutcome } from './run-metrics.ts';
import { shownStats } from './run-summary.ts';

type Values = Record<string, Record<string, number | null>>;

/** What each metric holds, in k6's words: durations are `time`, the rest plain numbers. */
const CONTAINS: Partial<Record<HarnessMetric, 'time' | 'data'>> = {
  flush_duration: 'time',
  event_to_commit: 'time',
  schedule_lag: 'time',
};
const EMPTY_GROUP_ID = 'd41d8cd98f00b204e9800998ecf8427e';

function present(values: Record<string, number | null>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(values).filter((e): e is [string, number] => e[1] !== null),
  );
}

function withSamples(values: Values): [string, Record<string, number | null>][] {
  return Object.entries(values).filter(([, v]) => Object.values(v).every((x) => x !== null));
}

/** The metric a key names: `flush_duration{scenario:peak}` is a sub-metric of flush_duration. */
function parentOf(key: string): HarnessMetric {
  return key.split('{', 1)[0] as HarnessMetric;
}

/**
 * k6's value keys: trends the summaryTrendStats (all the run has when not given), counters
 * count/rate, gauges value/min/max.
 */
function k6Values(
  key: string,
  values: Record<string, number | null>,
  trendStats: readonly string[] | undefined,
): Record<string, number> {
  const metric = parentOf(key);
  const v = present(shownStats(key, values, trendStats));
  if (HARNESS_METRICS[metric] === 'gauge' && v.value !== undefined)
    return { value: v.value, min: v.value, max: v.value };
  return v;
}

/**
 * The data k6 hands to `handleSummary()`: `metrics.<name>.{type, contains, values,
 * thresholds.<expr>.ok}`, `root_group`, `options`, `state.testRunDurationMs`. Tools made for
 * k6 summaries (k6-html-reporter, for one) read it as they read k6's.
 */
export function handleSummaryData(
  values: Values,
  thresholds: readonly ThresholdOutcome[],
  durationMs: number,
  trendStats?: readonly string[],
) {
  return {
    root_group: { name: '', path: '', id: EMPTY_GROUP_ID, groups: [], checks: [] },
    options: {
      summaryTrendStats: [
        ...(trendStats ?? ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)']),
      ],
      summaryTimeUnit: '',
      noColor: true,
    },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: durationMs },
    // Like k6, a metric without samples is left out (readers expect every statistic present).
    metrics: Object.fromEntries(
      withSamples(values).map(([name, v]) => {
        // A sub-metric has its parent's type and contents, as in k6's own summary.
        const metric = parentOf(name);
        const own = thresholds.filter((t) => t.metric === name);
        return [
          name,
          {
            type: HARNESS_METRICS[metric],
            contains: CONTAINS[metric] ?? 'default',
            values: k6Values(name, v, trendStats),
            ...(own.length === 0
              ? {}
              : { thresholds: Object.fromEntries(own.map((t) => [t.expression, { ok: t.ok }])) }),
          },
        ];
      }),
    ),
  };
}

/**
 * k6's legacy `--summary-export` shape: values flattened into each metric, and
 * `thresholds.<expr>` set to true when the threshold FAILED (k6's own, surprising, meaning).
 */
export function legacySummaryExport(
  values: Values,
  thresholds: readonly ThresholdOutcome[],
  trendStats?: readonly string[],
) {
  return {
    root_group: { name: '', path: '', id: EMPTY_GROUP_ID, groups: {}, checks: {} },
    metrics: Object.fromEntries(
      withSamples(values).map(([name, v]) => {
        const own = thresholds.filter((t) => t.metric === name);
        return [
          name,
          {
            ...k6Values(name, v, trendStats),
            ...(own.length === 0
              ? {}
              : { thresholds: Object.fromEntries(own.map((t) => [t.expression, !t.ok])) }),
          },
        ];
      }),
    ),
  };
}
