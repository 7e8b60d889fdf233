import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { isPairedTrial, PAIRED_NAME, twinRatios } from '../../results/compare/paired-comparison.ts';
import { metricKey } from '../../results/compare/trial-metrics.ts';
import {
  describeSpread,
  FEWEST_SESSIONS,
  machineSpread,
  shownSpread,
  type MachineSpread,
} from '../../results/compare/session-effects.ts';
import {
  calibrate,
  calibratePaired,
  MIN_PAIRED_TRIALS,
  saveCalibration,
  TARGET_CHANGE_PERCENT,
  TARGET_FALSE_POSITIVE_PERCENT,
  thisMachine,
  type CalibrationFile,
} from '../../results/compare/calibration.ts';
import { describeGroups, groupByIdentity } from '../../results/result-identity.ts';
import { displayPath, resolveTrials, type IndexedResult } from '../../results/run-index.ts';
import { compactUtc, RESULTS_DIR } from '../../results/run-store.ts';
import type { Logger } from '../../lib/logger.ts';
import { createTable } from '../../lib/table.ts';
import { UsageError } from '../../lib/errors.ts';
import { checkoutSide, WORKING_TREE } from '../ab/side-checkout.ts';
import { runTrials } from '../ab/run-trials.ts';
import { trialOrder } from '../ab/trial-plan.ts';
import { pairedSide, runPairedTrials, writePairedVariants } from '../ab/paired-sweep.ts';
import {
  addTrialOptions,
  trialWork,
  withTrialDatabase,
  type TrialFlags,
} from '../ab/trial-options.ts';

/** A/A trials per side by default: levels from 4 (the least with a 95 % interval) to 8. */
const DEFAULT_CALIBRATION_TRIALS = 8;

interface CalibrateFlags extends TrialFlags {
  ref: string;
  from?: string[];
  paired?: boolean;
}

/** Paired A/A sweeps by default: enough for sets of 6 to 9 trials to be drawn many ways. */
const DEFAULT_PAIRED_CALIBRATION_TRIALS = 18;

/** What the paired sessions saved on this machine say about how a change moves between sessions. */
function spreadLine(spread: MachineSpread | undefined): string {
  return spread === undefined
    ? `between sessions: fewer than ${FEWEST_SESSIONS} paired sessions saved, not measured yet; until then a paired comparison's interval holds for its own session only (each ab session of SQL files and each paired calibration adds one)`
    : `between sessions: a change moves ${describeSpread(spread)}; ab and compare --paired widen their intervals by it`;
}

/** Each row's twin ratio in every paired trial, for their calibration. */
function pairedRows(results: readonly IndexedResult[]): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const r of results)
    for (const t of twinRatios(r.result))
      rows.set(metricKey(t), [...(rows.get(metricKey(t)) ?? []), t.ratio]);
  return rows;
}

const pct = (v: number) => `${v.toFixed(1)} %`;

/** The levels as a table: what each trial count gives on this machine. */
function levelsTable(file: CalibrationFile): string {
  const table = createTable([
    file.name === PAIRED_NAME ? 'Paired trials' : 'Trials per side',
    'A/A rows called',
    'A/A intervals without 1',
    'Median noise floor',
    'Median smallest change seen',
    `Rows seeing ${TARGET_CHANGE_PERCENT} %`,
  ]);
  for (const l of file.levels)
    table.push([
      String(l.trials),
      pct(l.calledPercent),
      pct(l.falsePositivePercent),
      pct(l.medianFloorPercent),
      pct(l.medianDetectsPercent),
      pct(l.detectsAllPercent),
    ]);
  return table.toString();
}

