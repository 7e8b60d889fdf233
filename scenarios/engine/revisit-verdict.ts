import { RUNS_DIR } from '../../results/run-store.ts';
import { indexResults } from '../../results/run-index.ts';
import type { SweepResult, VerdictAudit } from '../../results/schema/result-schema.ts';
import { DEGRADATION_RATIO } from '../sweep/seed-figures.ts';
import type { MetricReader } from './run-metrics.ts';
import type { HarnessMetric } from '../../results/metric-registry.ts';
import { formatFixed, formatUpTo } from '../../lib/format.ts';
import { SUSTAINED_WINDOW_SECONDS, type SustainedRate } from './sustained-rate.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

/** The analysis's "When to revisit" (docs/the-analysis.md), as limits. */
export const REVISIT_LIMITS = {
  flushRows: 500,
  eventsPerSecond: 1000,
  degradationRatio: DEGRADATION_RATIO,
  dbCpuPercent: PRODUCTION.dbCpuLimitPercent,
};

export interface RevisitCheck {
  readonly trigger: string;
  readonly measured: string;
  readonly limit: string;
  /** true: this trigger fired; false: it did not; null: it could not be evaluated (reason in `measured`). */
  readonly fired: boolean | null;
  /** What it read and over which window: `scenario steady, 10s-40s; warmup left out`. */
  readonly read?: string;
}

export interface Verdict {
  /** WRONG RESULTS comes before KEEP/REVISIT: a flush path that applies increments wrongly has no speed worth judging. */
  readonly result: 'KEEP' | 'REVISIT' | 'WRONG RESULTS';
  readonly checks: readonly RevisitCheck[];
  /** Where the database's time went and what the sweep predicts for the other forms. */
  readonly explanation?: readonly string[];
  /** The audit as pass/fail checks (scenarios/engine/audit-verdict.ts). */
  readonly audit?: VerdictAudit;
}

/** The load the verdict judges: the scenario that starts last, as it ran. */
export interface JudgedLoad {
  /** Which part of the run the readers hold: `scenario steady, 10s-40s; warmup left out`. */
  readonly scope: string;
  readonly scenario: string;
  /** Its events sent and the seconds it ran (to its end, or to an abort). */
  readonly sent: number;
  readonly seconds: number;
  /** Its highest rate over a sustained window, from the per-second series. */
  readonly sustained: SustainedRate;
}

export interface VerdictInputs {
  readonly load?: JudgedLoad;
  /** How many of the judged flushes had at least `rows` rows (the exact flush-size histogram). */
  readonly flushesAtLeast?: (rows: number) => number;
}

/**
 * The newest sweep result saved for this commit, if any. Unreadable files are passed over
 * here (`harness results` lists them with the reason).
 */
export function latestSweepFor(commit: string, dir = RUNS_DIR): Promise<SweepResult | undefined> {
  const sweeps = indexResults(dir).results.flatMap((r) =>
    r.result.kind === 'sweep' && r.result.git.commit === commit ? [r.result] : [],
  );
  return Promise.resolve(sweeps[sweeps.length - 1]);
}

export function revisitVerdict(
  readers: Record<HarnessMetric, MetricReader>,
  variant: string,
  sweep: SweepResult | undefined,
  dbCpuLimitPercent: number,
  dbCpuUnavailable: string | undefined,
  inputs: VerdictInputs = {},
): Verdict {
  const cpu = readers.db_cpu({ kind: 'value' });
  const scope = inputs.load?.scope ?? 'the whole run';
  const checks: RevisitCheck[] = [
    flushSizeCheck(readers, scope, inputs.flushesAtLeast),
    rateCheck(inputs.load),
  ];
  const lin = sweep?.metrics.linearity.find(
    (l) => l.variant === variant && l.statement === 'unprepared',
  );
  const at =
    lin?.ratios.find((r) => r.size === 1000) ??
    lin?.ratios.find((r) => r.size === 500) ??
    lin?.ratios[lin.ratios.length - 1];
  const sweepRead = `the sweep of this commit, ${variant}, unprepared`;
  checks.push(
    lin === undefined || at === undefined
      ? {
          trigger: 'per-row cost degrading beyond 200 rows',
          measured: `not evaluated: no sweep of ${variant} saved for this commit (run \`harness sweep --quick\` first)`,
          limit: `ms/row ratio > ${REVISIT_LIMITS.degradationRatio}`,
          fired: null,
          read: sweepRead,
        }
      : {
          trigger: 'per-row cost degrading beyond 200 rows',
          measured: `${variant} ms/row at ${formatFixed(at.size)} rows = ${formatFixed(at.ratio, 2)}x that at ${formatFixed(lin.baseSize)} rows (sweep of ${sweep?.createdAt ?? '?'})`,
          limit: `> ${REVISIT_LIMITS.degradationRatio}x`,
          fired: at.ratio > REVISIT_LIMITS.degradationRatio,
          read: sweepRead,
        },
  );
  checks.push({
    trigger: 'database CPU constrained',
    measured: Number.isFinite(cpu)
      ? `${formatFixed(cpu, 1)} % of all cores`
      : `not available: ${dbCpuUnavailable ?? 'no sample'}`,
    limit: `> ${formatFixed(dbCpuLimitPercent)} %`,
    fired: Number.isFinite(cpu) ? cpu > dbCpuLimitPercent : null,
    read: 'the whole run, the mean of per-second samples',
  });
  return { result: checks.some((c) => c.fired === true) ? 'REVISIT' : 'KEEP', checks };
}

