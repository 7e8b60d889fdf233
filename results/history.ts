import { UsageError } from '../scripts/lib/usage-error.ts';
import { HARNESS_METRICS, type HarnessMetric } from '../scenarios/engine/scenario-options.ts';
import { compareResults, type ComparisonRow } from './compare/compare-results.ts';
import { median } from './stats/descriptive.ts';
import type { IndexedResult } from './run-index.ts';
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
  const [metric, aggregation] = spec.split(':', 2) as [string, string | undefined];
  if (!Object.hasOwn(HARNESS_METRICS, metric))
    throw new UsageError(
      `metric "${spec}" is not one the harness records: give a run metric (${Object.keys(HARNESS_METRICS).join(', ')}) optionally with an aggregation such as flush_duration:p(99), a sweep cell such as join@1000, or a benchmark figure with --name <benchmark>`,
    );
  const m = metric as HarnessMetric;
  const agg = aggregation ?? DEFAULT_AGGREGATION[HARNESS_METRICS[m]];
  return { kind: 'run', metric: m, aggregation: agg, label: `${m} ${agg}`, unit: UNITS[m] ?? '' };
}

export function valueOf(result: ResultFile, metric: HistoryMetric): number | null {
  switch (metric.kind) {
    case 'run':
      return result.kind === 'run'
        ? (result.metrics.values[metric.metric]?.[metric.aggregation] ?? null)
        : null;
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
  readonly entry: IndexedResult;
  readonly value: number | null;
  /** The change from the previous commit's result, with its significance when it could be tested. */
  readonly change: ComparisonRow | null;
}

/**
 * The newest result of each of the last `last` commits that have one, oldest first, with
 * `metric`'s value and its change against the previous commit (tested as `harness compare`
 * tests it).
 */
export function metricHistory(
  results: readonly IndexedResult[],
  metric: HistoryMetric,
  last: number,
): HistoryEntry[] {
  const byCommit = new Map<string, IndexedResult>();
  for (const r of results) {
    if (valueOf(r.result, metric) === null) continue;
    const key = `${r.result.git.commit}${r.result.git.dirty ? '-dirty' : ''}`;
    byCommit.delete(key); // re-insert so the map's order follows each commit's newest result
    byCommit.set(key, r);
  }
  const picked = [...byCommit.values()].slice(-last);
  return picked.map((entry, i) => {
    const previous = picked[i - 1];
    let change: ComparisonRow | null = null;
    if (previous !== undefined && previous.result.kind === entry.result.kind) {
      const rows = compareResults(previous, entry).rows;
      change = rows.find((r) => rowMatches(r, metric)) ?? null;
    }
    return { entry, value: valueOf(entry.result, metric), change };
  });
}

function rowMatches(row: ComparisonRow, metric: HistoryMetric): boolean {
  switch (metric.kind) {
    case 'run':
      return row.label === `${metric.metric} ${metric.aggregation}`;
    case 'sweep':
      return (
        row.label === `${metric.variant} ${metric.size} rows` &&
        row.section.includes(`, ${metric.statement} `)
      );
    case 'bench':
      return row.label === metric.figure;
  }
}
