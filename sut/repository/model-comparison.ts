import type pg from 'pg';
import { applyIncrementsToModel } from '../model/progress-model.ts';
import { rowKey, type PgTimestamp, type ProgressRow } from '../model/progress-row.ts';
import { insertProgressRows, readProgressRows } from '../db/progress-table.ts';
import type { SqlVariant } from '../sql/variant-registry.ts';
import { applyBatch, type ApplyBatchOptions } from './batch-increment-repository.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';

/** The database's current time as a PgTimestamp, the clock every fixture is placed against. */
export async function databaseNow(client: pg.ClientBase): Promise<PgTimestamp> {
  const { rows } = await client.query<{ now: string }>(
    `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS now`,
  );
  return (rows[0] as { now: string }).now;
}

/** Instants relative to the database's clock, for fixtures that depend on the UTC date. */
export interface Timeline {
  /** Midnight UTC today: on the same UTC date as now, whatever the time of day. */
  readonly startOfToday: PgTimestamp;
  /** 23:59 UTC yesterday: one minute short of today's date. */
  readonly lateYesterday: PgTimestamp;
  readonly lastWeek: PgTimestamp;
}

export async function timeline(client: pg.ClientBase): Promise<Timeline> {
  const { rows } = await client.query<Record<keyof Timeline, string>>(
    `SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS.US') AS "startOfToday",
            to_char(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 minute', 'YYYY-MM-DD HH24:MI:SS.US') AS "lateYesterday",
            to_char(now() AT TIME ZONE 'UTC' - interval '7 days', 'YYYY-MM-DD HH24:MI:SS.US') AS "lastWeek"`,
  );
  return rows[0] as Timeline;
}

export interface Comparison {
  readonly database: Map<string, ProgressRow>;
  readonly model: Map<string, ProgressRow>;
  readonly databaseRowsUpdated: number;
  readonly modelRowsUpdated: number;
}

/**
 * Loads `rows` into an empty table, applies `batch` with the variant, and applies it to the
 * reference model with the transaction's own NOW() as the clock (read back from the rows
 * the UPDATE stamped), so the two states can be compared exactly.
 */
export async function applyWithModel(
  client: pg.ClientBase,
  variant: SqlVariant,
  rows: readonly ProgressRow[],
  batch: readonly ProgressIncrement[],
  options: ApplyBatchOptions = {},
): Promise<Comparison> {
  await client.query('TRUNCATE user_goal_progress');
  await insertProgressRows(client, rows);
  const before = await databaseNow(client);
  const { rowsUpdated } = await applyBatch(client, variant, batch, options);
  const database = await readProgressRows(client);
  const stamped = [...database.values()].map((r) => r.updatedAt).filter((t) => t >= before);
  const transactionNow = stamped.length > 0 ? stamped.reduce((a, b) => (a > b ? a : b)) : before;
  const model = applyIncrementsToModel(
    new Map(rows.map((r) => [rowKey(r.userId, r.goalId), r])),
    batch,
    () => transactionNow,
  );
  return {
    database,
    model: model.rows,
    databaseRowsUpdated: rowsUpdated,
    modelRowsUpdated: model.rowsUpdated,
  };
}
