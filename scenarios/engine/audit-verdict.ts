import {
  AUDIT_CHECK_NAMES,
  type AuditCheckName,
  type VerdictAudit,
} from '../../results/schema/result-schema.ts';
import { formatInteger } from '../../lib/format.ts';
import type { AuditExample, AuditReport } from './increment-audit.ts';
import type { Verdict } from './revisit-verdict.ts';

/** What each check holds the table to, in the words every report uses. */
const DESCRIPTIONS: Record<AuditCheckName, string> = {
  lost_increments:
    "every acknowledged increment is in the table (outside each key's own crash windows)",
  doubled_increments: 'no row holds more than every increment sent to it',
  untouchable_rows_moved: 'claimed, inactive and already-counted daily rows stay as they were',
};

const EXAMPLES_PER_KIND = 3;

function expected(x: AuditExample): string {
  return x.low === x.high
    ? `exactly ${formatInteger(x.low)}`
    : `${formatInteger(x.low)} to ${formatInteger(x.high)}`;
}

/**
 * The audit as pass/fail checks. A check the scenario names in `harness.allowWrongResults`
 * is still reported, and still makes the verdict WRONG RESULTS, but does not fail the run:
 * a scenario that breaks a guarantee on purpose (a flush without its fence) says so by name.
 */
export function auditVerdict(
  audit: AuditReport,
  variant: string,
  allowed: readonly AuditCheckName[],
): VerdictAudit {
  const counts: Record<AuditCheckName, { count: number; rows: number }> = {
    lost_increments: { count: audit.lost, rows: audit.lost > 0 ? audit.keysLost : 0 },
    doubled_increments: { count: audit.doubled, rows: audit.keysDoubled },
    untouchable_rows_moved: { count: audit.untouchableMoved, rows: audit.untouchableMoved },
  };
  const checks = AUDIT_CHECK_NAMES.map((name) => ({
    name,
    description: DESCRIPTIONS[name],
    ...counts[name],
    ok: counts[name].count === 0,
    allowed: allowed.includes(name),
  }));
  // Lost examples are keys short outside their crash windows (results from before the
  // per-key attribution listed every short key: shown only when the loss was beyond it).
  const lost = audit.lost > 0 ? audit.examples.lost.slice(0, EXAMPLES_PER_KIND) : [];
  const examples = [
    ...lost.map((x) => ({ kind: 'lost' as const, x })),
    ...audit.examples.doubled
      .slice(0, EXAMPLES_PER_KIND)
      .map((x) => ({ kind: 'doubled' as const, x })),
  ].map(({ kind, x }) => ({
    kind,
    player: x.userId,
    goal: x.goalId,
    expected: expected(x),
    found: x.after,
  }));
  const failed = checks.filter((c) => !c.ok);
  return {
    variant,
    checks,
    examples,
    ...(failed.length === 0
      ? {}
      : {
          meaning: `${variant} left the table different from what the events sent (${failed
            .map((c) => `${c.name} ${formatInteger(c.count)}`)
            .join(
              ', ',
            )}): its flushes apply increments to the wrong rows or in the wrong amounts, so its speed answers nothing until that is fixed`,
        }),
  };
}

/** The verdict with the audit in it: WRONG RESULTS ahead of KEEP/REVISIT when any check failed. */
export function withAudit(verdict: Verdict, audit: VerdictAudit): Verdict {
  return {
    ...verdict,
    result: audit.checks.some((c) => !c.ok) ? 'WRONG RESULTS' : verdict.result,
    audit,
  };
}

/** The checks that fail the run: failed and not allowed by the scenario. */
export function failedAuditChecks(audit: VerdictAudit): string[] {
  return audit.checks
    .filter((c) => !c.ok && !c.allowed)
    .map((c) => `${c.name} ${formatInteger(c.count)} in ${formatInteger(c.rows)} rows`);
}

/** What KEEP/REVISIT would be with the audit left out: the speed verdict WRONG RESULTS hides. */
export function speedVerdict(verdict: Verdict): 'KEEP' | 'REVISIT' {
  return verdict.checks.some((c) => c.fired === true) ? 'REVISIT' : 'KEEP';
}
