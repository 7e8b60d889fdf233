import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import {
  compareTrials,
  requireOneRun,
  type Comparison,
} from '../../results/compare/compare-results.ts';
import {
  ACCEPT_UNTESTED_FLAG,
  ACCEPT_UNTESTED_HELP,
  applyGate,
  type GateOptions,
} from '../../results/compare/regression-gate.ts';
import { latestCalibration } from '../../results/compare/calibration.ts';
import { machineSpread, shownSpread } from '../../results/compare/session-effects.ts';
import {
  comparePairedTrials,
  isPairedTrial,
  PAIRED_NAME,
} from '../../results/compare/paired-comparison.ts';
import { formatComparison } from '../../results/compare/compare-format.ts';
import { displayPath, resolveTrials, type IndexedResult } from '../../results/run-index.ts';
import { saveResult } from '../../results/run-store.ts';
import { resultIdentity } from '../../results/result-identity.ts';
import { UsageError } from '../../lib/errors.ts';
import { percent } from '../lib/option-parsers.ts';

/**
 * Resolves both sides' trials so that a keyword or git ref on one side is matched to the
 * other's kind and name: a side given as files first when there is one, else head, whose
 * kind and name then pick base.
 */
export function resolveSides(
  baseRefs: readonly string[],
  headRefs: readonly string[],
  narrow: { readonly name?: string | undefined; readonly variant?: string | undefined } = {},
): { base: IndexedResult[]; head: IndexedResult[] } {
  const concrete = (refs: readonly string[]) => refs.every((r) => existsSync(r));
  const baseFirst = concrete(baseRefs) && !concrete(headRefs);
  const [firstRefs, secondRefs] = baseFirst ? [baseRefs, headRefs] : [headRefs, baseRefs];
  const first = firstRefs.flatMap((r) =>
    resolveTrials(r, {
      ...(narrow.name === undefined ? {} : { name: narrow.name }),
      ...(narrow.variant === undefined ? {} : { variant: narrow.variant }),
    }),
  );
  // Refused here, before the other side is matched to a run this side only partly holds.
  requireOneRun(baseFirst ? 'base' : 'head', first);
  const sample = first[first.length - 1] as IndexedResult;
  const taken = new Set(first.map((r) => resolve(r.path)));
  // A keyword or ref on the other side takes the same variant too: a cte run is no trial of join.
  const variant = narrow.variant ?? resultIdentity(sample.result).variant ?? undefined;
  const second = secondRefs
    .flatMap((r) =>
      resolveTrials(r, {
        kind: sample.result.kind,
        name: sample.result.name,
        ...(variant === undefined ? {} : { variant }),
        ...(first.length === 1 ? { exclude: sample.path } : {}),
      }),
    )
    .filter((r) => !taken.has(resolve(r.path)));
  if (second.length === 0)
    throw new UsageError(
      `${baseFirst ? 'head' : 'base'} (${secondRefs.join(' ')}): no ${sample.result.kind} "${sample.result.name}"${variant === undefined ? '' : ` of variant ${variant}`} besides the other side's`,
    );
  return baseFirst ? { base: first, head: second } : { base: second, head: first };
}

/** The comparison of two sides' trials, held to this machine's latest calibration for them. */
export async function compareSides(
  base: readonly IndexedResult[],
  head: readonly IndexedResult[],
): Promise<Comparison> {
  const sample = head[head.length - 1] as IndexedResult;
  const calibration = await latestCalibration(
    sample.result.kind,
    sample.result.name,
    Math.min(base.length, head.length),
  );
  const comparison = compareTrials(base, head, calibration === undefined ? {} : { calibration });
  return calibration === undefined
    ? comparison
    : {
        ...comparison,
        notes: [
          ...comparison.notes,
          `noise floors from this machine's calibration ${displayPath(calibration.source)} (${calibration.trials} trials per side, ${calibration.file.createdAt.slice(0, 10)})`,
        ],
      };
}

/**
 * A paired comparison read back from saved paired sweeps, as `ab` made it when they ran:
 * the same trials, held to the newest paired calibration of this machine.
 */
export async function comparePairedRefs(refs: readonly string[]): Promise<Comparison> {
  const trials = refs.flatMap((r) => resolveTrials(r));
  const notPaired = trials.find((t) => !isPairedTrial(t.result));
  if (notPaired !== undefined)
    throw new UsageError(
      `--paired: ${displayPath(notPaired.path)} is not a paired sweep (one holding <name>_base twins, as harness ab writes them)`,
    );
  const head = (trials[trials.length - 1] as IndexedResult).result.git;
  const calibration = await latestCalibration('sweep', PAIRED_NAME, trials.length);
  return comparePairedTrials(
    trials,
    {
      base: { ref: 'the <name>_base files', commit: head.commit },
      head: { ref: "the sweeps' own files", commit: head.commit },
    },
    calibration === undefined
      ? undefined
      : {
          ...calibration,
          source: `this machine kind's paired calibration ${displayPath(calibration.source)}`,
        },
    // The sessions judged are left out: they must not vouch for themselves.
    shownSpread(machineSpread([...new Set(trials.map((t) => dirname(dirname(t.path))))])),
  );
}

