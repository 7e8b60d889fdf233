import type pg from 'pg';
import type { StatementMode } from '../../results/schema/result-schema.ts';
import { connectClient } from '../../sut/db/pool.ts';
import { createRandom } from '../../sut/db/random.ts';
import { RowSampler } from '../../sut/db/row-sampler.ts';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../sut/db/seeder.ts';
import { executeBatch, serializeBatch } from '../../sut/repository/batch-increment-repository.ts';
import {
  BASE_SUFFIX,
  loadVariant,
  variantFor,
  type SqlVariant,
} from '../../sut/sql/variant-registry.ts';
import { UsageError } from '../../lib/errors.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { explainBatch, type ExplainSample } from './explain.ts';
import { costPass, costTools, type CostTools } from '../cost/cost-pass.ts';
import type { RowCost } from '../cost/cost-per-row.ts';
import { ceilingBatchCount, measureCeiling, type Ceiling } from '../cost/ceiling.ts';
import type { SweepSettings } from './sweep-settings.ts';

/** Raw measurements of one cell: a variant at a batch size in one statement mode. */
export interface CellMeasurement {
  readonly variant: string;
  readonly size: number;
  readonly statement: StatementMode;
  /** Wall time per batch (client preparation + the UPDATE, committed), every flusher's. */
  readonly samplesMs: number[];
  /** Client-side preparation per batch: validation, arrays, serialisation. */
  readonly prepMs: number[];
  /** Time the cell's rounds took, all flushers together, and the rows they updated. */
  elapsedMs: number;
  rows: number;
  readonly explain: ExplainSample[];
  /** The cell's batches alone, between readings of the server's counters. */
  cost?: RowCost;
}

export interface SweepHooks {
  /** Called when a size starts and when each of its cells reaches its minimum. */
  onProgress?(done: number, total: number, label: string): void;
  /** Called as the table is seeded, before the first cell. */
  readonly onSeedProgress?: (rows: number, total: number) => void;
  /** Called once the flushers are connected and warmed up, before the first timed batch. */
  readonly onTimedStart?: () => void;
  /** Called once every timed batch has run, before the cost passes and ceilings. */
  readonly onTimedDone?: () => Promise<void>;
  /** pg_stat_statements' planning + execution ms of a variant so far, when it is installed. */
  readonly serverTimeMs?: (variant: string) => Promise<number>;
}

export interface SweepMeasurement {
  readonly seed: { rows: number; ms: number; rowsPerSecond: number; updatableRows: number };
  readonly cells: CellMeasurement[];
  readonly roundTripMs: number[];
  /** EXPLAIN runs between the timed rounds (each BEGIN, EXPLAIN, ROLLBACK: three round trips). */
  readonly explains: number;
  readonly deadTuplesBefore: number;
  /** The server-side ceiling at each size (none with costMs or ceilingRows 0). */
  readonly ceiling: Ceiling[];
  /** Why CPU per row is not the backends' own, when it is not. */
  readonly costNote?: string;
}

interface Flusher {
  readonly client: pg.Client;
  readonly sampler: RowSampler;
}

const ROUND_TRIP_PROBES = 50;

