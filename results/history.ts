import { UsageError } from '../lib/errors.ts';
import { HARNESS_METRICS, type HarnessMetric } from './metric-registry.ts';
import { compareValues, type ComparisonRow, type Direction } from './compare/compare-results.ts';
import { changePoints } from './stats/change-points.ts';
import { median } from './stats/descriptive.ts';
import type { IndexedResult } from './run-index.ts';
import {
  describeDifferences,
  describeGroups,
  groupByIdentity,
  identityDifferences,
  resultIdentity,
} from './result-identity.ts';
import type { ResultFile, StatementMode } from './schema/result-schema.ts';

/**
 * What `harness history` follows: a run metric under one aggregation
 * (`flush_duration:p(95)`), a sweep cell (`join@1000`, median wall time), or a benchmark
 * figure (`events_per_second`, with the benchmark's name).
 */
export type HistoryMetric =
  | {
      readonly kind: 'run';
      readonly metric: HarnessMetric;
      readonly aggregation: string;
      readonly label: string;
      readonly unit: string;
    }
  | {
      readonly kind: 'sweep';
      readonly variant: string;
      readonly size: number;
      readonly statement: StatementMode;
      readonly label: string;
      readonly unit: string;
    }
  | {
      readonly kind: 'bench';
      readonly figure: string;
      readonly label: string;
      readonly unit: string;
    };

const DEFAULT_AGGREGATION = { trend: 'p(95)', counter: 'count', gauge: 'value' } as const;
const UNITS: Partial<Record<HarnessMetric, string>> = {
  flush_size: 'rows',
  rows_updated: 'rows',
  flush_duration: 'ms',
  event_to_commit: 'ms',
  schedule_lag: 'ms',
  events_per_second: 'events/s',
  db_cpu: '%',
};

/**
 * `flush_duration:p(95)` (k6's spelling, which a shell must be given quoted) or
 * `flush_duration.p95` (none needed): the metric and, when given, k6's aggregation name.
 */
function splitMetricSpec(spec: string): [string, string | undefined] {
  const k6 = /^([A-Za-z0-9_]+):(.+)$/.exec(spec);
  if (k6 !== null) return [k6[1] as string, k6[2]];
  const plain = /^([A-Za-z0-9_]+)\.(p\d+(?:\.\d+)?|[a-z]+)$/.exec(spec);
  if (plain === null) return [spec, undefined];
  const aggregation = plain[2] as string;
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(aggregation);
  return [plain[1] as string, percentile === null ? aggregation : `p(${percentile[1]})`];
}

export function parseHistoryMetric(
  spec: string,
  statement: StatementMode,
  benchmark: boolean,
): HistoryMetric {
  const cell = /^([A-Za-z0-9_-]+)@(\d+)$/.exec(spec);
  if (cell !== null)
    return {
      kind: 'sweep',
      variant: cell[1] as string,
      size: Number(cell[2]),
      statement,
      label: `${cell[1]} ${cell[2]} rows, ${statement} (median wall ms)`,
      unit: 'ms',
    };
  if (benchmark) return { kind: 'bench', figure: spec, label: spec, unit: '' };
  const [metric, aggregation] = splitMetricSpec(spec);
  if (!Object.hasOwn(HARNESS_METRICS, metric))
    throw new UsageError(
      `metric "${spec}" is not one the harness records: give a run metric (${Object.keys(HARNESS_METRICS).join(', ')}) optionally with an aggregation such as flush_duration.p99 (or k6's flush_duration:p(99), quoted), a sweep cell such as join@1000, or a benchmark figure with --name <benchmark>`,
    );
  const m = metric as HarnessMetric;
  const agg = aggregation ?? DEFAULT_AGGREGATION[HARNESS_METRICS[m]];
  return { kind: 'run', metric: m, aggregation: agg, label: `${m} ${agg}`, unit: UNITS[m] ?? '' };
}

