import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { latestCalibration } from '../../results/compare/calibration.ts';
import { compareTrials, type Comparison } from '../../results/compare/compare-results.ts';
import {
  comparePairedTrials,
  PAIRED_NAME,
  sessionFloors,
} from '../../results/compare/paired-comparison.ts';
import { describeKind, machineKindKey, thisMachineKind } from '../../results/machine-kind.ts';
import { parseSizes } from '../../scenarios/sweep/sweep-settings.ts';
import { machineSpread, shownSpread } from '../../results/compare/session-effects.ts';
import { formatComparison } from '../../results/compare/compare-format.ts';
import { displayPath, type IndexedResult } from '../../results/run-index.ts';
import { compactUtc, RESULTS_DIR, saveResult } from '../../results/run-store.ts';
import { writeReport } from '../../results/report/write-report.ts';
import type { Logger } from '../../lib/logger.ts';
import { ThresholdsFailedError, UsageError } from '../../lib/errors.ts';
import { checkoutSide, WORKING_TREE } from '../ab/side-checkout.ts';
import { runTrials } from '../ab/run-trials.ts';
import {
  filesBesidesVariants,
  pairedSide,
  runPairedTrials,
  writePairedVariants,
  type PairedSide,
} from '../ab/paired-sweep.ts';
import { trialOrder, trialResultName, type TrialWork } from '../ab/trial-plan.ts';
import {
  addTrialOptions,
  trialWork,
  withTrialDatabase,
  type TrialFlags,
} from '../ab/trial-options.ts';
import { checkGateFlags, gate, GATE_EXIT_CODES } from './compare-command.ts';
import {
  ACCEPT_UNTESTED_FLAG,
  ACCEPT_UNTESTED_HELP,
} from '../../results/compare/regression-gate.ts';
import { percent, positiveInt } from '../lib/option-parsers.ts';
import { MAX_PLAYERS } from '../../sut/db/player-ids.ts';
import pg from 'pg';
import { redactUrl } from '../lib/redact-url.ts';
import { provisionPostgres } from '../db/provision-postgres.ts';
import { parsePgVersion, postgresBinaries } from '../db/postgres-versions.ts';

/**
 * Trials per side when this machine has no calibration for the work: enough for a 95 %
 * interval (4 per side is the least that gives one) with a trial to spare.
 */
export const DEFAULT_TRIALS = 5;

/**
 * Paired trials (both sides' SQL in one sweep) on a machine with no paired calibration: 6 is
 * the fewest whose signed-rank interval reaches 95 %, and 7 is what this project's machine's
 * calibrations recommended at their noisier (docs/comparisons.md).
 */
export const DEFAULT_PAIRED_TRIALS = 7;

interface AbFlags extends TrialFlags {
  failOnRegression?: number;
  acceptUntested: boolean;
  unpaired?: boolean;
  sizes?: number[];
  players?: number;
  basePgVersion?: number;
  headPgVersion?: number;
  baseUrl?: string;
  headUrl?: string;
}

/** The first option given that only paired sweeps take, or undefined. */
function pairedSweepFlag(flags: AbFlags): string | undefined {
  if (flags.sizes !== undefined) return '--sizes';
  if (flags.players !== undefined) return '--players';
  return undefined;
}

/** A side that is a server: an embedded one of a major version, or one named by URL. */
type ServerSide = { pgVersion: number } | { url: string };

/** The two servers `--base-pg-version`/`--base-url` and their head twins name, or undefined. */
function serverSides(flags: AbFlags): { base: ServerSide; head: ServerSide } | undefined {
  const one = (side: 'base' | 'head'): ServerSide | undefined => {
    const version = side === 'base' ? flags.basePgVersion : flags.headPgVersion;
    const url = side === 'base' ? flags.baseUrl : flags.headUrl;
    if (version !== undefined && url !== undefined)
      throw new UsageError(
        `--${side}-pg-version and --${side}-url both name the ${side} server: give one`,
      );
    if (url !== undefined) {
      try {
        new URL(url);
      } catch {
        throw new UsageError(
          `--${side}-url "${redactUrl(url)}" is not a URL; expected postgres://user:password@host:port/database`,
        );
      }
      return { url };
    }
    return version === undefined ? undefined : { pgVersion: version };
  };
  const [base, head] = [one('base'), one('head')];
  if (base === undefined && head === undefined) return undefined;
  if (base === undefined || head === undefined)
    throw new UsageError(
      `two servers as sides need both: --base-pg-version or --base-url, and --head-pg-version or --head-url (${base === undefined ? 'the base' : 'the head'} is missing)`,
    );
  return { base, head };
}

