import { RUNS_DIR } from '../../results/run-store.ts';
import { indexResults } from '../../results/run-index.ts';
import type { SweepResult, VerdictAudit } from '../../results/schema/result-schema.ts';
import { DEGRADATION_RATIO } from '../sweep/seed-figures.ts';
import type { MetricReader } from './run-metrics.ts';
import type { HarnessMetric } from '../../results/metric-registry.ts';
import { formatFixed } from '../../lib/format.ts';
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
): Verdict {
  const p95 = readers.flush_size({ kind: 'p', percentile: 95 });
  const max = readers.flush_size({ kind: 'max' });
  const eps = readers.events_per_second({ kind: 'value' });
  const cpu = readers.db_cpu({ kind: 'value' });
  const checks: RevisitCheck[] = [
    {
      trigger: `flush sizes of ${REVISIT_LIMITS.flushRows}+ rows`,
      measured: Number.isFinite(p95)
        ? `p95 ${formatFixed(p95)} rows, max ${formatFixed(max)} rows`
        : 'no flush measured',
      limit: `p95 or max >= ${REVISIT_LIMITS.flushRows}`,
      fired: Number.isFinite(p95)
        ? p95 >= REVISIT_LIMITS.flushRows || max >= REVISIT_LIMITS.flushRows
        : null,
    },
    {
      trigger: `${formatFixed(REVISIT_LIMITS.eventsPerSecond)}+ events/s`,
      measured: Number.isFinite(eps) ? `${formatFixed(eps, 1)} events/s` : 'not measured',
      limit: `>= ${formatFixed(REVISIT_LIMITS.eventsPerSecond)}`,
      fired: Number.isFinite(eps) ? eps >= REVISIT_LIMITS.eventsPerSecond : null,
    },
  ];
  const lin = sweep?.metrics.linearity.find(
    (l) => l.variant === variant && l.statement === 'unprepared',
  );
  const at =
    lin?.ratios.find((r) => r.size === 1000) ??
    lin?.ratios.find((r) => r.size === 500) ??
    lin?.ratios[lin.ratios.length - 1];
  checks.push(
    lin === undefined || at === undefined
      ? {
          trigger: 'per-row cost degrading beyond 200 rows',
          measured: `not evaluated: no sweep of ${variant} saved for this commit (run \`harness sweep --quick\` first)`,
          limit: `ms/row ratio > ${REVISIT_LIMITS.degradationRatio}`,
          fired: null,
        }
      : {
          trigger: 'per-row cost degrading beyond 200 rows',
          measured: `${variant} ms/row at ${formatFixed(at.size)} rows = ${formatFixed(at.ratio, 2)}x that at ${formatFixed(lin.baseSize)} rows (sweep of ${sweep?.createdAt ?? '?'})`,
          limit: `> ${REVISIT_LIMITS.degradationRatio}x`,
          fired: at.ratio > REVISIT_LIMITS.degradationRatio,
        },
  );
  checks.push({
    trigger: 'database CPU constrained',
    measured: Number.isFinite(cpu)
      ? `${formatFixed(cpu, 1)} % of all cores`
      : `not available: ${dbCpuUnavailable ?? 'no sample'}`,
    limit: `> ${formatFixed(dbCpuLimitPercent)} %`,
    fired: Number.isFinite(cpu) ? cpu > dbCpuLimitPercent : null,
  });
  return { result: checks.some((c) => c.fired === true) ? 'REVISIT' : 'KEEP', checks };
}
