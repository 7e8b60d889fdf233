import type pg from 'pg';
import type { ProvisionedDatabase } from '../engine/provisioned-database.ts';
import type { SweepHooks } from './sweep-runner.ts';
import { type PgbenchCheck, type SweepMetrics } from '../../results/schema/result-schema.ts';
import { median } from '../../results/stats/descriptive.ts';
import { createRandom } from '../../sut/db/random.ts';
import { RowSampler } from '../../sut/db/row-sampler.ts';
import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { serializeBatch } from '../../sut/repository/batch-increment-repository.ts';
import { type SqlVariant } from '../../sut/sql/variant-registry.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { findPgbench, pgbenchCheck } from './pgbench-check.ts';
import { probeStatements, type StatementsProbe } from './pg-stat-statements.ts';
import {
  crossovers,
  harnessOverhead,
  linearity,
  preparedDeltas,
  summarizeCell,
} from './sweep-analysis.ts';
import { findings } from './sweep-report.ts';
import { deadTuples, runSweep } from './sweep-runner.ts';
import { type SweepSettings } from './sweep-settings.ts';
import type { Logger } from '../../lib/logger.ts';
import { sampleMachine, type MachineLoad } from '../engine/machine-load.ts';
import { postmasterPid, sessionPostmasterPid } from '../engine/postmaster-pid.ts';
import { linkShortfall, type DbLink, type DbLinkRecord } from '../engine/db-link.ts';

/** What a sweep reports while it runs: its progress bars live with the command. */
export interface MeasureSweepHooks extends SweepHooks {
  readonly log: Logger;
}

async function runPgbenchChecks(
  client: Parameters<typeof pgbenchCheck>[0],
  url: string,
  schema: string,
  table: TargetTable,
  variants: readonly SqlVariant[],
  settings: SweepSettings,
  metricsCells: SweepMetrics['cells'],
  logger: Logger,
): Promise<PgbenchCheck[] | { skipped: string }> {
  if ((await findPgbench()) === undefined) {
    logger.warn(
      '--pgbench: pgbench is not on PATH (it ships with the PostgreSQL client tools); cross-check skipped',
    );
    return { skipped: 'pgbench is not on PATH' };
  }
  const size = settings.sizes.includes(100)
    ? 100
    : (settings.sizes[Math.floor(settings.sizes.length / 2)] as number);
  const sampler = await RowSampler.load(
    client,
    await loadCatalogue(),
    createRandom(settings.seed + 999),
    table,
  );
  const checks: PgbenchCheck[] = [];
  for (const variant of variants) {
    const cell = metricsCells.find((c) => c.variant === variant.name && c.size === size);
    checks.push(
      await pgbenchCheck(
        client,
        url,
        variant,
        serializeBatch(sampler.batch(size)),
        cell?.wallMs.median ?? 10,
        schema,
      ),
    );
  }
  return checks;
}

/**
 * Measures every variant at every size on a database the caller holds, and analyses it: the
 * cells, crossovers, linearity, what pg_stat_statements and pgbench say, the table's dead
 * tuples and the machine's load while it measured. `durationMs` is the caller's to set.
 */
