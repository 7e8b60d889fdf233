import { cpus, hostname, totalmem } from 'node:os';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RESULTS_DIR } from '../run-store.ts';
import { sameKind } from '../machine-kind.ts';
import { quantile } from '../stats/descriptive.ts';
import { ratioInterval } from '../stats/shift-interval.ts';
import { pairedRatioInterval } from '../stats/signed-rank-interval.ts';
import type { ResultFile } from '../schema/result-schema.ts';
import { UsageError } from '../../lib/errors.ts';
import { metricKey, trialMetrics } from './trial-metrics.ts';
import { createRandom } from '../../sut/db/random.ts';

/**
 * What an A/A run (one commit against itself, trials interleaved) says about this machine:
 * per metric, how far apart the estimates of two sets of n trials of the same code land
 * (the noise floor), how often a test at n trials would call such sets different (the false
 * positives), and the smallest change n trials detect. `harness ab` and `harness compare` hold a change to
 * the floor of the latest calibration of the same machine, for the same kind of results.
 */

const CALIBRATION_DIR = join(RESULTS_DIR, 'calibration');

/** Past this many false positives among rows, or this share of rows unable to see the planted change, a trial count is not enough. */
export const TARGET_FALSE_POSITIVE_PERCENT = 5;
/** The change every calibration is judged by: the planted slowdown of the issue's test. */
export const TARGET_CHANGE_PERCENT = 15;

const machineSchema = z.strictObject({
  hostname: z.string(),
  cpuModel: z.string(),
  cores: z.number().int().positive(),
  memoryGiB: z.number().positive(),
});
export type MachineIdentity = z.infer<typeof machineSchema>;

const levelSchema = z.strictObject({
  trials: z.number().int().positive().describe('Trials per side'),
  falsePositivePercent: z
    .number()
    .describe('Rows x resampled A/A splits whose interval excluded no change (no floor)'),
  calledPercent: z
    .number()
    .describe(
      'Rows x resampled A/A splits called changed: interval without 1, estimate beyond the floor',
    ),
  detectsAllPercent: z
    .number()
    .describe('Share of the rows that see a change of the target size in 90 % of splits'),
  medianFloorPercent: z.number(),
  medianDetectsPercent: z.number(),
  floors: z.record(z.string(), z.number()).describe('Per metric row: its noise floor in percent'),
  detects: z
    .record(z.string(), z.number())
    .describe('Per metric row: the smallest change (percent) seen in 90 % of A/A splits'),
});

export const calibrationSchema = z.strictObject({
  schemaVersion: z.literal(1),
  createdAt: z.string(),
  machine: machineSchema,
  commit: z.string(),
  kind: z.enum(['sweep', 'run', 'bench', 'simulate']),
  name: z.string(),
  trialsRun: z.number().int().positive(),
  levels: z.array(levelSchema),
  recommendedTrials: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe('The fewest trials per side that meet both targets; null when none measured does'),
});
export type CalibrationFile = z.infer<typeof calibrationSchema>;

/** The floors a comparison holds changes to: one trial count's, from one calibration. */
export interface Calibration {
  readonly source: string;
  readonly trials: number;
  readonly floors: Readonly<Record<string, number>>;
}