/** The exit codes of a gating command, for its --help. */
export const GATE_EXIT_CODES =
  '\nExit codes with --fail-on-regression: 0 the gate tested every row and found no regression; 3 a regression beyond pct; 4 gate not applied (a row had too few trials to test, there was nothing to compare with, or the sides ran different things) unless --accept-untested; 2 bad input.';

export function compareCommand(): Command {
  return new Command('compare')
    .description(
      'compare two sides metric by metric, each side one or several results (trials): base, head, the change with its 95 % interval, and ~ when it holds no change beyond the noise floor',
    )
    .argument(
      '[base]',
      'a results file, a folder of results, a git ref (its saved runs), latest, or baseline',
    )
    .argument('[head]', 'the same forms as [base]')
    .option('--base <refs...>', 'the base side as several trials (files, folders, refs)')
    .option('--head <refs...>', 'the head side as several trials')
    .option('--name <name>', 'which results of a commit to take (sweep-quick, production, ...)')
    .option(
      '--variant <name>',
      'which runs of a commit to take by their SQL variant, when one commit has runs of several (a ref on the other side takes the same variant by default)',
    )
    .option(
      '--fail-on-regression <pct>',
      "exit with code 3 when a change for the worse has its whole interval beyond pct percent (and beyond the machine's noise floor); with a row it cannot test, code 4 (gate not applied)",
      percent('--fail-on-regression'),
    )
    .option(ACCEPT_UNTESTED_FLAG, ACCEPT_UNTESTED_HELP, false)
    .option(
      '--paired <refs...>',
      "paired sweeps instead of two sides (an ab session's paired/ folder, or files): each holds both sides' SQL, the base's as <name>_base",
    )
    .option('--json <path>', 'also write the comparison as JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  harness compare baseline latest\n  harness compare HEAD~1 HEAD --name production --fail-on-regression 10\n  harness compare HEAD~1 HEAD --name production --variant cte\n  harness compare --base a1.json a2.json a3.json a4.json --head b1.json b2.json b3.json b4.json\n  harness compare --paired results/ab/<session>_paired/paired\n${GATE_EXIT_CODES}`,
    )
    .action(
      async (
        baseArg: string | undefined,
        headArg: string | undefined,
        options: {
          base?: string[];
          head?: string[];
          name?: string;
          variant?: string;
          failOnRegression?: number;
          acceptUntested: boolean;
          json?: string;
          paired?: string[];
        },
      ) => {
        checkGateFlags(options);
        if (options.paired !== undefined) {
          if (baseArg !== undefined || options.base !== undefined || options.head !== undefined)
            throw new UsageError(
              '--paired compares the twins inside each paired sweep: give no <base>, <head>, --base or --head',
            );
          const comparison = await comparePairedRefs(options.paired);
          process.stdout.write(formatComparison(comparison));
          if (options.json !== undefined)
            process.stdout.write(`comparison: ${await saveResult(comparison, options.json)}\n`);
          gate([comparison], options);
          return;
        }
        const baseRefs = [...(baseArg === undefined ? [] : [baseArg]), ...(options.base ?? [])];
        const headRefs = [...(headArg === undefined ? [] : [headArg]), ...(options.head ?? [])];
        if (baseRefs.length === 0 || headRefs.length === 0)
          throw new UsageError(
            'compare needs both sides: <base> <head>, or --base <refs...> --head <refs...>',
          );
        const { base, head } = resolveSides(baseRefs, headRefs, options);
        const comparison = await compareSides(base, head);
        process.stdout.write(formatComparison(comparison));
        if (options.json !== undefined) {
          const path = await saveResult(comparison, options.json);
          process.stdout.write(`comparison: ${path}\n`);
        }
        gate([comparison], options);
      },
    );
}

interface GateFlags {
  readonly failOnRegression?: number | undefined;
  readonly acceptUntested: boolean;
}

/** Refuses --accept-untested without the gate it qualifies, before anything runs. */
export function checkGateFlags(options: GateFlags): void {
  if (options.acceptUntested && options.failOnRegression === undefined)
    throw new UsageError(
      `${ACCEPT_UNTESTED_FLAG} qualifies --fail-on-regression <pct>: give both, or neither`,
    );
}

/** Applies --fail-on-regression when given: prints what the gate did, throws for its exit code. */
export function gate(comparisons: readonly Comparison[], options: GateFlags): void {
  const settings = gateOptions(options);
  if (settings === undefined) return;
  applyGate(comparisons, settings, (text) => process.stdout.write(text));
}

/** --fail-on-regression and --accept-untested as the gate takes them; undefined without a gate. */
export function gateOptions(options: GateFlags, nothingCompared?: string): GateOptions | undefined {
  if (options.failOnRegression === undefined) return undefined;
  return {
    percent: options.failOnRegression,
    acceptUntested: options.acceptUntested,
    ...(nothingCompared === undefined ? {} : { nothingCompared }),
  };
}