/**
 * Flushes of 500+ rows: fired by the 95th percentile, so that one straggler among thousands
 * does not decide; the row shows the tail and how many flushes reached the limit.
 */
function flushSizeCheck(
  readers: Record<HarnessMetric, MetricReader>,
  scope: string,
  flushesAtLeast: VerdictInputs['flushesAtLeast'],
): RevisitCheck {
  const rows = REVISIT_LIMITS.flushRows;
  const p95 = readers.flush_size({ kind: 'p', percentile: 95 });
  const p99 = readers.flush_size({ kind: 'p', percentile: 99 });
  const max = readers.flush_size({ kind: 'max' });
  const flushes = readers.flushes({ kind: 'count' });
  const reached = flushesAtLeast?.(rows);
  const share =
    reached === undefined
      ? ''
      : `; ${formatFixed(reached)} of ${formatFixed(flushes)} flushes at ${formatFixed(rows)}+ rows${flushes > 0 ? ` (${formatUpTo((reached / flushes) * 100, 2)} %)` : ''}`;
  return {
    trigger: `flush sizes of ${formatFixed(rows)}+ rows`,
    measured: Number.isFinite(p95)
      ? `p95 ${formatFixed(p95)} rows, p99 ${formatFixed(p99)} rows, max ${formatFixed(max)} rows${share}`
      : 'no flush measured',
    limit: `p95 >= ${formatFixed(rows)}`,
    fired: Number.isFinite(p95) ? p95 >= rows : null,
    read: `${scope}, every flush`,
  };
}

/**
 * 1,000+ events/s: the highest rate the judged scenario held over a sustained window (its
 * whole length when it is shorter), beside its own rate over the time it ran.
 */
function rateCheck(load: JudgedLoad | undefined): RevisitCheck {
  const limit = REVISIT_LIMITS.eventsPerSecond;
  const trigger = `${formatFixed(limit)}+ events/s`;
  if (load === undefined)
    return {
      trigger,
      measured: 'not evaluated: no per-second series of the load',
      limit: `>= ${formatFixed(limit)} over ${SUSTAINED_WINDOW_SECONDS} s`,
      fired: null,
    };
  const { sustained } = load;
  const window = sustained.windowSeconds;
  const whole = window < SUSTAINED_WINDOW_SECONDS;
  const own =
    load.seconds > 0
      ? `${load.scenario} itself ${formatFixed(load.sent / load.seconds, 1)} events/s (${formatFixed(load.sent)} sent in ${formatUpTo(load.seconds, 1)} s)`
      : `${load.scenario} did not run`;
  return {
    trigger,
    measured:
      sustained.peak === null
        ? `not evaluated: no second of ${load.scenario} measured; ${own}`
        : `peak ${formatFixed(sustained.peak, 1)} events/s over ${formatUpTo(window, 1)} s (to ${formatUpTo(sustained.peakEndsAt ?? 0, 1)} s); ${own}`,
    limit: whole
      ? `>= ${formatFixed(limit)} over all ${formatUpTo(window, 1)} s of ${load.scenario} (shorter than ${SUSTAINED_WINDOW_SECONDS} s)`
      : `>= ${formatFixed(limit)} over ${SUSTAINED_WINDOW_SECONDS} s`,
    fired: sustained.peak === null ? null : sustained.peak >= limit,
    read: `${load.scope}, events accepted each second`,
  };
}