export function thisMachine(): MachineIdentity {
  const cpu = cpus();
  return {
    hostname: hostname(),
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/**
 * The rule `compare` calls a change by: the interval excludes no change and the estimate lies
 * beyond the floor (a fraction), so identical code is called changed at most as often as the
 * interval errs, and a change smaller than the machine's A/A spread is never called.
 */
export function isCalled(
  interval: { lower: number; upper: number; ratio: number },
  floor: number,
): boolean {
  return (
    (interval.lower > 1 && interval.ratio > 1 + floor) ||
    (interval.upper < 1 && interval.ratio < 1 / (1 + floor))
  );
}

/**
 * Calibrations are of a machine kind, not a host: an ephemeral CI runner is a new host every
 * time, and runners of one kind share their calibrations through the results store.
 */
const sameMachine = (a: MachineIdentity, b: MachineIdentity) => sameKind(a, b);

/**
 * The calibration levels from an A/A run's results (in the order they ran): for each trial
 * count from 4 per side (the fewest that give a 95 % interval) to half the results, many
 * random splits into two sets, each compared as `compare` would.
 */
export function calibrate(
  results: readonly ResultFile[],
  options: { resamples?: number; seed?: number } = {},
): { levels: CalibrationFile['levels']; recommendedTrials: number | null } {
  const resamples = options.resamples ?? 400;
  const random = createRandom(options.seed ?? 7);
  const byKey = new Map<string, { directed: boolean; values: number[] }>();
  for (const r of results)
    for (const m of trialMetrics(r)) {
      const entry = byKey.get(metricKey(m)) ?? { directed: m.direction !== 'none', values: [] };
      entry.values.push(m.value);
      byKey.set(metricKey(m), entry);
    }
  const rows = [...byKey].filter(
    ([, e]) => e.values.length === results.length && e.values.every((v) => v > 0),
  );
  return calibrationLevels(
    rows.map(([key, e]) => ({ key, values: e.values, directed: e.directed })),
    { from: 4, to: Math.floor(results.length / 2), resamples },
    random,
    (pool, n) => ratioInterval(pool.slice(0, n), pool.slice(n, 2 * n)),
  );
}

/**
 * The levels of a calibration: for each trial count n in range, each row's values drawn
 * (shuffled) `resamples` times and tested by `test` as a comparison of n trials would be;
 * the floor, the share called, the smallest change seen, and the fewest n meeting both
 * targets.
 */
function calibrationLevels(
  rows: readonly { key: string; values: readonly number[]; directed: boolean }[],
  range: { from: number; to: number; resamples: number },
  random: () => number,
  test: (
    shuffled: readonly number[],
    n: number,
  ) => { lower: number; upper: number; ratio: number } | undefined,
): { levels: CalibrationFile['levels']; recommendedTrials: number | null } {
  const levels: CalibrationFile['levels'] = [];
  for (let n = range.from; n <= range.to; n++) {
    const floors: Record<string, number> = {};
    const detects: Record<string, number> = {};
    let excluded = 0;
    let called = 0;
    let tested = 0;
    for (const { key, values } of rows) {
      const shifts: number[] = [];
      const intervals: { lower: number; upper: number; ratio: number }[] = [];
      for (let s = 0; s < range.resamples; s++) {
        const pool = [...values];
        for (let i = pool.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
        }
        const interval = test(pool, n);
        if (interval === undefined) continue;
        intervals.push(interval);
        shifts.push(Math.abs(Math.log(interval.ratio)));
        if (interval.lower > 1 || interval.upper < 1) excluded++;
        tested++;
      }
      // The floor: how far apart the estimates of two sets of n trials of the same code land
      // (95 % of A/A splits stay within it).
      const floor = Math.exp(quantile(shifts, 0.95)) - 1;
      floors[key] = floor * 100;
      // A change of c multiplies every head value by 1 + c, so the interval and the estimate
      // by 1 + c: it is called once the interval clears 1 and the estimate clears the floor.
      detects[key] = quantile(
        intervals.map((i) => (Math.max(1 / i.lower, (1 + floor) / i.ratio) - 1) * 100),
        0.9,
      );
      called += intervals.filter((i) => isCalled(i, floor)).length;
    }
    const directed = rows.filter((r) => r.directed).map((r) => r.key);
    const detectsValues = directed.map((k) => detects[k] as number);
    levels.push({
      trials: n,
      falsePositivePercent: tested === 0 ? 0 : (excluded / tested) * 100,
      calledPercent: tested === 0 ? 0 : (called / tested) * 100,
      detectsAllPercent:
        directed.length === 0
          ? 0
          : (detectsValues.filter((d) => d <= TARGET_CHANGE_PERCENT).length / directed.length) *
            100,
      medianFloorPercent: quantile(Object.values(floors), 0.5),
      medianDetectsPercent: quantile(detectsValues, 0.5),
      floors,
      detects,
    });
  }
  const enough = levels.find(
    (l) => l.calledPercent <= TARGET_FALSE_POSITIVE_PERCENT && l.detectsAllPercent >= 90,
  );
  return { levels, recommendedTrials: enough?.trials ?? null };
}

/** Paired trials per session at the least: the fewest whose signed-rank interval reaches 95 %. */
export const MIN_PAIRED_TRIALS = 6;

/**
 * The calibration levels of paired A/A trials (both sides' identical SQL in the same
 * sweeps): per row, the trials' twin ratios; for each trial count n from 6 to half of
 * them, many random draws of n, each tested as a paired comparison is.
 */
export function calibratePaired(
  rows: ReadonlyMap<string, readonly number[]>,
  options: { resamples?: number; seed?: number } = {},
): { levels: CalibrationFile['levels']; recommendedTrials: number | null } {
  const resamples = options.resamples ?? 400;
  const random = createRandom(options.seed ?? 7);
  const usable = [...rows].filter(([, v]) => v.every((r) => r > 0));
  const fewest = Math.min(...usable.map(([, v]) => v.length));
  return calibrationLevels(
    usable.map(([key, values]) => ({ key, values, directed: true })),
    { from: MIN_PAIRED_TRIALS, to: Math.floor(fewest / 2), resamples },
    random,
    (pool, n) => pairedRatioInterval(pool.slice(0, n)),
  );
}

export async function saveCalibration(file: CalibrationFile): Promise<string> {
  await mkdir(CALIBRATION_DIR, { recursive: true });
  const path = join(
    CALIBRATION_DIR,
    `${file.createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}_${file.kind}-${file.name}.json`,
  );
  await writeFile(path, `${JSON.stringify(calibrationSchema.parse(file), null, 2)}\n`);
  return path;
}

/** Every calibration file saved, newest first; files that do not parse are named, not skipped silently. */
async function savedCalibrations(): Promise<{ path: string; file: CalibrationFile }[]> {
  let names: string[];
  try {
    names = await readdir(CALIBRATION_DIR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: { path: string; file: CalibrationFile }[] = [];
  for (const name of names
    .filter((n) => n.endsWith('.json'))
    .sort()
    .reverse()) {
    const path = join(CALIBRATION_DIR, name);
    const parsed = calibrationSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success)
      throw new UsageError(
        `calibration ${path} is not one this harness reads: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; remove it or run harness calibrate again`,
      );
    out.push({ path, file: parsed.data });
  }
  return out;
}

/**
 * The newest calibration of this machine for results of this kind and name, at `trials` per
 * side (the nearest level measured at or below it); undefined when there is none.
 */
export async function latestCalibration(
  kind: string,
  name: string,
  trials: number,
): Promise<(Calibration & { file: CalibrationFile }) | undefined> {
  const machine = thisMachine();
  const found = (await savedCalibrations()).find(
    (c) => c.file.kind === kind && c.file.name === name && sameMachine(c.file.machine, machine),
  );
  if (found === undefined) return undefined;
  const level =
    [...found.file.levels].reverse().find((l) => l.trials <= trials) ?? found.file.levels[0];
  if (level === undefined) return undefined;
  return { source: found.path, trials: level.trials, floors: level.floors, file: found.file };
}
