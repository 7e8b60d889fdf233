import { Command, Option } from 'commander';
import { parseDuration } from '../../simulator/duration.ts';
import { provisionPostgres, type DbSource } from '../db/provision-postgres.ts';
import type { Logger } from '../../lib/logger.ts';
import { positiveInt } from '../lib/option-parsers.ts';
import { addServerOptions } from '../commands/common-options.ts';
import { UsageError } from '../../lib/errors.ts';
import type { TrialWork } from './trial-plan.ts';

/** The options `ab` and `calibrate` share: what a trial runs, how many, on which database. */
export interface TrialFlags {
  sweep?: 'quick' | 'full';
  scenario?: string;
  duration?: string;
  trials?: number;
  seed?: number;
  db: DbSource;
  createPostgresUser: boolean;
  pgSetting?: Record<string, string>;
  /** `--pg-version`: the major of the embedded server every trial uses. */
  pgVersion?: number;
}

export function addTrialOptions(command: Command, trialsHelp: string): Command {
  return addServerOptions(command, 'where the one PostgreSQL every trial uses comes from')
    .addOption(
      new Option('--sweep <size>', 'each trial a sweep: quick (the default) or full').choices([
        'quick',
        'full',
      ]),
    )
    .option('--scenario <name>', 'each trial a scenario run (a shipped name or a file)')
    .option('--duration <duration>', "with --scenario: the steady part's length (its --duration)")
    .option('--trials <n>', trialsHelp, positiveInt('--trials', 49))
    .option(
      '--seed <n>',
      'seed of the random trial order (default: a new one, printed)',
      positiveInt('--seed'),
    );
}

/** What each trial runs, from the flags; a UsageError for contradictory ones. */
export function trialWork(flags: TrialFlags): TrialWork {
  if (flags.sweep !== undefined && flags.scenario !== undefined)
    throw new UsageError('--sweep and --scenario contradict each other: give one');
  if (flags.duration !== undefined) {
    if (flags.scenario === undefined)
      throw new UsageError('--duration goes with --scenario (a sweep has its own length)');
    parseDuration(flags.duration, '--duration');
  }
  if (flags.scenario !== undefined)
    return {
      kind: 'scenario',
      scenario: flags.scenario,
      ...(flags.duration === undefined ? {} : { duration: flags.duration }),
    };
  return { kind: 'sweep', quick: flags.sweep !== 'full' };
}

/**
 * Runs `work` against the one PostgreSQL every trial of a session uses (from the flags), and
 * stops it afterwards whatever happens; `kind` says where it came from, for the notes.
 */
export async function withTrialDatabase<T>(
  flags: TrialFlags,
  log: Logger,
  work: (url: string) => Promise<T>,
): Promise<{ value: T; kind: string }> {
  const database = await provisionPostgres({
    source: flags.db,
    logger: log,
    ...(flags.createPostgresUser ? { createPostgresUser: true } : {}),
    ...(flags.pgSetting === undefined ? {} : { settings: flags.pgSetting }),
    ...(flags.pgVersion === undefined ? {} : { pgVersion: flags.pgVersion }),
  });
  try {
    return { value: await work(database.url), kind: database.kind };
  } finally {
    await database.stop();
  }
}
