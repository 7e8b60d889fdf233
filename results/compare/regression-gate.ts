import { GateNotAppliedError, RegressionError } from '../../lib/errors.ts';
import { regressionsBeyond, type Comparison, type ComparisonRow } from './compare-results.ts';

/** What `--fail-on-regression` found over one or more comparisons. */
export interface GateOutcome {
  /** Rows called worse with the whole interval beyond the limit, each with its comparison. */
  readonly regressions: readonly string[];
  /** Why some of what was asked could not be tested: a regression there would pass unseen. */
  readonly notApplied: readonly string[];
  /** Rows the gate did test. */
  readonly tested: number;
  /** The lines to print: what the gate did, in every case. */
  readonly lines: readonly string[];
}

export interface GateOptions {
  /** The limit, percent: a change for the worse counts when its whole interval is beyond it. */
  readonly percent: number;
  /** Exit 0 when the gate could not test everything, the lines still printed. */
  readonly acceptUntested: boolean;
  /** Said when there was nothing to gate at all (no earlier result, say). */
  readonly nothingCompared?: string;
}

/** The option every gating command takes beside --fail-on-regression, and its help text. */
export const ACCEPT_UNTESTED_FLAG = '--accept-untested';
export const ACCEPT_UNTESTED_HELP =
  'with --fail-on-regression: exit 0 when the gate cannot test a row (too few trials, nothing to compare with, sides that ran different things) instead of exit code 4; "gate not applied" is printed either way';

const signed = (percent: number) => `${percent >= 0 ? '+' : ''}${percent.toFixed(2)}%`;

/** "join 10 rows (wall time per batch, prepared) +49.53% [+47.09%, +52.44%]" */
function describeRow(r: ComparisonRow): string {
  const section = r.section.replace(/ \(.*$/, '');
  const bound = (x: number | undefined) => signed(((x ?? 1) - 1) * 100);
  return `${r.label} (${section}) ${signed(r.deltaPercent ?? 0)} [${bound(r.interval?.lower)}, ${bound(r.interval?.upper)}]`;
}

/** One comparison's rows that too few trials left untested, in words, or null. */
function tooFewTrials(c: Comparison): string | null {
  const rows = c.rows.filter((r) => r.trialsNeeded !== null);
  const first = rows[0];
  if (first === undefined) return null;
  const needed = Math.max(...rows.map((r) => r.trialsNeeded ?? 0));
  const trials =
    c.base.trials === c.head.trials ? `${c.base.trials}` : `${c.base.trials} and ${c.head.trials}`;
  return `${c.kind} ${c.name}: ${rows.length} of ${c.rows.length} rows untested, ${trials} trial${c.base.trials === 1 && c.head.trials === 1 ? '' : 's'} per side where a test needs ${needed} per side (run the commits again for more trials, or harness ab)`;
}

/**
 * Judges comparisons against the gate: regressions beyond the limit, and everything the
 * gate was asked to cover and could not test. A gate that tested nothing is said to be not
 * applied, never passed.
 */
export function judgeGate(comparisons: readonly Comparison[], options: GateOptions): GateOutcome {
  const regressions = comparisons.flatMap((c) =>
    regressionsBeyond(c, options.percent).map((r) => `${c.kind} ${c.name}: ${describeRow(r)}`),
  );
  const nothing =
    options.nothingCompared ?? (comparisons.length === 0 ? 'nothing was compared' : undefined);
  const notApplied = [
    ...(nothing === undefined ? [] : [nothing]),
    ...comparisons.flatMap((c) =>
      c.sidesDiffer === null
        ? []
        : [`${c.kind} ${c.name}: the sides ran different things (${c.sidesDiffer})`],
    ),
    ...comparisons.flatMap((c) => {
      const few = c.sidesDiffer === null ? tooFewTrials(c) : null;
      return few === null ? [] : [few];
    }),
  ];
  const tested = comparisons
    .filter((c) => c.sidesDiffer === null)
    .reduce(
      (n, c) => n + c.rows.filter((r) => r.interval !== null && r.trialsNeeded === null).length,
      0,
    );
  // Rows that more trials would not make testable (a value of 0 on one side, a figure only
  // one side has) leave a gate that tested nothing: that is never a pass.
  if (tested === 0 && regressions.length === 0 && notApplied.length === 0)
    notApplied.push('no row could be tested (each lacks a ratio or a figure on one side)');
  const limit = `--fail-on-regression ${options.percent}%`;
  const lines: string[] = [];
  if (regressions.length > 0)
    lines.push(
      `gate (${limit}): ${regressions.length} regression${regressions.length === 1 ? '' : 's'} with the whole interval beyond ${options.percent}%: ${regressions.join(', ')}`,
    );
  else if (tested > 0)
    lines.push(
      `gate (${limit}): no change for the worse beyond ${options.percent}% in the ${tested} row${tested === 1 ? '' : 's'} it tested`,
    );
  for (const reason of notApplied)
    lines.push(
      `gate not applied: ${reason}${options.acceptUntested ? ` (accepted with ${ACCEPT_UNTESTED_FLAG})` : ''}`,
    );
  return { regressions, notApplied, tested, lines };
}

/**
 * Prints what the gate did and throws for its exit code: RegressionError (3) for a
 * regression, GateNotAppliedError (4) when something went untested and that was not
 * accepted.
 */
export function applyGate(
  comparisons: readonly Comparison[],
  options: GateOptions,
  write: (text: string) => void,
): void {
  const outcome = judgeGate(comparisons, options);
  write(`\n${outcome.lines.join('\n')}\n`);
  enforceGate(outcome, options);
}

/** Throws for the gate's exit code, for a command that printed its lines earlier. */
export function enforceGate(outcome: GateOutcome, options: GateOptions): void {
  if (outcome.regressions.length > 0)
    throw new RegressionError(
      `${outcome.regressions.length} regression${outcome.regressions.length === 1 ? '' : 's'} with the whole interval beyond ${options.percent}%: ${outcome.regressions.join(', ')}`,
    );
  if (outcome.notApplied.length > 0 && !options.acceptUntested)
    throw new GateNotAppliedError(
      `gate not applied: ${outcome.notApplied.join('; ')}. A regression there would pass unseen; give ${ACCEPT_UNTESTED_FLAG} to accept that`,
    );
}
