import { join } from 'node:path';
import { Command, Option } from 'commander';
import { collectEnvironment } from '../../results/environment.ts';
import { measureSweep } from '../../scenarios/sweep/measure-sweep.ts';
import { readGitInfo } from '../../results/git-info.ts';
import { RUNS_DIR, runFileName, saveResult } from '../../results/run-store.ts';
import {
  SCHEMA_VERSION,
  sweepResultSchema,
  type SweepConfig,
  type SweepMetrics,
  type SweepResult,
} from '../../results/schema/result-schema.ts';
import {
  BASE_SUFFIX,
  loadVariants,
  variantFor,
  variantsDirectory,
} from '../../sut/sql/variant-registry.ts';
import { renderSweepReport } from '../../scenarios/sweep/sweep-report.ts';
import {
  DEFAULT_SWEEP_SETTINGS,
  parseSizes,
  parseStatements,
  QUICK_SWEEP_SETTINGS,
  type SweepSettings,
} from '../../scenarios/sweep/sweep-settings.ts';
import { withDatabase, type DatabaseSession } from '../db/with-database.ts';
import type { Logger } from '../../lib/logger.ts';
import { integer, nonNegativeInt, outputFile, positiveInt } from '../lib/option-parsers.ts';
import { MAX_PLAYERS } from '../../sut/db/player-ids.ts';
import { createProgress, seedingProgress } from '../lib/progress.ts';
import { UsageError } from '../../lib/errors.ts';
import {
  addDatabaseOptions,
  addLinkOptions,
  databaseFrom,
  type DatabaseOptions,
} from './common-options.ts';
import type { DbLinkRecord } from '../../scenarios/engine/db-link.ts';

interface SweepFlags extends DatabaseOptions {
  sizes: number[];
  variant?: string[];
  variantsDir?: string;
  players: number;
  goals: number;
  seed: number;
  minSamples: number;
  minTime: number;
  statements: SweepSettings['statements'];
  prepared?: boolean;
  unprepared?: boolean;
  concurrency: number;
  explainRuns: number;
  warmup: number;
  vacuumBetweenSizes: boolean;
  freshTable: boolean;
  quick: boolean;
  pgbench: boolean;
  costMs: number;
  ceilingRows: number;
  output?: string;
  baseDatabaseUrl?: string;
}

function settingsFrom(flags: SweepFlags, command: Command): SweepSettings {
  const given = (name: string) => command.getOptionValueSource(name) !== 'default';
  const quick = flags.quick ? QUICK_SWEEP_SETTINGS : undefined;
  const pick = <K extends keyof typeof QUICK_SWEEP_SETTINGS>(
    key: K,
    flag: string,
    value: (typeof QUICK_SWEEP_SETTINGS)[K],
  ) => (quick !== undefined && !given(flag) ? quick[key] : value);
  if (flags.prepared === true && flags.unprepared === true) {
    throw new UsageError(
      '--prepared and --unprepared together mean both: leave them out (both is the default) or use --statements',
    );
  }
  const statements =
    flags.prepared === true
      ? ['prepared' as const]
      : flags.unprepared === true
        ? ['unprepared' as const]
        : flags.statements;
  return {
    sizes: pick('sizes', 'sizes', flags.sizes),
    players: flags.players,
    goals: flags.goals,
    seed: flags.seed,
    minSamples: pick('minSamples', 'minSamples', flags.minSamples),
    minTimeMs: pick('minTimeMs', 'minTime', flags.minTime),
    statements,
    concurrency: flags.concurrency,
    explainRuns: pick('explainRuns', 'explainRuns', flags.explainRuns),
    warmupBatches: pick('warmupBatches', 'warmup', flags.warmup),
    vacuumBetweenSizes: flags.vacuumBetweenSizes,
    freshTable: flags.freshTable,
    pgbench: flags.pgbench,
    costMs: pick('costMs', 'costMs', flags.costMs),
    ceilingRows: pick('ceilingRows', 'ceilingRows', flags.ceilingRows),
    quick: flags.quick,
  };
}

