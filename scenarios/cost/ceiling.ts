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
import type { TargetTable } from '../../sut/db/target-table.ts';
import { backendCpu } from './backend-cpu.ts';
import { rowCost, type RowCost } from './cost-per-row.ts';
import { flushStatistics, readDbCounters, type CounterViews } from './db-counters.ts';

/**
 * The most rows per second this server applies these increments at with nothing of the
 * harness in the loop: the batches are loaded into a temporary table first, then one DO
 * block on the server runs the UPDATE ... FROM unnest form over each in turn, a transaction
 * (and a WAL flush) per batch as the service's flushes, with its plan cached as a prepared
 * statement's. No round trip, no parsing, no client: what is left is PostgreSQL's own cost.
 */
export interface Ceiling {
  readonly size: number;
  readonly batches: number;
  readonly cost: RowCost;
}

/** Enough batches for about `rows` rows, at least 20, so every size measures a while. */
export function ceilingBatchCount(size: number, rows = 20_000): number {
  return Math.max(20, Math.ceil(rows / size));
}

/**
 * Measures the ceiling at one batch size. Everything it creates is temporary (the session's
 * pg_temp schema) and gone with the connection; the rows it updates are the harness's own
 * table's, drawn by the caller.
 */
export async function measureCeiling(
  client: pg.ClientBase,
  table: TargetTable,
  variant: SqlVariant,
  batches: readonly SerializedBatch[],
  views: CounterViews,
): Promise<Ceiling> {
  const size = batches[0]?.size ?? 0;
  if (size === 0 || batches.some((b) => b.size !== size))
    throw new Error('a ceiling needs batches of one size, at least one row each');
  const tag = `c${randomBytes(6).toString('hex')}`;
  const body = variant.sql.trim().replace(/;\s*$/, '');
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
  const loop = `DO $${tag}$
    DECLARE b record; total bigint := 0;
    BEGIN
      FOR b IN SELECT * FROM pg_temp.harness_ceiling_batches ORDER BY i LOOP
        total := total + pg_temp.harness_ceiling_apply(b.a1, b.a2, b.a3, b.a4, b.a5, b.a6, b.a7);
        COMMIT;
      END LOOP;
      INSERT INTO pg_temp.harness_ceiling_result VALUES (total);
    END $${tag}$`;
  const cpu = await backendCpu([client]);
  await flushStatistics(client, views);
  const before = await readDbCounters(client, table, views);
  const cpuBefore = 'read' in cpu ? await cpu.read() : 0;
  const t0 = performance.now();
  await client.query(loop);
  const seconds = (performance.now() - t0) / 1000;
  const cpuAfter = 'read' in cpu ? await cpu.read() : 0;
  await flushStatistics(client, views);
  const after = await readDbCounters(client, table, views);
  const { rows } = await client.query<{ rows: string }>(
    'SELECT rows FROM pg_temp.harness_ceiling_result',
  );
  const updated = Number(rows[0]?.rows ?? 0);
  const expected = size * batches.length;
  if (updated !== expected)
    throw new Error(
      `the ceiling's ${batches.length} batches of ${size} rows updated ${updated} rows, not ${expected}: the batches must name distinct, existing, active rows`,
    );
  await client.query('TRUNCATE pg_temp.harness_ceiling_batches');
  return {
    size,
    batches: batches.length,
    cost: rowCost(before, after, {
      rows: updated,
      seconds,
      ...('read' in cpu ? { cpuUs: (cpuAfter - cpuBefore) / 1000, cpuSource: 'backends' } : {}),
    }),
  };
}

/**
 * The ceiling at a run's mean flush size, on the rows the run's table holds: drawn at random
 * (distinct in each batch, as a flush's are), about `rows` rows in all.
 */
export async function measureCeilingAt(
  client: pg.ClientBase,
  table: TargetTable,
  size: number,
  views: CounterViews,
  options: { readonly seed: number; readonly rows?: number },
): Promise<Ceiling> {
  const sampler = await RowSampler.load(
    client,
    await loadCatalogue(),
    createRandom(options.seed),
    table,
  );
  const batchSize = Math.min(size, sampler.capacity);
  const batches = Array.from({ length: ceilingBatchCount(batchSize, options.rows) }, () =>
    serializeBatch(sampler.batch(batchSize)),
  );
  return measureCeiling(
    client,
    table,
    variantFor(await loadVariant('join'), table),
    batches,
    views,
  );
}
