import { UsageError } from '../../lib/errors.ts';
import { parseDuration } from '../duration.ts';
import { planLimitProblems, type ArrivalPlan } from './arrival-plan.ts';

/** k6's `ramping-arrival-rate`: from `startRate`, each stage moves linearly to its `target` over its `duration`. */
export interface RampingArrivalRateConfig {
  readonly executor: 'ramping-arrival-rate';
  readonly startRate: number;
  readonly timeUnit?: string;
  readonly stages: readonly { readonly target: number; readonly duration: string }[];
}

interface Segment {
  startMs: number;
  durationMs: number;
  /** Rates in events per ms at the start and end of the stage. */
  from: number;
  to: number;
  /** Events due before this stage starts. */
  before: number;
}

/**
 * Parses `30s:100,1m:500` (duration:target pairs) into stages, the command-line form of
 * k6's `stages: [{ duration: '30s', target: 100 }, ...]`.
 */
export function parseStages(value: string): { target: number; duration: string }[] {
  const stages = value.split(',').map((part) => part.trim());
  const bad = stages.filter((s) => !/^[\d.]+(ms|s|m|h)([\d.]+(ms|s|m|h))*:\d+(\.\d+)?$/.test(s));
  if (value.trim() === '' || bad.length > 0) {
    throw new UsageError(
      `--stages "${value}" does not parse; expected duration:target pairs separated by commas, like 30s:100,1m:500 (bad: ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
    );
  }
  return stages.map((s) => {
    const [duration, target] = s.split(':') as [string, string];
    return { duration, target: Number(target) };
  });
}

export function planRampingArrivalRate(config: RampingArrivalRateConfig): ArrivalPlan {
  const problems: string[] = [];
  if (!(Number.isFinite(config.startRate) && config.startRate >= 0))
    problems.push(`startRate must be a number of at least 0, got ${config.startRate}`);
  if (config.stages.length === 0) problems.push('stages must list at least one stage');
  let unitMs = 1000;
  try {
    unitMs = parseDuration(config.timeUnit ?? '1s', 'timeUnit');
    if (unitMs <= 0) problems.push('timeUnit must be longer than 0');
  } catch (error) {
    problems.push((error as Error).message);
  }
  const segments: Segment[] = [];
  let at = 0;
  let before = 0;
  let from = config.startRate / unitMs;
  config.stages.forEach((stage, i) => {
    let durationMs = 0;
    try {
      durationMs = parseDuration(stage.duration, `stages[${i}].duration`);
    } catch (error) {
      problems.push((error as Error).message);
    }
    if (!(Number.isFinite(stage.target) && stage.target >= 0))
      problems.push(`stages[${i}].target must be a number of at least 0, got ${stage.target}`);
    const to = stage.target / unitMs;
    segments.push({ startMs: at, durationMs, from, to, before });
    before += ((from + to) / 2) * durationMs;
    at += durationMs;
    from = to;
  });
  if (problems.length === 0)
    problems.push(
      ...planLimitProblems(
        Math.max(config.startRate, ...config.stages.map((s) => s.target)) / unitMs,
        at,
      ),
    );
  if (problems.length === 0 && before < 1)
    problems.push('the stages schedule no event at all: raise startRate or a target');
  if (problems.length > 0) throw new UsageError('ramping-arrival-rate is not valid:', problems);
  const totalEvents = Math.floor(before + 1e-9);

  // Event k is due when the cumulative count N(t) reaches k: within a stage, solve
  // from*t + slope*t^2/2 = n for the events n that stage has scheduled so far.
  const offsetMs = (k: number): number => {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segments[mid] as Segment).before <= k) lo = mid;
      else hi = mid - 1;
    }
    const s = segments[lo] as Segment;
    const n = k - s.before;
    const slope = s.durationMs === 0 ? 0 : (s.to - s.from) / s.durationMs;
    if (Math.abs(slope) < 1e-15) return s.startMs + (s.from === 0 ? 0 : n / s.from);
    // slope/2 t^2 + from t - n = 0
    const t = (-s.from + Math.sqrt(s.from * s.from + 2 * slope * n)) / slope;
    return s.startMs + Math.min(Math.max(t, 0), s.durationMs);
  };
  return {
    executor: 'ramping-arrival-rate',
    totalEvents,
    durationMs: at,
    offsetMs,
    rateAt: (ms) => {
      const s =
        segments.find((seg) => ms < seg.startMs + seg.durationMs) ?? segments[segments.length - 1];
      if (s === undefined) return 0;
      const f = s.durationMs === 0 ? 1 : Math.min(1, Math.max(0, (ms - s.startMs) / s.durationMs));
      return (s.from + (s.to - s.from) * f) * 1000;
    },
  };
}