export function valueOf(result: ResultFile, metric: HistoryMetric): number | null {
  switch (metric.kind) {
    case 'run': {
      if (result.kind !== 'run') return null;
      // The judged part of a run with a warm-up: its steady scenario's sub-metric.
      const steady = result.metrics.steadyScenario;
      const values = result.metrics.values;
      return (
        (steady === undefined
          ? undefined
          : values[`${metric.metric}{scenario:${steady}}`]?.[metric.aggregation]) ??
        values[metric.metric]?.[metric.aggregation] ??
        null
      );
    }
    case 'sweep': {
      if (result.kind !== 'sweep') return null;
      const c = result.metrics.cells.find(
        (x) =>
          x.variant === metric.variant &&
          x.size === metric.size &&
          x.statement === metric.statement,
      );
      return c === undefined ? null : median(c.samplesMs);
    }
    case 'bench':
      return result.kind === 'bench' ? (result.metrics.figures[metric.figure] ?? null) : null;
  }
}

export interface HistoryEntry {
  /** The commit's results: its trials, oldest first. */
  readonly entries: readonly IndexedResult[];
  /** The median of its trials' values. */
  readonly value: number | null;
  readonly values: readonly number[];
  /** The change from the previous commit's trials, tested as `harness compare` tests it. */
  readonly change: ComparisonRow | null;
  /** A change point of the whole history falls just before this commit. */
  readonly changePoint: { readonly p: number } | null;
}

const DIRECTION: Record<HistoryMetric['kind'], (m: HistoryMetric) => Direction> = {
  run: (m) =>
    m.kind === 'run' && (m.metric === 'events_per_second' || m.metric === 'events_sent')
      ? 'higher'
      : m.kind === 'run' && (m.metric === 'flush_size' || m.metric === 'rows_updated')
        ? 'none'
        : 'lower',
  sweep: () => 'lower',
  bench: (m) =>
    m.kind === 'bench' && /per_second|ratio|efficiency/.test(m.figure) ? 'higher' : 'lower',
};

/**
 * The results of each of the last `last` commits that have one, oldest first, every result
 * of a commit one trial: the metric's median over them, its change against the previous
 * commit (tested when both have several trials), and the change points of the whole
 * history (E-divisive means over every trial's value, as Apache Otava finds them).
 */
export function metricHistory(
  results: readonly IndexedResult[],
  metric: HistoryMetric,
  last: number,
): HistoryEntry[] {
  const byCommit = new Map<string, IndexedResult[]>();
  for (const r of results) {
    if (valueOf(r.result, metric) === null) continue;
    const key = `${r.result.git.commit}${r.result.git.dirty ? '-dirty' : ''}`;
    const trials = byCommit.get(key) ?? [];
    byCommit.delete(key); // re-insert so the map's order follows each commit's newest result
    byCommit.set(key, [...trials, r]);
  }
  const picked = [...byCommit.values()].slice(-last);
  // A commit's trials must have run one thing: a join run and a cte run are no sample of one.
  for (const trials of picked) {
    const runs = groupByIdentity(trials);
    const commit = (trials[0] as IndexedResult).result.git.commit.slice(0, 7);
    if (runs.length > 1)
      throw new UsageError(
        `commit ${commit} has results that ran different things and cannot be trials of one: ${describeGroups(runs)}. Follow one of them: --variant <name> where the variant differs, or keep only the results to follow in the results store`,
      );
  }
  const identities = picked.map((trials) => resultIdentity((trials[0] as IndexedResult).result));
  const groups = picked.map((trials) => trials.map((t) => valueOf(t.result, metric) as number));
  const points = new Map(changePoints(groups).map((c) => [c.index, c]));
  const direction = DIRECTION[metric.kind](metric);
  return picked.map((entries, i) => {
    const values = groups[i] as number[];
    const previous = groups[i - 1];
    const differences =
      i === 0
        ? []
        : identityDifferences(
            identities[i - 1] as (typeof identities)[number],
            identities[i] as (typeof identities)[number],
          );
    const compared =
      previous === undefined
        ? null
        : compareValues(
            { section: metric.label, label: metric.label, direction },
            previous,
            values,
            undefined,
          );
    // Shown apart: a change across a change of setup is the setup's as much as the commit's.
    const change =
      compared === null || differences.length === 0
        ? compared
        : {
            ...compared,
            interval: null,
            verdict: 'untested' as const,
            untestedBecause: `what ran differs: ${describeDifferences(differences)}`,
            trialsNeeded: null,
            regression: false,
          };
    const point = points.get(i);
    return {
      entries,
      value: median(values),
      values,
      change,
      changePoint: point === undefined ? null : { p: point.p },
    };
  });
}