export async function measureSweep(
  target: {
    readonly client: pg.Client;
    readonly database: ProvisionedDatabase;
    readonly schema: string;
    readonly table: TargetTable;
    /** --db-latency: the flushers' connections go through it (database.url is its). */
    readonly link?: DbLink;
    /** A second server for the `_base` variants (--base-database-url). */
    readonly twin?: { client: pg.Client; url: string; table: TargetTable };
  },
  variants: readonly SqlVariant[],
  settings: SweepSettings,
  hooks: MeasureSweepHooks,
): Promise<SweepMetrics & { linkRecord?: DbLinkRecord }> {
  const { client, database, schema, table, link, twin } = target;
  // Round trips the proxy saw over the timed batches: from their start to their end.
  let exchangesAtStart = 0;
  let exchangesTimed = 0;
  const probe = await probeStatements(client, variants, database.kind !== 'url');
  // A server named by URL may still run here (an ab session's, a local one): count its CPU.
  const serverPid = database.dataDir === undefined ? await sessionPostmasterPid(client) : undefined;
  const before = 'snapshot' in probe ? await probe.snapshot() : undefined;
  // The machine's load is read over the measuring, from the first cell on (not the seeding).
  let machine: ReturnType<typeof sampleMachine> | undefined;
  let load: MachineLoad | undefined;
  const dataDir = database.dataDir;
  let measurement;
  // The statements' figures are the timed batches': read before the cost passes run.
  let timedEnd: Awaited<ReturnType<StatementsProbe['snapshot']>> | undefined;
  try {
    measurement = await runSweep(
      {
        client,
        url: database.url,
        schema,
        table,
        ownServer: database.kind !== 'url',
        ...(twin === undefined ? {} : { twin }),
      },
      variants,
      settings,
      {
        onProgress: (done, total, label) => {
          machine ??= sampleMachine({
            harness: process.pid,
            service: () => undefined,
            database: () =>
              dataDir === undefined ? Promise.resolve(serverPid) : postmasterPid(dataDir),
            broker: () => Promise.resolve(undefined),
          });
          hooks.onProgress?.(done, total, label);
        },
        ...(hooks.onSeedProgress === undefined ? {} : { onSeedProgress: hooks.onSeedProgress }),
        onTimedStart: () => {
          exchangesAtStart = link?.exchanges() ?? 0;
        },
        onTimedDone: async () => {
          exchangesTimed = (link?.exchanges() ?? 0) - exchangesAtStart;
          if ('snapshot' in probe) timedEnd = await probe.snapshot();
        },
        ...('snapshot' in probe
          ? {
              serverTimeMs: async (variant: string) => {
                const c = (await probe.snapshot()).get(variant);
                return c === undefined ? 0 : c.execMs + c.planMs;
              },
            }
          : {}),
      },
    );
  } finally {
    load = await machine?.stop();
  }
  const pgStatStatements =
    'snapshot' in probe && before !== undefined
      ? probe.report(before, timedEnd ?? (await probe.snapshot()))
      : (probe as { available: false; reason: string });
  await new Promise((r) => setTimeout(r, 300)); // closed flushers report their dead tuples on exit
  const deadTuplesAfter = await deadTuples(client, table);
  const cells = measurement.cells.map(summarizeCell);
  const linkRecord = link === undefined ? undefined : await link.measure();
  const batches = measurement.cells.reduce((n, c) => n + c.samplesMs.length, 0);
  const network =
    linkRecord === undefined || batches === 0
      ? undefined
      : (() => {
          const perFlush = Math.max(0, exchangesTimed - 3 * measurement.explains) / batches;
          const shortfall = linkShortfall(linkRecord);
          return {
            linkRoundTripMs: linkRecord.throughRoundTripMs,
            addedMs: linkRecord.heldRoundTripMs,
            roundTripsPerFlush: perFlush,
            msPerFlush: linkRecord.heldRoundTripMs * perFlush,
            ...(shortfall === undefined ? {} : { shortfall }),
          };
        })();
  const metrics: SweepMetrics = {
    durationMs: 0,
    seed: measurement.seed,
    roundTripMs: median(measurement.roundTripMs),
    ...(network === undefined ? {} : { network }),
    cells,
    crossovers: crossovers(cells),
    linearity: linearity(cells),
    preparedDelta: preparedDeltas(cells),
    overhead: harnessOverhead(cells),
    table: {
      name: table.label,
      deadTuplesBefore: measurement.deadTuplesBefore,
      deadTuplesAfter,
      vacuumBetweenSizes: settings.vacuumBetweenSizes,
    },
    pgStatStatements,
    pgbench: settings.pgbench
      ? await runPgbenchChecks(
          client,
          database.url,
          schema,
          table,
          variants,
          settings,
          cells,
          hooks.log,
        )
      : null,
    findings: [],
    ...(measurement.ceiling.length > 0 ? { ceiling: measurement.ceiling } : {}),
    ...(measurement.costNote === undefined ? {} : { costNote: measurement.costNote }),
    ...(load === undefined ? {} : { machine: load }),
  };
  metrics.findings.push(...findings(metrics));
  return linkRecord === undefined ? metrics : { ...metrics, linkRecord };
}
