import { UsageError } from '../../lib/errors.ts';
import { parseDuration } from '../duration.ts';
import { planLimitProblems, type ArrivalPlan } from './arrival-plan.ts';

/** k6's `constant-arrival-rate`: `rate` events per `timeUnit`, for `duration`. */
export interface ConstantArrivalRateConfig {
  readonly executor: 'constant-arrival-rate';
  readonly rate: number;
  readonly timeUnit?: string;
  readonly duration: string;
}

export function planConstantArrivalRate(config: ConstantArrivalRateConfig): ArrivalPlan {
  const problems: string[] = [];
  if (!(Number.isFinite(config.rate) && config.rate > 0))
    problems.push(`rate must be a number above 0, got ${config.rate}`);
  let unitMs = 1000;
  let durationMs = 0;
  try {
    unitMs = parseDuration(config.timeUnit ?? '1s', 'timeUnit');
    if (unitMs <= 0) problems.push('timeUnit must be longer than 0');
  } catch (error) {
    problems.push((error as Error).message);
  }
  try {
    durationMs = parseDuration(config.duration, 'duration');
    if (durationMs <= 0) problems.push('duration must be longer than 0');
  } catch (error) {
    problems.push((error as Error).message);
  }
  const perMs = config.rate / unitMs;
  if (problems.length === 0) problems.push(...planLimitProblems(perMs, durationMs));
  if (problems.length > 0) throw new UsageError('constant-arrival-rate is not valid:', problems);
  const intervalMs = 1 / perMs;
  return {
    executor: 'constant-arrival-rate',
    totalEvents: Math.floor(durationMs * perMs + 1e-9),
    durationMs,
    offsetMs: (k) => k * intervalMs,
    rateAt: () => perMs * 1000,
  };
}