/** Starts (or names) one side's server; `stop` removes what was started. */
async function serverFor(
  side: ServerSide,
  flags: AbFlags,
  log: Logger,
): Promise<{ url: string; label: string; stop: () => Promise<void> }> {
  if ('url' in side)
    return { url: side.url, label: redactUrl(side.url), stop: () => Promise.resolve() };
  const database = await provisionPostgres({
    source: 'embedded',
    logger: log,
    pgVersion: side.pgVersion,
    ...(flags.createPostgresUser ? { createPostgresUser: true } : {}),
    ...(flags.pgSetting === undefined ? {} : { settings: flags.pgSetting }),
  });
  return { url: database.url, label: 'embedded', stop: () => database.stop() };
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new UsageError(`cannot connect to ${redactUrl(url)}: ${(error as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ v: string }>(
      "SELECT current_setting('server_version') AS v",
    );
    return rows[0]?.v ?? 'unknown';
  } finally {
    await client.end();
  }
}

/**
 * Two servers as the sides (a PostgreSQL upgrade): this working tree's SQL files run against
 * both in the same sweeps, each variant's batch on one server and then on the other, round by
 * round, as a paired SQL change runs; the ratios are head server / base server.
 */
async function abServers(
  servers: { base: ServerSide; head: ServerSide },
  flags: AbFlags,
  log: Logger,
  started: number,
): Promise<void> {
  // Every version installed (or refused) before any server starts.
  for (const side of [servers.base, servers.head])
    if ('pgVersion' in side) await postgresBinaries(side.pgVersion, log);
  const saved = await latestCalibration('sweep', PAIRED_NAME, Number.MAX_SAFE_INTEGER);
  const trials = flags.trials ?? saved?.file.recommendedTrials ?? DEFAULT_PAIRED_TRIALS;
  const tree = await pairedSide(WORKING_TREE);
  const sessionDir = join(
    RESULTS_DIR,
    'ab',
    `${compactUtc(new Date())}_${tree.commit.slice(0, 7)}_servers`,
  );
  const variantsDir = join(sessionDir, 'variants');
  const names = await writePairedVariants(tree, tree, variantsDir);
  const base = await serverFor(servers.base, flags, log);
  try {
    const head = await serverFor(servers.head, flags, log);
    try {
      const [baseVersion, headVersion] = [
        await serverVersion(base.url),
        await serverVersion(head.url),
      ];
      log.info(
        `two servers as sides, base PostgreSQL ${baseVersion} (${base.label}) and head PostgreSQL ${headVersion} (${head.label}): ${trials} paired sweeps, each running ${names.join(', ')} on both, round by round; session ${displayPath(sessionDir)}`,
      );
      const results = await runPairedTrials({
        trials,
        variantsDir,
        sessionDir,
        databaseUrl: head.url,
        baseDatabaseUrl: base.url,
        log,
      });
      const calibration = await latestCalibration('sweep', PAIRED_NAME, trials);
      const comparison = comparePairedTrials(
        results,
        {
          base: { ref: `PostgreSQL ${baseVersion}`, commit: tree.commit },
          head: { ref: `PostgreSQL ${headVersion}`, commit: tree.commit },
        },
        calibration === undefined
          ? undefined
          : { ...calibration, source: displayPath(calibration.source) },
        shownSpread(machineSpread([sessionDir])),
      );
      const noted = {
        ...comparison,
        notes: [
          ...comparison.notes.filter((n) => !n.startsWith('paired:')),
          `paired across two servers: base PostgreSQL ${baseVersion} (${base.label}), head PostgreSQL ${headVersion} (${head.label}), both seeded alike; this working tree's SQL (${tree.commit.slice(0, 7)}) ran on both in each of ${results.length} sweeps, round by round; each trial gives the median of its rounds' head/base ratios, and the interval is the signed-rank interval over trials. A paired calibration measures one server against itself: two servers may add noise it does not know`,
        ],
      };
      await finishAb(
        noted,
        results.slice(-1),
        sessionDir,
        `A/B of PostgreSQL ${baseVersion} and PostgreSQL ${headVersion}, paired`,
        started,
        flags,
      );
    } finally {
      await head.stop();
    }
  } finally {
    await base.stop();
  }
}

/** Trials per side: the flag, else the calibration's recommendation, else the default. */
async function trialsFor(
  work: TrialWork,
  flags: TrialFlags,
  log: Logger,
): Promise<{ trials: number; why: string }> {
  if (flags.trials !== undefined) return { trials: flags.trials, why: '--trials' };
  const { kind, name } = trialResultName(work);
  const calibration = await latestCalibration(kind, name, Number.MAX_SAFE_INTEGER);
  const recommended = calibration?.file.recommendedTrials ?? null;
  if (calibration !== undefined && recommended !== null)
    return {
      trials: recommended,
      why: `this machine's calibration ${displayPath(calibration.source)}`,
    };
  log.info(
    `no calibration of this machine for ${kind} ${name} recommends a trial count: ${DEFAULT_TRIALS} per side (harness calibrate measures the right number)`,
  );
  return { trials: DEFAULT_TRIALS, why: 'the default' };
}