export function calibrateCommand(logger: () => Logger): Command {
  const command = new Command('calibrate')
    .description(
      "measure this machine's noise: A/A trials of one commit, interleaved, then per metric the noise floor, how often a test at each trial count calls identical code changed, and the smallest change it sees; ab and compare use the latest calibration",
    )
    .option(
      '--ref <ref>',
      `the commit to run against itself (${WORKING_TREE}: the working tree)`,
      WORKING_TREE,
    )
    .option(
      '--paired',
      `calibrate ab's paired sweeps (a change to SQL files only): A/A sweeps holding the ref's variant files twice (default ${DEFAULT_PAIRED_CALIBRATION_TRIALS} trials)`,
    )
    .option(
      '--from <refs...>',
      'calibrate from results already saved (files, folders such as an A/A ab session, git refs) instead of running trials',
    );
  addTrialOptions(command, `A/A trials per side (default ${DEFAULT_CALIBRATION_TRIALS})`);
  return command.action(async (flags: CalibrateFlags) => {
    const log = logger();
    let results: IndexedResult[];
    let commit: string;
    if (flags.from !== undefined) {
      if (flags.sweep !== undefined || flags.scenario !== undefined || flags.trials !== undefined)
        throw new UsageError(
          '--from calibrates from saved results: --sweep, --scenario and --trials do not apply',
        );
      results = flags.from.flatMap((r) => resolveTrials(r));
      const first = results[0];
      if (first === undefined) throw new UsageError('--from named no results');
      if (
        results.some(
          (r) => r.result.kind !== first.result.kind || r.result.name !== first.result.name,
        )
      )
        throw new UsageError(
          `--from: every result must be of one kind and name (the first is ${first.result.kind} ${first.result.name})`,
        );
      const runs = groupByIdentity(results);
      if (runs.length > 1)
        throw new UsageError(
          `--from: the results ran different things and cannot be A/A trials of one: ${describeGroups(runs)}`,
        );
      commit = first.result.git.commit;
    } else if (flags.paired === true) {
      if (flags.scenario !== undefined || flags.sweep === 'full')
        throw new UsageError(
          '--paired calibrates quick sweeps: --scenario and --sweep full do not apply',
        );
      const trials = flags.trials ?? DEFAULT_PAIRED_CALIBRATION_TRIALS;
      if (trials < 2 * MIN_PAIRED_TRIALS)
        throw new UsageError(
          `--trials: a paired calibration needs at least ${2 * MIN_PAIRED_TRIALS} trials`,
        );
      const side = await pairedSide(flags.ref);
      const sessionDir = join(
        RESULTS_DIR,
        'calibration',
        'trials',
        `${compactUtc(new Date())}_${side.commit.slice(0, 7)}_paired`,
      );
      const variantsDir = join(sessionDir, 'variants');
      await writePairedVariants(side, side, variantsDir);
      log.info(
        `${trials} paired A/A sweeps of ${side.ref} (${side.commit.slice(0, 7)}), session ${displayPath(sessionDir)}`,
      );
      results = (
        await withTrialDatabase(flags, log, (databaseUrl) =>
          runPairedTrials({
            trials,
            variantsDir,
            sessionDir,
            databaseUrl,
            log,
          }),
        )
      ).value;
      commit = side.commit;
    } else {
      const work = trialWork(flags);
      const perSide = flags.trials ?? DEFAULT_CALIBRATION_TRIALS;
      if (perSide < 4)
        throw new UsageError(
          '--trials: a calibration needs at least 4 per side (the fewest with a 95 % interval)',
        );
      const side = await checkoutSide(flags.ref, log);
      const seed = flags.seed ?? randomInt(1, 2 ** 31 - 1);
      const sessionDir = join(
        RESULTS_DIR,
        'calibration',
        'trials',
        `${compactUtc(new Date())}_${side.commit.slice(0, 7)}`,
      );
      await mkdir(sessionDir, { recursive: true });
      log.info(
        `${perSide} A/A trials per side of ${side.ref} (${side.commit.slice(0, 7)}), session ${displayPath(sessionDir)}`,
      );
      const { value: outcome } = await withTrialDatabase(flags, log, (databaseUrl) =>
        runTrials({
          sides: { base: side, head: side },
          order: trialOrder(perSide, seed),
          work,
          sessionDir,
          databaseUrl,
          log,
        }),
      );
      // In the order they ran: the resampling draws from all of them alike.
      results = [...outcome.base, ...outcome.head].sort((a, b) =>
        a.result.createdAt.localeCompare(b.result.createdAt),
      );
      commit = side.commit;
    }
    const sample = results[0] as IndexedResult;
    const paired = results.every((r) => isPairedTrial(r.result));
    if (paired && results.length < 2 * MIN_PAIRED_TRIALS)
      throw new UsageError(
        `a calibration of paired trials needs at least ${2 * MIN_PAIRED_TRIALS} (A/A paired sessions of ab HEAD HEAD); ${results.length} given`,
      );
    if (!paired && results.length < 8)
      throw new UsageError(
        `a calibration needs at least 8 results (4 per side); ${results.length} given`,
      );
    const { levels, recommendedTrials } = paired
      ? calibratePaired(pairedRows(results))
      : calibrate(results.map((r) => r.result));
    const file: CalibrationFile = {
      schemaVersion: 1,
      createdAt: new Date().toISOString(),
      machine: thisMachine(),
      commit,
      kind: sample.result.kind,
      name: paired ? PAIRED_NAME : sample.result.name,
      trialsRun: results.length,
      levels,
      recommendedTrials,
    };
    const path = await saveCalibration(file);
    process.stdout.write(
      `\ncalibration of ${file.machine.hostname} (${file.machine.cores} cores, ${file.machine.cpuModel}) for ${file.kind} ${file.name}, from ${results.length} A/A results\n${levelsTable(file)}\n` +
        (recommendedTrials === null
          ? `no trial count measured meets both targets (at most ${TARGET_FALSE_POSITIVE_PERCENT} % of A/A rows called, ${TARGET_CHANGE_PERCENT} % seen in 90 % of rows): calibrate with more --trials\n`
          : `recommended: ${recommendedTrials} ${paired ? 'paired trials' : 'trials per side'}, the fewest with at most ${TARGET_FALSE_POSITIVE_PERCENT} % of A/A rows called and a ${TARGET_CHANGE_PERCENT} % change seen in 90 % of rows; harness ab uses it by default\n`) +
        `calibration: ${displayPath(path)}\n` +
        (paired ? `${spreadLine(shownSpread(machineSpread([])))}\n` : ''),
    );
  });
}
