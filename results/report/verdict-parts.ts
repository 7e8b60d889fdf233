import { formatInteger } from '../../lib/format.ts';
import type { ResultFile, RunResult, VerdictAudit } from '../schema/result-schema.ts';

type AuditCheck = VerdictAudit['checks'][number];
type RunVerdict = RunResult['verdict']['result'];

/** Worst first: a wrong result outranks any speed verdict. */
const RANK: readonly RunVerdict[] = ['WRONG RESULTS', 'REVISIT', 'KEEP'];

/** The verdict of several runs together: the worst of theirs, or null when none is a run. */
export function overallVerdict(results: readonly ResultFile[]): RunVerdict | null {
  const verdicts = results.flatMap((r) => (r.kind === 'run' ? [r.verdict.result] : []));
  return RANK.find((v) => verdicts.includes(v)) ?? null;
}

/**
 * What KEEP/REVISIT would say with the audit left out. WRONG RESULTS hides it, and a reader
 * still wants to know whether the wrong query was also slow.
 */
export function hiddenSpeedVerdict(r: RunResult): 'KEEP' | 'REVISIT' | null {
  if (r.verdict.result !== 'WRONG RESULTS') return null;
  return r.verdict.checks.some((c) => c.fired === true) ? 'REVISIT' : 'KEEP';
}

export type CheckStatus = 'pass' | 'FAIL' | 'allowed';

/** A failed check the scenario allows by name is reported but does not fail the run. */
export function checkStatus(c: AuditCheck): CheckStatus {
  if (c.ok) return 'pass';
  return c.allowed ? 'allowed' : 'FAIL';
}

export const STATUS_WORDS: Record<CheckStatus, string> = {
  pass: 'pass',
  FAIL: 'FAIL',
  allowed: 'failed, allowed by the scenario (harness.allowWrongResults)',
};

const UNIT: Record<AuditCheck['name'], string> = {
  lost_increments: 'increments',
  doubled_increments: 'increments',
  untouchable_rows_moved: 'rows',
};

/** The count with its unit, and the rows it touched where that says more: "62,612 increments on 21,671 rows". */
export function checkCount(c: AuditCheck): string {
  const count = `${formatInteger(c.count)} ${UNIT[c.name]}`;
  return UNIT[c.name] === 'rows' || c.count === 0
    ? count
    : `${count} on ${formatInteger(c.rows)} rows`;
}

export const AUDIT_ABSENT =
  'not in this result (saved before the audit checks were recorded); nothing is derived from it.';

/** The headline of a run's verdict: the variant of a wrong result and the speed verdict it hides. */
export function verdictNote(r: RunResult): string {
  const hidden = hiddenSpeedVerdict(r);
  const audit = r.verdict.audit;
  if (hidden === null || audit === undefined) return '';
  return `variant ${audit.variant}; the speed verdict it hides: ${hidden}`;
}

export const EXPLANATION_TITLE = 'Where the database time goes';
