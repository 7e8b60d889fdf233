import type pg from 'pg';
import {
  rowKey,
  type GoalStatus,
  type PgTimestamp,
  type ProgressRow,
} from '../model/progress-row.ts';

const TS = (column: string) => `to_char(${column}, 'YYYY-MM-DD HH24:MI:SS.US') AS ${column}`;

interface RawRow {
  user_id: string;
  goal_id: string;
  challenge_id: string;
  namespace: string;
  progress: number;
  status: GoalStatus;
  completed_at: PgTimestamp | null;
  claimed_at: PgTimestamp | null;
  created_at: PgTimestamp;
  updated_at: PgTimestamp;
  is_active: boolean;
  assigned_at: PgTimestamp | null;
  expires_at: PgTimestamp | null;
}

/** Reads the whole table (or the named users' rows) with timestamps to the microsecond. */
export async function readProgressRows(
  client: pg.ClientBase,
  userIds?: readonly string[],
): Promise<Map<string, ProgressRow>> {
  const where = userIds === undefined ? '' : 'WHERE user_id = ANY($1::VARCHAR(100)[])';
  const { rows } = await client.query<RawRow>(
    `SELECT user_id, goal_id, challenge_id, namespace, progress, status, ${TS('completed_at')}, ${TS('claimed_at')},
            ${TS('created_at')}, ${TS('updated_at')}, is_active, ${TS('assigned_at')}, ${TS('expires_at')}
       FROM user_goal_progress ${where}`,
    userIds === undefined ? [] : [userIds],
  );
  return new Map(
    rows.map((r) => [
      rowKey(r.user_id, r.goal_id),
      {
        userId: r.user_id,
        goalId: r.goal_id,
        challengeId: r.challenge_id,
        namespace: r.namespace,
        progress: r.progress,
        status: r.status,
        completedAt: r.completed_at,
        claimedAt: r.claimed_at,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        isActive: r.is_active,
        assignedAt: r.assigned_at,
        expiresAt: r.expires_at,
      },
    ]),
  );
}

/** Inserts rows as given, timestamps included (for tests and fixtures; the seeder uses COPY). */
export async function insertProgressRows(
  client: pg.ClientBase,
  rows: readonly ProgressRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (r: ProgressRow) => T) => rows.map(pick);
  await client.query(
    `INSERT INTO user_goal_progress (user_id, goal_id, challenge_id, namespace, progress, status, completed_at,
        claimed_at, created_at, updated_at, is_active, assigned_at, expires_at)
     SELECT * FROM UNNEST($1::VARCHAR(100)[], $2::VARCHAR(100)[], $3::VARCHAR(100)[], $4::VARCHAR(100)[], $5::INT[],
        $6::VARCHAR(20)[], $7::TIMESTAMP[], $8::TIMESTAMP[], $9::TIMESTAMP[], $10::TIMESTAMP[], $11::BOOLEAN[],
        $12::TIMESTAMP[], $13::TIMESTAMP[])`,
    [
      col((r) => r.userId),
      col((r) => r.goalId),
      col((r) => r.challengeId),
      col((r) => r.namespace),
      col((r) => r.progress),
      col((r) => r.status),
      col((r) => r.completedAt),
      col((r) => r.claimedAt),
      col((r) => r.createdAt),
      col((r) => r.updatedAt),
      col((r) => r.isActive),
      col((r) => r.assignedAt),
      col((r) => r.expiresAt),
    ],
  );
}
