import type { ProgressIncrement } from './progress-increment.ts';
import { rowKey, utcDate, type PgTimestamp, type ProgressRow } from './progress-row.ts';

/** The database's `NOW()`: one value for a whole transaction. Injected so tests control it. */
export type Clock = () => PgTimestamp;

export interface ModelResult {
  readonly rows: Map<string, ProgressRow>;
  readonly rowsUpdated: number;
}

/**
 * The increment rules of docs/production-system.md as a pure function, the yardstick for every SQL
 * variant:
 * - rows that do not exist, are inactive or are claimed are left alone;
 * - a regular increment adds delta; a daily one adds it only if the row was not updated
 *   on the same UTC date as now, and otherwise keeps progress, status and completed_at;
 * - status becomes `completed` when the new progress reaches the target, else `in_progress`;
 * - completed_at is set to now the first time the goal completes, never moved after;
 * - updated_at becomes now on every touched row (a same-day daily increment touches it too).
 * The input map is not modified.
 */
export function applyIncrementsToModel(
  rows: ReadonlyMap<string, ProgressRow>,
  increments: readonly ProgressIncrement[],
  clock: Clock,
): ModelResult {
  const now = clock();
  const next = new Map(rows);
  let rowsUpdated = 0;
  for (const inc of increments) {
    const key = rowKey(inc.userId, inc.goalId);
    const row = next.get(key);
    if (row === undefined || !row.isActive || row.status === 'claimed') continue;
    rowsUpdated++;
    if (inc.isDaily && utcDate(row.updatedAt) === utcDate(now)) {
      next.set(key, { ...row, updatedAt: now });
      continue;
    }
    const progress = row.progress + inc.delta;
    const completed = progress >= inc.targetValue;
    next.set(key, {
      ...row,
      progress,
      status: completed ? 'completed' : 'in_progress',
      completedAt: completed && row.completedAt === null ? now : row.completedAt,
      updatedAt: now,
    });
  }
  return { rows: next, rowsUpdated };
}