/** Both sides' SQL in the same sweeps: one harness, paired round by round. */
async function abPaired(
  base: PairedSide,
  head: PairedSide,
  flags: AbFlags,
  log: Logger,
  started: number,
): Promise<void> {
  const saved = await latestCalibration('sweep', PAIRED_NAME, Number.MAX_SAFE_INTEGER);
  const trials = flags.trials ?? saved?.file.recommendedTrials ?? DEFAULT_PAIRED_TRIALS;
  // No calibration of this kind of machine in reach (a fresh CI runner, say): the session
  // measures its own floor from an A/A twin of the base timed in the same rounds.
  const selfCalibrating = saved === undefined;
  const sessionDir = join(
    RESULTS_DIR,
    'ab',
    `${compactUtc(new Date())}_${base.commit.slice(0, 7)}_${head.commit.slice(0, 7)}_paired`,
  );
  const variantsDir = join(sessionDir, 'variants');
  const names = await writePairedVariants(base, head, variantsDir, { aaTwin: selfCalibrating });
  if (selfCalibrating) {
    const kind = thisMachineKind();
    log.info(
      `no paired calibration of this machine kind (${describeKind(kind)}; ${machineKindKey(kind)}) in reach (harness results pull --calibration fetches the store's): this session measures its own noise floor from an A/A twin, the base's SQL timed a second time in every round`,
    );
  }
  log.info(
    `${base.ref} and ${head.ref} differ only in SQL variant files: ${trials} paired sweeps, each running both sides' ${names.join(', ')} round by round (${flags.trials !== undefined ? '--trials' : saved?.file.recommendedTrials != null ? `this machine's paired calibration ${displayPath(saved.source)}` : 'the default'}); session ${displayPath(sessionDir)}`,
  );
  const { value: results, kind: databaseKind } = await withTrialDatabase(
    flags,
    log,
    (databaseUrl) =>
      runPairedTrials({
        trials,
        variantsDir,
        sessionDir,
        databaseUrl,
        log,
        ...(flags.sizes === undefined ? {} : { sizes: flags.sizes }),
        ...(flags.players === undefined ? {} : { players: flags.players }),
      }),
  );
  const calibration = await latestCalibration('sweep', PAIRED_NAME, trials);
  const own = selfCalibrating ? sessionFloors(results) : undefined;
  const comparison = comparePairedTrials(
    results,
    { base, head },
    calibration !== undefined
      ? {
          ...calibration,
          source: `this machine kind's paired calibration ${displayPath(calibration.source)}`,
        }
      : own,
    shownSpread(machineSpread([sessionDir])),
  );
  const noted = {
    ...comparison,
    notes: [
      ...comparison.notes,
      ...(own === undefined
        ? []
        : [
            `noise floor measured in this session: the A/A twin's intervals excluded no change in ${own.excluded} of ${own.rows} rows; median floor ${own.medianFloorPercent.toFixed(2)} %, so a smaller change is not called in this session (a calibration of this machine kind in the store, harness calibrate --paired then harness results push, usually gives a lower one)`,
          ]),
      `base ${base.ref} = ${base.commit.slice(0, 7)}, head ${head.ref} = ${head.commit.slice(0, 7)}; one PostgreSQL ${databaseKind === 'url' ? '(DATABASE_URL)' : `(${databaseKind})`} for every trial`,
    ],
  };
  await finishAb(
    noted,
    results.slice(-1),
    sessionDir,
    `A/B of ${base.ref} (${base.commit.slice(0, 7)}) and ${head.ref} (${head.commit.slice(0, 7)}), paired`,
    started,
    flags,
  );
}

