import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  serializeBatch,
  type SerializedBatch,
} from '../../sut/repository/batch-increment-repository.ts';
import { loadVariant, variantFor, type SqlVariant } from '../../sut/sql/variant-registry.ts';
import { RowSampler } from '../../sut/db/row-sampler.ts';
import { createRandom } from '../../sut/db/random.ts';
import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { connectClient } from '../../sut/db/pool.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { backendCpu } from './backend-cpu.ts';
import { keepRows } from './rows-restore.ts';
import { rowCost, type RowCost } from './cost-per-row.ts';
import { flushStatistics, readDbCounters, type CounterViews } from './db-counters.ts';

/**
 * The most rows per second this server applies these increments at with nothing of the
 * harness in the loop: the batches are loaded into a temporary table first, then one DO
 * block on the server runs the UPDATE ... FROM unnest form over each in turn, a transaction
 * (and a WAL flush) per batch as the service's flushes, with its plan cached as a prepared
 * statement's. No round trip, no parsing, no client: what is left is PostgreSQL's own cost,
 * at the same number of sessions at once as the work it is compared with.
 */
export interface Ceiling {
  readonly size: number;
  readonly batches: number;
  /** Loops run at once, one per connection: the flushers or partitions it stands for. */
  readonly sessions: number;
  readonly cost: RowCost;
}

/** Enough batches for about `rows` rows, at least 20, so every size measures a while. */
export function ceilingBatchCount(size: number, rows = 20_000): number {
  return Math.max(20, Math.ceil(rows / size));
}

/**
 * Measures the ceiling at one batch size, one loop per connection in `sessions` at once
 * (as many as the flushes it stands for run in parallel), each over its own `batches`.
 * Everything it creates is temporary (each session's pg_temp schema) and gone with the
 * connection; the rows it updates are the harness's own table's, drawn by the caller, and
 * disjoint between sessions so that no loop waits on another's row locks.
 */
export async function measureCeiling(
  sessions: readonly {
    readonly client: pg.ClientBase;
    readonly batches: readonly SerializedBatch[];
  }[],
  counters: pg.ClientBase,
  table: TargetTable,
  variant: SqlVariant,
  views: CounterViews,
): Promise<Ceiling> {
  const all = sessions.flatMap((s) => s.batches);
  const size = all[0]?.size ?? 0;
  if (size === 0 || all.some((b) => b.size !== size))
    throw new Error('a ceiling needs batches of one size, at least one row each');
  const tag = `c${randomBytes(6).toString('hex')}`;
  const body = variant.sql.trim().replace(/;\s*$/, '');
  for (const { client, batches } of sessions) {
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS harness_ceiling_batches (i int, a1 text, a2 text, a3 text, a4 text, a5 text, a6 text, a7 text)`,
    );
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS harness_ceiling_result (rows bigint)`);
    await client.query('TRUNCATE pg_temp.harness_ceiling_batches, pg_temp.harness_ceiling_result');
    for (const [i, b] of batches.entries())
      await client.query(
        'INSERT INTO pg_temp.harness_ceiling_batches VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [i, ...b.values],
      );
    // In PL/pgSQL $1..$7 are the function's parameters, so the variant's text runs unchanged,
    // as a static statement whose plan the function keeps.
    await client.query(
      `CREATE OR REPLACE FUNCTION pg_temp.harness_ceiling_apply(text, text, text, text, text, text, text)
         RETURNS bigint LANGUAGE plpgsql AS $${tag}$
       DECLARE n bigint;
       BEGIN
         ${body};
         GET DIAGNOSTICS n = ROW_COUNT;
         RETURN n;
       END $${tag}$`,
    );
  }
  const loop = `DO $${tag}$
    DECLARE b record; total bigint := 0;
    BEGIN
      FOR b IN SELECT * FROM pg_temp.harness_ceiling_batches ORDER BY i LOOP
        total := total + pg_temp.harness_ceiling_apply(b.a1, b.a2, b.a3, b.a4, b.a5, b.a6, b.a7);
        COMMIT;
      END LOOP;
      INSERT INTO pg_temp.harness_ceiling_result VALUES (total);
    END $${tag}$`;
  const clients = sessions.map((s) => s.client);
  const cpu = await backendCpu(clients);
  for (const c of clients) await flushStatistics(c, views);
  const before = await readDbCounters(counters, table, views);
  const cpuBefore = 'read' in cpu ? await cpu.read() : 0;
  const t0 = performance.now();
  await Promise.all(clients.map((c) => c.query(loop)));
  const seconds = (performance.now() - t0) / 1000;
  const cpuAfter = 'read' in cpu ? await cpu.read() : 0;
  for (const c of clients) await flushStatistics(c, views);
  const after = await readDbCounters(counters, table, views);
  let updated = 0;
  for (const c of clients) {
    const { rows } = await c.query<{ rows: string }>(
      'SELECT rows FROM pg_temp.harness_ceiling_result',
    );
    updated += Number(rows[0]?.rows ?? 0);
    await c.query('TRUNCATE pg_temp.harness_ceiling_batches');
  }
  const expected = size * all.length;
  if (updated !== expected)
    throw new Error(
      `the ceiling's ${all.length} batches of ${size} rows updated ${updated} rows, not ${expected}: the batches must name distinct, existing, active rows`,
    );
  return {
    size,
    batches: all.length,
    sessions: sessions.length,
    cost: rowCost(before, after, {
      rows: updated,
      seconds,
      ...('read' in cpu ? { cpuUs: (cpuAfter - cpuBefore) / 1000, cpuSource: 'backends' } : {}),
    }),
  };
}

/**
 * The ceiling at a run's mean flush size, on the rows the run's table holds, with as many
 * sessions as the service flushes in parallel (its partitions): each draws its own players'
 * rows at random (distinct in each batch, as a flush's are), about `rows` rows in all.
 */
export async function measureCeilingAt(
  target: { readonly url: string; readonly schema: string; readonly client: pg.ClientBase },
  table: TargetTable,
  size: number,
  views: CounterViews,
  options: { readonly seed: number; readonly rows: number; readonly sessions: number },
): Promise<Ceiling> {
  const samplers = (
    await RowSampler.load(target.client, await loadCatalogue(), createRandom(options.seed), table)
  ).splitByPlayer(options.sessions, (i) => createRandom(options.seed + 1 + i));
  const capacity = Math.min(...samplers.map((s) => s.capacity));
  if (capacity < 1)
    throw new Error(
      `the table has no updatable rows for ${options.sessions} sessions to draw from`,
    );
  const batchSize = Math.min(size, capacity);
  const perSession = Math.max(
    1,
    Math.ceil(ceilingBatchCount(batchSize, options.rows) / options.sessions),
  );
  const drawn = samplers.map((sampler) =>
    Array.from({ length: perSession }, () => sampler.batch(batchSize)),
  );
  // The rows it updates are put back after: the table stays as the run's audit found it.
  const restore = await keepRows(target.client, table, drawn.flat(2));
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < options.sessions; i++)
      clients.push(await connectClient(target.url, target.schema));
    return await measureCeiling(
      clients.map((client, i) => ({
        client,
        batches: (drawn[i] ?? []).map((batch) => serializeBatch(batch)),
      })),
      target.client,
      table,
      variantFor(await loadVariant('join'), table),
      views,
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await restore();
  }
}