export async function deadTuples(client: pg.ClientBase, table: TargetTable): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT coalesce(n_dead_tup, 0) AS n FROM pg_stat_user_tables WHERE relid = to_regclass($1)`,
    [table.sql],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Measures every variant at every size straight against PostgreSQL. Per size, cells are
 * run round by round, one batch of each per round in a rotating order, so that drift
 * (autovacuum, checkpoints, cache warmth, a noisy neighbour) hits every variant alike; a
 * cell stops once it has both its minimum samples and its minimum time. Every batch names
 * distinct, existing, active rows and must update all of them.
 */
export async function runSweep(
  session: {
    client: pg.Client;
    url: string;
    schema: string;
    table: TargetTable;
    /** A server the harness started: it may CHECKPOINT it (never a user's). */
    ownServer?: boolean;
    /**
     * A second server whose `<name>_base` variants run there (ab of two servers): seeded
     * alike, with flushers of its own drawing the same batches, round by round with the rest.
     */
    twin?: { client: pg.Client; url: string; table: TargetTable };
  },
  variants: readonly SqlVariant[],
  settings: SweepSettings,
  hooks: SweepHooks = {},
): Promise<SweepMeasurement> {
  const { client, table } = session;
  const largest = settings.sizes[settings.sizes.length - 1] ?? 0;
  const seeded = await seedProgress(client, {
    players: settings.players,
    goalsPerPlayer: settings.goals,
    seed: settings.seed,
    shares: DEFAULT_SEED_SHARES,
    table,
    fresh: settings.freshTable,
    ...(hooks.onSeedProgress === undefined ? {} : { onProgress: hooks.onSeedProgress }),
  });
  // Seeding writes enough WAL to start a checkpoint in the middle of the measuring: the
  // first change to each page after it logs the whole page, and whichever cells ran first
  // paid for most pages (49 % of one cost pass's WAL records were full pages, none for the
  // same variant later). A checkpoint now, on a server of the harness's own, moves that
  // point before the first timed round, where the rotation spreads it over every variant.
  if (session.ownServer === true) await client.query('CHECKPOINT');
  const twin = session.twin;
  if (twin !== undefined) {
    // The same seed seeds the same rows on the second server.
    await seedProgress(twin.client, {
      players: settings.players,
      goalsPerPlayer: settings.goals,
      seed: settings.seed,
      shares: DEFAULT_SEED_SHARES,
      table: twin.table,
      fresh: settings.freshTable,
    });
  }
  const all = await RowSampler.load(client, seeded.catalogue, createRandom(settings.seed), table);
  const samplers = all.splitByPlayer(settings.concurrency, (i) =>
    createRandom(settings.seed + 1 + i),
  );
  const twinSamplers =
    twin === undefined
      ? []
      : (
          await RowSampler.load(
            twin.client,
            seeded.catalogue,
            createRandom(settings.seed),
            twin.table,
          )
        ).splitByPlayer(settings.concurrency, (i) => createRandom(settings.seed + 1 + i));
  const capacity = Math.min(...samplers.map((s) => s.capacity));
  if (largest > capacity) {
    throw new UsageError(
      `batch size ${largest} is larger than the ${capacity} distinct updatable rows${settings.concurrency > 1 ? ` each of the ${settings.concurrency} flushers can draw from` : ''}; seed more (--players, --goals) or use smaller --sizes`,
    );
  }

  const roundTripMs: number[] = [];
  for (let i = 0; i < ROUND_TRIP_PROBES; i++) {
    const t0 = performance.now();
    await client.query('SELECT 1');
    roundTripMs.push(performance.now() - t0);
  }

  const deadTuplesBefore = await deadTuples(client, table);
  const flushers: Flusher[] = [];
  const twinFlushers: Flusher[] = [];
  const ceiling: Ceiling[] = [];
  try {
    for (const sampler of samplers)
      flushers.push({ client: await connectClient(session.url, session.schema), sampler });
    if (twin !== undefined)
      for (const sampler of twinSamplers)
        twinFlushers.push({ client: await connectClient(twin.url, session.schema), sampler });
    /** The flushers a variant runs on: a `_base` variant on the twin server, when there is one. */
    const flushersOf = (variant: SqlVariant) =>
      twin !== undefined && variant.name.endsWith(BASE_SUFFIX) ? twinFlushers : flushers;
    const tools: CostTools | undefined =
      settings.costMs > 0
        ? await costTools(
            client,
            table,
            flushers.map((f) => f.client),
            hooks.serverTimeMs,
          )
        : undefined;
    // The ceiling is the cheapest form's (UPDATE ... FROM unnest), whatever variants are swept.
    const ceilingVariant =
      tools !== undefined && settings.ceilingRows > 0
        ? variantFor(await loadVariant('join'), table)
        : undefined;
    const modes = settings.statements;
    const runOne = async (
      f: Flusher,
      variant: SqlVariant,
      size: number,
      statement: StatementMode,
    ) => {
      const increments = f.sampler.batch(size);
      const t0 = performance.now();
      const batch = serializeBatch(increments);
      const t1 = performance.now();
      const { rowsUpdated } = await executeBatch(f.client, variant, batch, {
        prepared: statement === 'prepared',
      });
      const t2 = performance.now();
      if (rowsUpdated !== size) {
        throw new Error(
          `${variant.name} (${statement}) updated ${rowsUpdated} rows of a ${size}-row batch of distinct updatable rows`,
        );
      }
      return { wall: t2 - t0, prep: t1 - t0 };
    };

    const warmupSize = Math.min(100, largest);
    for (let w = 0; w < settings.warmupBatches; w++) {
      for (const variant of variants) {
        for (const mode of modes)
          await Promise.all(flushersOf(variant).map((f) => runOne(f, variant, warmupSize, mode)));
      }
    }

    hooks.onTimedStart?.();
    let explains = 0;
    const cells: CellMeasurement[] = [];
    const bySize: { size: number; cells: { variant: SqlVariant; cell: CellMeasurement }[] }[] = [];
    const cellsPerSize = variants.length * modes.length;
    const total = settings.sizes.length * cellsPerSize;
    for (const [sizeIndex, size] of settings.sizes.entries()) {
      if (settings.vacuumBetweenSizes && sizeIndex > 0) await client.query(`VACUUM ${table.sql}`);
      const sizeCells: { variant: SqlVariant; cell: CellMeasurement }[] = [];
      for (const variant of variants) {
        for (const statement of modes) {
          const cell: CellMeasurement = {
            variant: variant.name,
            size,
            statement,
            samplesMs: [],
            prepMs: [],
            elapsedMs: 0,
            rows: 0,
            explain: [],
          };
          sizeCells.push({ variant, cell });
          cells.push(cell);
        }
      }
      const finished = (c: CellMeasurement) =>
        c.samplesMs.length >= settings.minSamples && c.elapsedMs >= settings.minTimeMs;
      hooks.onProgress?.(sizeIndex * cellsPerSize, total, `${size} rows`);
      const groups = twinGroups(sizeCells);
      for (let round = 0; !sizeCells.every(({ cell }) => finished(cell)); round++) {
        for (let g = 0; g < groups.length; g++) {
          const group = groups[(round + g) % groups.length] as (typeof groups)[number];
          // Twins keep going together until both are done, so every round pairs them.
          if (group.every(({ cell }) => finished(cell))) continue;
          for (const { variant, cell } of round % 2 === 0 ? group : [...group].reverse()) {
            const t0 = performance.now();
            const results = await Promise.all(
              flushersOf(variant).map((f) => runOne(f, variant, size, cell.statement)),
            );
            cell.elapsedMs += performance.now() - t0;
            cell.rows += size * flushers.length;
            for (const r of results) {
              cell.samplesMs.push(r.wall);
              cell.prepMs.push(r.prep);
            }
            if (finished(cell)) {
              hooks.onProgress?.(
                sizeIndex * cellsPerSize + sizeCells.filter((c) => finished(c.cell)).length,
                total,
                `${size} rows`,
              );
            }
          }
        }
      }
      for (let run = 0; run < settings.explainRuns; run++) {
        for (const { variant, cell } of sizeCells) {
          if (cell.statement !== 'unprepared' && modes.includes('unprepared')) continue;
          const explainer = flushersOf(variant)[0] as Flusher;
          explains++;
          cell.explain.push(
            await explainBatch(
              explainer.client,
              variant,
              serializeBatch(explainer.sampler.batch(size)),
            ),
          );
        }
      }
      bySize.push({ size, cells: sizeCells });
    }
    // What each cell costs the server, after every timing: cost passes and ceilings add
    // updates (dead tuples, autovacuum) that must not reach the timed rounds of a later size.
    await hooks.onTimedDone?.();
    if (tools !== undefined) {
      for (const { size, cells: sizeCells } of bySize) {
        for (const { variant, cell } of sizeCells) {
          cell.cost = await costPass(
            tools,
            variant.name,
            async () => {
              await Promise.all(flushers.map((f) => runOne(f, variant, size, cell.statement)));
            },
            size * flushers.length,
            settings.costMs,
          );
        }
        if (ceilingVariant !== undefined) {
          // As many loops as flushers, each over its own flusher's rows.
          const perFlusher = Math.ceil(
            ceilingBatchCount(size, settings.ceilingRows) / flushers.length,
          );
          ceiling.push(
            await measureCeiling(
              flushers.map((f) => ({
                client: f.client,
                batches: Array.from({ length: perFlusher }, () =>
                  serializeBatch(f.sampler.batch(size)),
                ),
              })),
              client,
              table,
              ceilingVariant,
              tools.views,
            ),
          );
        }
      }
    }
    return {
      seed: {
        rows: seeded.rows,
        ms: seeded.ms,
        rowsPerSecond: seeded.rowsPerSecond,
        updatableRows: all.capacity,
      },
      cells,
      roundTripMs,
      explains,
      deadTuplesBefore,
      ceiling,
      ...(tools !== undefined && 'unavailable' in tools.cpu
        ? {
            costNote:
              hooks.serverTimeMs === undefined
                ? `CPU per row not measured: ${tools.cpu.unavailable}, and pg_stat_statements is not installed`
                : `per-row time is pg_stat_statements' planning + execution (waits included), not CPU: ${tools.cpu.unavailable}`,
          }
        : {}),
    };
  } finally {
    await Promise.all([...flushers, ...twinFlushers].map((f) => f.client.end()));
  }
}

/**
 * The cells of one size in the groups a round runs back to back: a variant and its base twin
 * (`join` and `join_base` in a paired A/B sweep) together, taking turns at going first, so
 * that whatever slows one batch slows its twin's too; every other cell alone. Rounds rotate
 * over the groups.
 */
function twinGroups<T extends { variant: SqlVariant; cell: CellMeasurement }>(
  cells: readonly T[],
): T[][] {
  const groups = new Map<string, T[]>();
  for (const c of cells) {
    const key = `${c.variant.name.endsWith(BASE_SUFFIX) ? c.variant.name.slice(0, -BASE_SUFFIX.length) : c.variant.name}|${c.cell.statement}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()];
}
