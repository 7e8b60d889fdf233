import { PLAN_LIMITS, type ArrivalPlan } from './arrival-plan.ts';

/** One scenario's plan and when it starts (k6's `startTime`). */
export interface ScheduledPlan {
  readonly name: string;
  readonly plan: ArrivalPlan;
  readonly startMs: number;
}

/** Several scenarios' schedules as one: what the runner keeps to, each event knowing its scenario. */
export interface CombinedPlan extends ArrivalPlan {
  readonly scenarios: readonly ScheduledPlan[];
  /** Index (in `scenarios`) of the scenario event k belongs to. */
  scenarioOf(k: number): number;
}

/**
 * k6's several scenarios in one test: their events merged in time order, each plan shifted by
 * its start. Events are read in order (the runner asks for k, then k + 1, ...), so the merge
 * walks forward with one cursor per scenario and never holds the whole schedule; asking for
 * an earlier event than the last but one is a bug, and says so.
 */
export function combinePlans(scenarios: readonly ScheduledPlan[]): CombinedPlan {
  if (scenarios.length === 1) {
    const only = scenarios[0] as ScheduledPlan;
    if (only.startMs === 0)
      return { ...only.plan, scenarios, scenarioOf: () => 0, executor: only.plan.executor };
  }
  const totalEvents = scenarios.reduce((n, s) => n + s.plan.totalEvents, 0);
  const durationMs = Math.max(...scenarios.map((s) => s.startMs + s.plan.durationMs));
  if (durationMs > PLAN_LIMITS.maxDurationMs)
    throw new RangeError(`the scenarios together last longer than ${PLAN_LIMITS.maxDurationMs} ms`);
  const next = scenarios.map(() => 0);
  let k = -1;
  let offset = 0;
  let scenario = 0;
  const advance = () => {
    let best = -1;
    let bestAt = Number.POSITIVE_INFINITY;
    scenarios.forEach((s, i) => {
      const j = next[i] as number;
      if (j >= s.plan.totalEvents) return;
      const at = s.startMs + s.plan.offsetMs(j);
      if (at < bestAt) {
        bestAt = at;
        best = i;
      }
    });
    k++;
    scenario = best;
    offset = bestAt;
    next[best] = (next[best] as number) + 1;
  };
  const seek = (target: number) => {
    if (target < k) throw new RangeError(`event ${target} was asked for after event ${k}`);
    while (k < target) advance();
  };
  return {
    executor: scenarios.map((s) => s.plan.executor).join('+'),
    totalEvents,
    durationMs,
    offsetMs(target) {
      seek(target);
      return offset;
    },
    rateAt(ms) {
      return scenarios.reduce(
        (sum, s) =>
          ms >= s.startMs && ms < s.startMs + s.plan.durationMs
            ? sum + s.plan.rateAt(ms - s.startMs)
            : sum,
        0,
      );
    },
    scenarios,
    scenarioOf(target) {
      seek(target);
      return scenario;
    },
  };
}