/** `harness sweep`: every SQL variant at every batch size, straight against PostgreSQL. */
export function sweepCommand(logger: () => Logger): Command {
  const d = DEFAULT_SWEEP_SETTINGS;
  const command = new Command('sweep').description(
    'measure every SQL variant at every batch size straight against PostgreSQL',
  );
  addLinkOptions(addDatabaseOptions(command))
    .option('--sizes <list>', 'batch sizes, comma-separated', (v) => parseSizes(v), [...d.sizes])
    .option('--variant <name...>', 'SQL variants (default: every file in sut/sql/variants/)')
    .option(
      '--variants-dir <dir>',
      "take the variant files from this folder instead of sut/sql/variants/ (ab runs two commits' files side by side this way)",
    )
    .option('--players <n>', 'players seeded', positiveInt('--players', MAX_PLAYERS), d.players)
    .option('--goals <n>', 'goal rows per player', positiveInt('--goals'), d.goals)
    .option(
      '--seed <n>',
      'seed for the table and the rows each batch picks',
      integer('--seed'),
      d.seed,
    )
    .option(
      '--min-samples <n>',
      'timed batches per cell, at least',
      positiveInt('--min-samples'),
      d.minSamples,
    )
    .option(
      '--min-time <ms>',
      'timed wall time per cell, at least (ms)',
      nonNegativeInt('--min-time'),
      d.minTimeMs,
    )
    .option('--statements <modes>', 'unprepared, prepared, or both', parseStatements, [
      ...d.statements,
    ])
    .option('--prepared', 'prepared statements only (named, planned once per connection)')
    .option('--unprepared', 'unprepared statements only (parsed and planned every time)')
    .option(
      '--concurrency <n>',
      'parallel flushers on separate connections (8 = the service)',
      positiveInt('--concurrency'),
      d.concurrency,
    )
    .option(
      '--explain-runs <n>',
      'EXPLAIN (ANALYZE, BUFFERS) runs per variant x size',
      nonNegativeInt('--explain-runs'),
      d.explainRuns,
    )
    .option(
      '--warmup <n>',
      'untimed batches per variant and statement mode first',
      nonNegativeInt('--warmup'),
      d.warmupBatches,
    )
    .option('--vacuum-between-sizes', 'VACUUM the table before each size after the first', false)
    .option(
      '--fresh-table',
      "seed the table as COPY leaves it (every page full) instead of as a long-lived table's",
      false,
    )
    .option(
      '--quick',
      `a fast look: sizes ${QUICK_SWEEP_SETTINGS.sizes.join(',')}, short cells`,
      false,
    )
    .option(
      '--pgbench',
      'cross-check one size per variant against pgbench (needs pgbench on PATH)',
      false,
    )
    .option(
      '--cost-ms <ms>',
      "each cell's cost pass: its batches alone for this long between readings of the server's counters (CPU, WAL, HOT, buffers); 0 for none",
      nonNegativeInt('--cost-ms'),
      d.costMs,
    )
    .option(
      '--ceiling-rows <n>',
      'rows the ceiling at each size applies (the same UPDATE in a loop on the server); 0 for none',
      nonNegativeInt('--ceiling-rows'),
      d.ceilingRows,
    )
    .option(
      '--base-database-url <url>',
      'run the <name>_base variants (from --variants-dir) against this server instead, seeded alike, round by round with the rest: two servers compared as ab compares two SQL files (needs --cost-ms 0 --ceiling-rows 0)',
    )
    .addOption(
      new Option(
        '--output <file>',
        'results JSON path (default: results/runs/<time>_<sha>_sweep.json)',
      ).argParser(outputFile('--output')),
    );
  return command.action(async (flags: SweepFlags) => {
    const log = logger();
    const settings = settingsFrom(flags, command);
    const fileVariants = await loadVariants(
      flags.variant,
      flags.variantsDir === undefined ? undefined : variantsDirectory(flags.variantsDir),
    );
    const largest = settings.sizes[settings.sizes.length - 1] ?? 0;
    const perFlusher = Math.floor((settings.players * settings.goals) / settings.concurrency);
    if (largest > perFlusher) {
      throw new UsageError(
        `--sizes: ${largest} rows is more than the ${settings.players * settings.goals} seeded rows (--players x --goals${settings.concurrency > 1 ? `, split over ${settings.concurrency} flushers` : ''}) can serve as distinct rows`,
      );
    }
    if (flags.baseDatabaseUrl !== undefined) {
      const conflicting = [
        ...(settings.costMs > 0 ? ['--cost-ms (use 0)'] : []),
        ...(settings.ceilingRows > 0 ? ['--ceiling-rows (use 0)'] : []),
        ...(settings.pgbench ? ['--pgbench'] : []),
        ...(flags.dbLatency === undefined ? [] : ['--db-latency']),
      ];
      if (conflicting.length > 0)
        throw new UsageError(
          `--base-database-url: the cost passes, the ceiling, pgbench and the link read or reach one server; leave out ${conflicting.join(', ')}`,
        );
      if (!fileVariants.some((v) => v.name.endsWith(BASE_SUFFIX)))
        throw new UsageError(
          `--base-database-url: no <name>${BASE_SUFFIX} variant to run there; --variants-dir names a folder holding them`,
        );
    }
    const createdAt = new Date();
    const git = readGitInfo();
    const started = performance.now();
    const databaseOptions = databaseFrom(flags, log);
    const baseUrl = flags.baseDatabaseUrl;
    await withDatabase(databaseOptions, async ({ database, client, schema, table, link }) => {
      if (baseUrl === undefined) return sweepOn(database, client, schema, table, link, undefined);
      return withDatabase({ source: 'url', url: baseUrl, logger: log, schema }, (base) =>
        sweepOn(database, client, schema, table, link, {
          client: base.client,
          url: base.database.url,
          table: base.table,
        }),
      );
    });
    async function sweepOn(
      database: DatabaseSession['database'],
      client: DatabaseSession['client'],
      schema: string,
      table: DatabaseSession['table'],
      link: DatabaseSession['link'],
      twin:
        | { client: DatabaseSession['client']; url: string; table: DatabaseSession['table'] }
        | undefined,
    ): Promise<void> {
      const variants = fileVariants.map((v) => variantFor(v, table));
      const env = await collectEnvironment(client, database.kind);
      const progress = createProgress('sweep', log);
      const seeding = seedingProgress(log, table.label);
      let metrics: SweepMetrics;
      let linkRecord: DbLinkRecord | undefined;
      try {
        ({ linkRecord, ...metrics } = await measureSweep(
          {
            client,
            database,
            schema,
            table,
            ...(link === undefined ? {} : { link }),
            ...(twin === undefined ? {} : { twin }),
          },
          variants,
          settings,
          {
            log,
            onProgress: (done, total, label) => {
              seeding.stop();
              progress.update(done, total, label);
            },
            onSeedProgress: seeding.onProgress,
          },
        ));
      } finally {
        seeding.stop();
        progress.stop();
      }
      metrics.durationMs = performance.now() - started;
      const load = metrics.machine;
      const config: SweepConfig = {
        sizes: [...settings.sizes],
        variants: variants.map((v) => v.name),
        players: settings.players,
        goals: settings.goals,
        seed: settings.seed,
        minSamples: settings.minSamples,
        minTimeMs: settings.minTimeMs,
        statements: [...settings.statements],
        concurrency: settings.concurrency,
        explainRuns: settings.explainRuns,
        warmupBatches: settings.warmupBatches,
        vacuumBetweenSizes: settings.vacuumBetweenSizes,
        freshTable: settings.freshTable,
        quick: settings.quick,
        pgbench: settings.pgbench,
        costMs: settings.costMs,
        ceilingRows: settings.ceilingRows,
        db: database.kind,
        ...(twin === undefined
          ? {}
          : {
              baseServer: {
                version:
                  (
                    await twin.client.query<{ v: string }>(
                      "SELECT current_setting('server_version') AS v",
                    )
                  ).rows[0]?.v ?? 'unknown',
              },
            }),
      };
      const name = settings.quick ? 'sweep-quick' : 'sweep';
      const result: SweepResult = sweepResultSchema.parse({
        schemaVersion: SCHEMA_VERSION,
        kind: 'sweep',
        name,
        createdAt: createdAt.toISOString(),
        git,
        env: linkRecord === undefined ? env : { ...env, link: linkRecord },
        config,
        metrics,
        thresholds: [],
        verdict: null,
      });
      const out = process.stdout;
      out.write(renderSweepReport(result));
      if (load?.warning != null) log.warn(load.warning);
      if (metrics.network?.shortfall !== undefined) log.warn(metrics.network.shortfall);
      const path = await saveResult(
        result,
        flags.output ?? join(RUNS_DIR, runFileName(createdAt, git, name)),
      );
      out.write(`results: ${path}\n`);
    }
  });
}
