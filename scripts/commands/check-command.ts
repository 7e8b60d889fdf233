import { Command } from 'commander';
import type { Comparison } from '../../results/compare/compare-results.ts';
import { formatComparison } from '../../results/compare/compare-format.ts';
import { readGitInfo } from '../../results/git-info.ts';
import { indexResults, resolveResult, type IndexedResult } from '../../results/run-index.ts';
import { resolve } from 'node:path';
import { compactUtc } from '../../results/run-store.ts';
import { writeReport } from '../../results/report/write-report.ts';
import { machineFigure } from '../../results/run-latency.ts';
import { runHarnessStep } from '../lib/harness-step.ts';
import { parseDuration } from '../../simulator/duration.ts';
import { EXIT, ThresholdsFailedError, UsageError } from '../../lib/errors.ts';
import { addDatabaseOptions, databaseArgs, type DatabaseOptions } from './common-options.ts';
import { checkGateFlags, compareSides, GATE_EXIT_CODES, gateOptions } from './compare-command.ts';
import {
  ACCEPT_UNTESTED_FLAG,
  ACCEPT_UNTESTED_HELP,
  enforceGate,
  judgeGate,
} from '../../results/compare/regression-gate.ts';
import { sameRun } from '../../results/result-identity.ts';
import { percent } from '../lib/option-parsers.ts';
import type { ResultFile } from '../../results/schema/result-schema.ts';

/** The production scenario is 10 minutes; the check runs its first minute unless --full. */
const SHORT_DURATION = '1m';

interface CheckOptions extends DatabaseOptions {
  full: boolean;
  duration?: string;
  scenario: string;
  sweep: boolean;
  failOnRegression?: number;
  acceptUntested: boolean;
}

/**
 * This check's result against the previous checks', as trials: base is every saved result
 * of the same kind and name, that ran the same thing (results/result-identity.ts), from the
 * newest commit that ran before this one (this commit's earlier runs when the check is run
 * again on it), head every such result of this commit (this one and any earlier check of
 * it). With no earlier result of the same setup, the newest earlier one is the base and the
 * comparison says how the sides differ. Null, with a note, when nothing earlier is saved.
 */
async function compareWithPrevious(
  head: IndexedResult,
  notes: string[],
): Promise<Comparison | null> {
  const same = (r: IndexedResult) =>
    r.result.kind === head.result.kind && r.result.name === head.result.name;
  const commitOf = (r: IndexedResult) =>
    `${r.result.git.commit}${r.result.git.dirty ? '-dirty' : ''}`;
  const saved = indexResults().results.filter(
    (r) => same(r) && resolve(r.path) !== resolve(head.path),
  );
  const alike = saved.filter((r) => sameRun(r.result, head.result));
  const previous = (alike.length > 0 ? alike : saved).at(-1);
  if (previous === undefined) {
    notes.push(
      `${head.result.kind} ${head.result.name}: no earlier run saved on this machine, nothing to compare with yet (the next check will compare with this one)`,
    );
    return null;
  }
  const baseCommit = commitOf(previous);
  const headCommit = commitOf(head);
  const ofBaseCommit = saved.filter((r) => commitOf(r) === baseCommit);
  const base = ofBaseCommit.filter((r) => sameRun(r.result, previous.result));
  const heads =
    baseCommit === headCommit ? [head] : [...alike.filter((r) => commitOf(r) === headCommit), head];
  if (alike.length === 0)
    notes.push(
      `${head.result.kind} ${head.result.name}: no earlier run of the same setup is saved, so it is compared with the newest earlier one, which ran something else (the comparison says what)`,
    );
  const leftOut = ofBaseCommit.length - base.length;
  if (leftOut > 0)
    notes.push(
      `${head.result.kind} ${head.result.name}: ${leftOut} result${leftOut === 1 ? '' : 's'} of ${baseCommit.slice(0, 7)} left out of the base: ${leftOut === 1 ? 'it ran' : 'they ran'} something else than the results compared`,
    );
  notes.push(
    base.length === 1 && heads.length === 1
      ? `${head.result.kind} ${head.result.name}: a single earlier run (${baseCommit.slice(0, 7)}) is all there is to compare with, so the changes below are shown, not tested; run the check again, or \`harness ab\`, for trials`
      : `${head.result.kind} ${head.result.name}: compared as trials, ${base.length} earlier result${base.length === 1 ? '' : 's'} of ${baseCommit.slice(0, 7)} against ${heads.length} of ${headCommit.slice(0, 7)}`,
  );
  return compareSides(base, heads);
}

/**
 * `harness check`: the release check. A quick sweep, the production scenario (its first
 * minute, or all of it with --full) with the revisit verdict, a comparison of both with the
 * previous check's results, and one report.
 */
