import type { ParsedThreshold } from './run-metrics.ts';
import type { SeriesPoint } from './run-plan.ts';

export interface Breakpoint {
  /** The event-to-commit limit (ms) of the scenario's abortOnFail threshold. */
  readonly limitMs: number;
  /** The highest target rate reached while every second kept its event-to-commit p99 under the limit. */
  readonly highestSustainedRate: number | null;
  /** When a second first went over the limit (s from the start); null if none did. */
  readonly firstOverAt: number | null;
}

/**
 * A breakpoint reading of a run: the scenario names its limit as an abortOnFail threshold on
 * event_to_commit (`p(99)<1000`, say). The cumulative percentile that k6's threshold checks
 * reacts late on a ramp, so the rate is read from the per-second p99 instead: the highest
 * target rate before the first second over the limit (seconds inside delayAbortEval do not count).
 */
export function breakpointOf(
  series: readonly SeriesPoint[],
  thresholds: readonly ParsedThreshold[],
): Breakpoint | null {
  const limit = thresholds.find(
    (t) =>
      t.metric === 'event_to_commit' &&
      t.filter.partition === undefined &&
      t.abortOnFail &&
      t.aggregation.kind === 'p' &&
      (t.operator === '<' || t.operator === '<='),
  );
  if (limit === undefined) return null;
  let highest: number | null = null;
  for (const point of series) {
    const over =
      point.t * 1000 >= limit.delayAbortEvalMs &&
      point.eventToCommitP99Ms !== null &&
      point.eventToCommitP99Ms > limit.limit;
    if (over) return { limitMs: limit.limit, highestSustainedRate: highest, firstOverAt: point.t };
    if (point.eventsPerSecond > 0) highest = Math.max(highest ?? 0, point.targetRate);
  }
  return { limitMs: limit.limit, highestSustainedRate: highest, firstOverAt: null };
}
