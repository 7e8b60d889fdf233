import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { TargetTable } from '../../sut/db/target-table.ts';

/** The columns a flush changes: what a restore puts back. */
const FLUSHED_COLUMNS = ['progress', 'status', 'completed_at', 'updated_at'] as const;

/**
 * Keeps a copy of some rows of the table (in the session's temporary schema) and puts them
 * back as they were: the ceiling is measured on the run's table after its audit, and its
 * updates are undone so that the table stays as the audit (and its ledger) found it, for
 * anyone who checks the ledger against the database (`harness audit --db`).
 */
export async function keepRows(
  client: pg.ClientBase,
  table: TargetTable,
  keys: readonly { readonly userId: string; readonly goalId: string }[],
): Promise<() => Promise<void>> {
  const copy = `kept_${randomBytes(6).toString('hex')}`;
  await client.query({
    text: `CREATE TEMP TABLE ${copy} AS
             SELECT p.user_id, p.goal_id, ${FLUSHED_COLUMNS.map((c) => `p.${c}`).join(', ')}
               FROM ${table.sql} AS p
               JOIN (SELECT DISTINCT u, g FROM unnest($1::text[], $2::text[]) AS k(u, g)) AS k
                 ON p.user_id = k.u AND p.goal_id = k.g`,
    values: [keys.map((k) => k.userId), keys.map((k) => k.goalId)],
  });
  return async () => {
    await client.query(
      `UPDATE ${table.sql} AS p
          SET ${FLUSHED_COLUMNS.map((c) => `${c} = k.${c}`).join(', ')}
         FROM ${copy} AS k
        WHERE p.user_id = k.user_id AND p.goal_id = k.goal_id`,
    );
    await client.query(`DROP TABLE ${copy}`);
  };
}