export function checkCommand(): Command {
  const command = new Command('check')
    .description(
      'the release check: quick sweep, production scenario with the revisit verdict, comparison with the previous check, report',
    )
    .option('--full', 'run the production scenario for its full 10 minutes', false)
    .option(
      '--duration <duration>',
      `how long to run the scenario (default ${SHORT_DURATION}; --full: the scenario's own)`,
    )
    .option('--scenario <name>', 'the scenario to run', 'production')
    .option(
      '--no-sweep',
      'skip the quick sweep (the verdict then cannot judge per-row degradation)',
    )
    .option(
      '--fail-on-regression <pct>',
      'exit with code 3 when a significant change for the worse beyond pct percent appears against the previous check; code 4 (gate not applied) when a row cannot be tested (one earlier run, none at all)',
      percent('--fail-on-regression'),
    )
    .option(ACCEPT_UNTESTED_FLAG, ACCEPT_UNTESTED_HELP, false)
    .addHelpText(
      'after',
      `\nExit codes: 0 done; 99 the scenario's thresholds failed; 2 bad input.${GATE_EXIT_CODES}`,
    );
  addDatabaseOptions(command);
  return command.action(async (options: CheckOptions) => {
    checkGateFlags(options);
    if (options.full && options.duration !== undefined)
      throw new UsageError('--full and --duration contradict each other: give one');
    if (options.duration !== undefined) parseDuration(options.duration, '--duration');
    const db = databaseArgs(options);
    const started = performance.now();
    const step = (n: number, text: string) =>
      process.stdout.write(`\n== release check ${n}/4: ${text}\n\n`);
    const produced: string[] = [];

    if (options.sweep) {
      step(1, 'quick sweep of every SQL variant');
      const sweep = await runHarnessStep(['sweep', '--quick', ...db]);
      if (sweep.code !== 0) throw stepFailure('the sweep', sweep.code);
      produced.push(...sweep.results);
    } else step(1, 'sweep skipped (--no-sweep)');

    step(
      2,
      `scenario ${options.scenario}${options.full ? ' (full length)' : `, first ${options.duration ?? SHORT_DURATION}`}`,
    );
    const run = await runHarnessStep([
      'run',
      options.scenario,
      ...(options.full ? [] : ['--duration', options.duration ?? SHORT_DURATION]),
      ...db,
    ]);
    if (run.code !== 0 && run.code !== EXIT.thresholds) throw stepFailure('the scenario', run.code);
    produced.push(...run.results);

    step(3, 'comparison with the previous check');
    const results = produced.map((p) => resolveResult(p));
    const notes: string[] = [];
    const comparisons: Comparison[] = [];
    const uncompared: string[] = [];
    for (const r of results) {
      const c = await compareWithPrevious(r, notes);
      if (c !== null) comparisons.push(c);
      else uncompared.push(`${r.result.kind} ${r.result.name}`);
    }
    for (const c of comparisons) process.stdout.write(`${formatComparison(c)}\n`);
    for (const n of notes) process.stdout.write(`${n}\n`);

    // Said before the closing lines, which end with the results' paths.
    const gating = gateOptions(
      options,
      uncompared.length === 0
        ? undefined
        : `${uncompared.join(', ')}: no earlier result saved on this machine to compare with`,
    );
    const gateOutcome = gating === undefined ? undefined : judgeGate(comparisons, gating);
    if (gateOutcome !== undefined) process.stdout.write(`${gateOutcome.lines.join('\n')}\n`);

    step(4, 'report');
    const git = readGitInfo();
    const written = await writeReport(
      {
        title: `Release check of ${git.commit.slice(0, 7)}${git.dirty ? ' (dirty)' : ''}`,
        results,
        comparisons,
        comparisonNotes: notes,
      },
      `${compactUtc(new Date())}_${git.commit === 'unknown' ? 'nogit' : git.commit.slice(0, 7)}${git.dirty ? '-dirty' : ''}_check`,
    );
    const runResult = results.find((r) => r.result.kind === 'run')?.result;
    const verdict = runResult?.verdict?.result ?? '-';
    const machine = runResult?.kind === 'run' ? runResult.metrics.machine : undefined;
    process.stdout.write(
      `release check finished in ${((performance.now() - started) / 1000).toFixed(0)} s: verdict ${verdict}${run.code === EXIT.thresholds ? runFailure(runResult) : ''}${runResult?.kind === 'run' && runResult.metrics.steadyScenario !== undefined ? ` (judged on its ${runResult.metrics.steadyScenario} part)` : ''}\n` +
        (machine === undefined
          ? ''
          : `machine while the scenario measured: ${machineFigure(machine) ?? ''}${machine.warning === null ? '' : ` (${machine.warning})`}\n`) +
        `markdown: ${written.markdown}\njunit: ${written.junit}\nreport: ${written.html}\n` +
        produced.map((p) => `results: ${p}\n`).join(''),
    );
    // A failed run (wrong results, thresholds) outranks the gate: CI must see 99 for it even
    // on a runner with nothing earlier to compare with, where the gate cannot test.
    if (run.code === EXIT.thresholds)
      throw new ThresholdsFailedError(
        `the ${options.scenario} scenario failed:${runFailure(runResult)} (see above)`,
      );
    if (gateOutcome !== undefined && gating !== undefined) enforceGate(gateOutcome, gating);
  });
}

/** What made a run exit 99: wrong results (the audit), failed thresholds, or both. */
function runFailure(result: ResultFile | undefined): string {
  if (result?.kind !== 'run') return ', thresholds FAILED';
  const parts = [
    ...(result.verdict.result === 'WRONG RESULTS' ? [' WRONG RESULTS (the audit failed)'] : []),
    ...(result.thresholds.some((t) => !t.ok) ? [' thresholds FAILED'] : []),
  ];
  return parts.length === 0 ? ', thresholds FAILED' : `,${parts.join(',')}`;
}

/** A step's exit 2 is the user's input (its message is above): the check exits 2 as well. */
function stepFailure(step: string, code: number | null): Error {
  return code === 2
    ? new UsageError(`${step} refused its input (exit code 2, message above); the check stops here`)
    : new Error(`${step} failed (exit code ${String(code)}); the check stops here`);
}