/** Prints the comparison, saves it and the report in the session, and applies the gate. */
async function finishAb(
  comparison: Comparison,
  shown: IndexedResult[],
  sessionDir: string,
  title: string,
  started: number,
  flags: AbFlags,
  wrong: readonly string[] = [],
): Promise<void> {
  const out = process.stdout;
  out.write(`\n${formatComparison(comparison)}`);
  const json = await saveResult(comparison, join(sessionDir, 'comparison.json'));
  const report = await writeReport(
    { title, results: shown, comparisons: [comparison], comparisonNotes: [] },
    'report',
    sessionDir,
  );
  const worse = comparison.rows.filter((r) => r.verdict === 'worse').length;
  const better = comparison.rows.filter((r) => r.verdict === 'better').length;
  out.write(
    `\nab finished in ${((performance.now() - started) / 1000).toFixed(0)} s: ${worse} worse, ${better} better, ${comparison.rows.length - worse - better} not called (of ${comparison.rows.length} rows)\ncomparison: ${json}\nreport: ${report.html}\nmarkdown: ${report.markdown}\njunit: ${report.junit}\n`,
  );
  // A side whose trials left wrong results has no speed worth comparing: 99 before the gate.
  if (wrong.length > 0)
    throw new ThresholdsFailedError(
      `WRONG RESULTS, the audit failed in ${wrong.length} trial${wrong.length === 1 ? '' : 's'}: ${wrong.join('; ')}`,
    );
  gate([comparison], flags);
}

/** The trials whose audit failed a check their scenario does not allow, in words. */
function wrongTrials(sides: Record<'base' | 'head', readonly IndexedResult[]>): string[] {
  return (['base', 'head'] as const).flatMap((side) =>
    sides[side].flatMap((t, i) => {
      if (t.result.kind !== 'run') return [];
      const audit = t.result.verdict.audit;
      const failed = audit?.checks.filter((c) => !c.ok && !c.allowed) ?? [];
      return failed.length === 0
        ? []
        : [
            `${side} trial ${i + 1} (variant ${audit?.variant ?? '?'}: ${failed.map((c) => `${c.name} ${c.count.toLocaleString('en-US')}`).join(', ')})`,
          ];
    }),
  );
}

