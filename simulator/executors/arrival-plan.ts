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
