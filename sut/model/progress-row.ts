/**
 * A `TIMESTAMP` as PostgreSQL stores it in this table: UTC wall time with microseconds,
 * `YYYY-MM-DD HH:MM:SS.ffffff`. Kept as text so that comparisons with the database are
 * exact (a JS Date would drop the microseconds).
 */
export type PgTimestamp = string;

export const GOAL_STATUSES = ['not_started', 'in_progress', 'completed', 'claimed'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

/** One row of `user_goal_progress`. */
export interface ProgressRow {
  readonly userId: string;
  readonly goalId: string;
  readonly challengeId: string;
  readonly namespace: string;
  readonly progress: number;
  readonly status: GoalStatus;
  readonly completedAt: PgTimestamp | null;
  readonly claimedAt: PgTimestamp | null;
  readonly createdAt: PgTimestamp;
  readonly updatedAt: PgTimestamp;
  readonly isActive: boolean;
  readonly assignedAt: PgTimestamp | null;
  readonly expiresAt: PgTimestamp | null;
}

export function rowKey(userId: string, goalId: string): string {
  return `${userId}\u0000${goalId}`;
}

/** Formats a JS time as a PgTimestamp (UTC); `micros` adds the sub-millisecond part. */
export function toPgTimestamp(ms: number, micros = 0): PgTimestamp {
  const iso = new Date(ms).toISOString(); // 2026-11-28T12:34:56.789Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(micros).padStart(3, '0')}`;
}

/** The UTC calendar date of a PgTimestamp. */
export function utcDate(ts: PgTimestamp): string {
  return ts.slice(0, 10);
}