export function abCommand(logger: () => Logger): Command {
  const command = new Command('ab')
    .description(
      'interleaved A/B trials of two commits (or the working tree) on this machine: each side checked out and installed apart, trials in random ABBA order against one database, then the comparison with 95 % intervals and a report',
    )
    .argument('[base]', `a git ref, or ${WORKING_TREE} for the working tree as it is`)
    .argument('[head]', `a git ref, or ${WORKING_TREE}`)
    .option(
      '--base-pg-version <major>',
      'two servers as the sides instead of two refs: the base an embedded PostgreSQL of this major (13 to 18)',
      (v: string) => parsePgVersion(v, '--base-pg-version'),
    )
    .option(
      '--head-pg-version <major>',
      'the head an embedded PostgreSQL of this major (13 to 18)',
      (v: string) => parsePgVersion(v, '--head-pg-version'),
    )
    .option('--base-url <url>', 'two servers as the sides: the base the server at this URL')
    .option('--head-url <url>', 'the head the server at this URL')
    .option(
      '--unpaired',
      "with a change to SQL variant files only: still run each side apart (by default both sides' files run in the same sweeps, paired round by round)",
    )
    .option(
      '--fail-on-regression <pct>',
      'exit with code 3 when a change for the worse has its whole interval beyond pct percent; with a row it cannot test, code 4 (gate not applied)',
      percent('--fail-on-regression'),
    )
    .option(ACCEPT_UNTESTED_FLAG, ACCEPT_UNTESTED_HELP, false)
    .option(
      '--sizes <list>',
      "with a change to SQL variant files only: the paired sweeps' batch sizes, comma-separated (default the quick sweep's 10,60,200,1000)",
      (v: string) => parseSizes(v),
    )
    .option(
      '--players <n>',
      "with a change to SQL variant files only: players seeded for each paired sweep (default the sweep's 10,000; fewer seed faster, e.g. in a pull request's job)",
      positiveInt('--players', MAX_PLAYERS),
    )
    .addHelpText(
      'after',
      `\nExamples:\n  harness ab HEAD~1 HEAD                 quick sweep, trials from this machine's calibration\n  harness ab --base-pg-version 15 --head-pg-version 17   a PostgreSQL upgrade, paired round by round\n  harness ab main ${WORKING_TREE} --scenario production --duration 1m --trials 4\n  harness ab HEAD HEAD                   an A/A run: it should call nothing changed\n${GATE_EXIT_CODES}`,
    );
  addTrialOptions(command, 'trials per side (default: the calibration of this machine, else 5)');
  return command.action(
    async (baseRef: string | undefined, headRef: string | undefined, flags: AbFlags) => {
      checkGateFlags(flags);
      const log = logger();
      const work = trialWork(flags);
      const started = performance.now();
      const pairedOnly = pairedSweepFlag(flags);
      if (
        pairedOnly !== undefined &&
        (work.kind !== 'sweep' || !work.quick || flags.unpaired === true)
      )
        throw new UsageError(
          `${pairedOnly} applies to the paired quick sweeps of a change to SQL variant files: not with --scenario, --sweep full or --unpaired`,
        );
      const servers = serverSides(flags);
      if (servers !== undefined) {
        if (baseRef !== undefined || headRef !== undefined)
          throw new UsageError(
            'two servers as sides run this working tree against both: leave out the refs, or the server flags',
          );
        if (work.kind !== 'sweep' || !work.quick || flags.unpaired === true)
          throw new UsageError(
            'two servers are compared by paired quick sweeps: leave out --scenario, --sweep full and --unpaired',
          );
        if (flags.pgVersion !== undefined)
          throw new UsageError(
            '--pg-version names one server; two servers as sides take --base-pg-version and --head-pg-version',
          );
        await abServers(servers, flags, log, started);
        return;
      }
      if (baseRef === undefined || headRef === undefined)
        throw new UsageError(
          'ab compares two sides: two refs (<base> <head>), or two servers (--base-pg-version and --head-pg-version, or --base-url and --head-url)',
        );
      if (work.kind === 'sweep' && work.quick && flags.unpaired !== true) {
        const [b, h] = [await pairedSide(baseRef), await pairedSide(headRef)];
        const besides = await filesBesidesVariants(b, h);
        if (besides.length === 0) {
          await abPaired(b, h, flags, log, started);
          return;
        }
        if (pairedOnly !== undefined)
          throw new UsageError(
            `${pairedOnly} applies to paired sweeps, and the change touches more than SQL variant files (${besides.slice(0, 3).join(', ')}): leave ${pairedOnly} out`,
          );
        log.info(
          `the change touches more than SQL variant files (${besides.slice(0, 3).join(', ')}${besides.length > 3 ? ', ...' : ''}): each side's trials run apart`,
        );
      }
      const { trials, why } = await trialsFor(work, flags, log);
      const seed = flags.seed ?? randomInt(1, 2 ** 31 - 1);
      const base = await checkoutSide(baseRef, log);
      const head = await checkoutSide(headRef, log);
      const order = trialOrder(trials, seed);
      const sessionDir = join(
        RESULTS_DIR,
        'ab',
        `${compactUtc(new Date())}_${base.commit.slice(0, 7)}_${head.commit.slice(0, 7)}`,
      );
      await mkdir(sessionDir, { recursive: true });
      log.info(
        `${trials} trials per side (${why}), order seed ${seed}: ${order.map((s) => (s === 'base' ? 'A' : 'B')).join('')}; session ${displayPath(sessionDir)}`,
      );
      const { value: outcome, kind: databaseKind } = await withTrialDatabase(
        flags,
        log,
        (databaseUrl) =>
          runTrials({
            sides: { base, head },
            order,
            work,
            sessionDir,
            databaseUrl,
            log,
          }),
      );
      const { kind, name } = trialResultName(work);
      const calibration = await latestCalibration(kind, name, trials);
      const comparison = compareTrials(
        outcome.base,
        outcome.head,
        calibration === undefined ? {} : { calibration },
      );
      const noted = {
        ...comparison,
        notes: [
          ...comparison.notes,
          `trials interleaved in random pairs (seed ${seed}) against one PostgreSQL ${databaseKind === 'url' ? '(DATABASE_URL)' : `(${databaseKind})`}; base ${base.ref} = ${base.commit.slice(0, 7)}${base.dirty ? '-dirty' : ''}, head ${head.ref} = ${head.commit.slice(0, 7)}${head.dirty ? '-dirty' : ''}`,
          ...(calibration === undefined
            ? []
            : [
                `noise floors from this machine's calibration ${displayPath(calibration.source)} (${calibration.trials} trials per side)`,
              ]),
        ],
      };
      const newest = (xs: typeof outcome.base) => xs[xs.length - 1];
      await finishAb(
        noted,
        [newest(outcome.base), newest(outcome.head)].filter((r) => r !== undefined),
        sessionDir,
        `A/B of ${base.ref} (${base.commit.slice(0, 7)}) and ${head.ref} (${head.commit.slice(0, 7)}${head.dirty ? '-dirty' : ''})`,
        started,
        flags,
        wrongTrials(outcome),
      );
    },
  );
}
