/**
 * An open-model arrival schedule, planned before anything runs: when each event is due,
 * as an offset from the start. Executors differ only in their plan; the runner that keeps
 * to it is shared (arrival-runner.ts).
 */
export interface ArrivalPlan {
  readonly executor: string;
  /** Events the plan schedules in all. */
  readonly totalEvents: number;
  /** How long the schedule lasts (ms). */
  readonly durationMs: number;
  /** Due time of event k (0-based) in ms from the start; non-decreasing in k. */
  offsetMs(k: number): number;
  /** The target rate at an offset, in events per second (for progress lines and reports). */
  rateAt(offsetMs: number): number;
}

/**
 * The largest schedule the harness plans: far beyond what one process can send (about
 * 40,000 events/s over HTTP), but finite, so a typo such as `rate: 1e308` is refused at once
 * instead of planning Infinity events and spinning.
 */
export const PLAN_LIMITS = {
  /** Events per second, at any moment of the schedule. */
  maxRatePerSecond: 10_000_000,
  /** How long a schedule may last: a week. */
  maxDurationMs: 7 * 24 * 3_600_000,
} as const;

/** Problems with a schedule's peak rate (events per ms) and length, against PLAN_LIMITS. */
export function planLimitProblems(peakPerMs: number, durationMs: number): string[] {
  const problems: string[] = [];
  if (peakPerMs * 1000 > PLAN_LIMITS.maxRatePerSecond)
    problems.push(
      `the rate reaches ${(peakPerMs * 1000).toExponential(2)} events/s; the most the harness plans is ${PLAN_LIMITS.maxRatePerSecond.toLocaleString('en-US')} events/s`,
    );
  if (durationMs > PLAN_LIMITS.maxDurationMs)
    problems.push(
      `the schedule lasts ${(durationMs / 3_600_000).toFixed(1)} h; the longest the harness plans is ${PLAN_LIMITS.maxDurationMs / 3_600_000} h`,
    );
  return problems;
}
