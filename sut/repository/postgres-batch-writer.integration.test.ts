import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { loadCatalogue, type GoalCatalogue } from '../catalogue/goal-catalogue.ts';
import { seedProgress } from '../db/seeder.ts';
import { readProgressRows } from '../db/progress-table.ts';
import { rowKey } from '../model/progress-row.ts';
import { loadVariant } from '../sql/variant-registry.ts';
import { PostgresBatchWriter } from './postgres-batch-writer.ts';
import { INT32_MAX, type ProgressIncrement } from '../model/progress-increment.ts';

let db: TestDatabase;
let catalogue: GoalCatalogue;
/** Active, unclaimed rows of regular (not daily) goals: every increment on them lands. */
let increments: ProgressIncrement[];
beforeAll(async () => {
  db = await createTestDatabase();
  catalogue = await loadCatalogue();
  await seedProgress(db.client, {
    players: 4,
    goalsPerPlayer: 50,
    seed: 9,
    catalogue,
    shares: { inactive: 0, claimed: 0, completed: 0, dailyToday: 0 },
  });
  const goals = new Map(catalogue.goals.map((g) => [g.goalId, g]));
  increments = [...(await readProgressRows(db.client)).values()]
    .filter((r) => goals.get(r.goalId)?.daily === false)
    .map((r) => ({
      userId: r.userId,
      goalId: r.goalId,
      challengeId: r.challengeId,
      namespace: r.namespace,
      delta: 1,
      targetValue: goals.get(r.goalId)?.targetValue ?? 1,
      isDaily: false,
    }));
});
afterAll(async () => {
  await db.drop();
});

async function progressOf(batch: readonly ProgressIncrement[]): Promise<number[]> {
  const rows = await readProgressRows(db.client);
  return batch.map((i) => rows.get(rowKey(i.userId, i.goalId))?.progress ?? Number.NaN);
}

describe('PostgresBatchWriter: the flush fence', () => {
  it('a retry of a committed flush (same sequence number) applies nothing', async () => {
    const writer = new PostgresBatchWriter({
      url: db.url,
      variant: await loadVariant('join'),
      prepared: false,
    });
    try {
      const batch = increments.slice(0, 20);
      const before = await progressOf(batch);
      const first = await writer.write(0, batch, { kind: 'sequence', seq: 1 });
      expect(first).toEqual({ rowsUpdated: 20, alreadyApplied: false, deadLetters: [] });
      const retry = await writer.write(0, batch, { kind: 'sequence', seq: 1 });
      expect(retry).toEqual({ rowsUpdated: 0, alreadyApplied: true, deadLetters: [] });
      expect(await progressOf(batch)).toEqual(before.map((p) => p + 1));
      // The next flush, and another partition's first, go through.
      await writer.write(0, batch, { kind: 'sequence', seq: 2 });
      await writer.write(1, batch, { kind: 'sequence', seq: 1 });
      expect(await progressOf(batch)).toEqual(before.map((p) => p + 3));
    } finally {
      await writer.close();
    }
  });

  it('unfenced (--no-flush-fence), the same retry applies the batch twice', async () => {
    const writer = new PostgresBatchWriter({
      url: db.url,
      variant: await loadVariant('join'),
      prepared: false,
      fenced: false,
    });
    try {
      const batch = increments.slice(20, 30);
      const before = await progressOf(batch);
      await writer.write(0, batch, { kind: 'sequence', seq: 1 });
      await writer.write(0, batch, { kind: 'sequence', seq: 1 });
      expect(await progressOf(batch)).toEqual(before.map((p) => p + 2));
    } finally {
      await writer.close();
    }
  });

  it('a retry waits for a first attempt still open, then sees it committed', async () => {
    const variant = await loadVariant('join');
    const writer = new PostgresBatchWriter({ url: db.url, variant, prepared: false });
    const batch = increments.slice(30, 35);
    const before = await progressOf(batch);
    // The first attempt, held open by hand: its claim of sequence 7 is not committed yet.
    const first = await (await import('../db/pool.ts')).connectClient(db.url);
    try {
      await first.query('BEGIN');
      await first.query('SELECT claim_flush($1, 3, 7)', [writer.instanceId]);
      const retry = writer.write(3, batch, { kind: 'sequence', seq: 7 });
      await new Promise((r) => setTimeout(r, 300));
      await first.query('COMMIT');
      expect(await retry).toMatchObject({ alreadyApplied: true });
      expect(await progressOf(batch)).toEqual(before);
    } finally {
      await first.end();
      await writer.close();
    }
  });
});

describe('PostgresBatchWriter: its connections', () => {
  it('ask the server to give up on a silent client within about 25 s', async () => {
    const writer = new PostgresBatchWriter({
      url: db.url,
      variant: await loadVariant('join'),
      prepared: true,
    });
    try {
      const connection = await writer.connection(2);
      const { rows } = await connection.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings
         WHERE name IN ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count')
         ORDER BY name`,
      );
      // Over TCP; on a Unix socket the server ignores them (and reports 0).
      expect(rows).toEqual([
        { name: 'tcp_keepalives_count', setting: '3' },
        { name: 'tcp_keepalives_idle', setting: '10' },
        { name: 'tcp_keepalives_interval', setting: '5' },
      ]);
      // A prepared flush on the same connection goes through after it.
      expect(
        await writer.write(2, increments.slice(35, 40), { kind: 'sequence', seq: 1 }),
      ).toMatchObject({ rowsUpdated: 5, alreadyApplied: false });
    } finally {
      await writer.close();
    }
  });
});

describe('PostgresBatchWriter: increments the database refuses', () => {
  it.each(['join', 'cte', 'correlated'])(
    '%s: a progress that would pass INT is set aside in dead_letters; the rest of the batch lands',
    async (name) => {
      const writer = new PostgresBatchWriter({
        url: db.url,
        variant: await loadVariant(name),
        prepared: false,
      });
      try {
        const batch = increments.slice(40, 57).map((i) => ({ ...i }));
        const before = await progressOf(batch);
        // Rows 3 and 11 already hold progress: INT's largest value on top passes INT.
        for (const k of [3, 11])
          batch[k] = { ...(batch[k] as ProgressIncrement), delta: INT32_MAX };
        await db.client.query(
          'UPDATE user_goal_progress SET progress = progress + 1 WHERE (user_id, goal_id) IN (($1, $2), ($3, $4))',
          [batch[3]?.userId, batch[3]?.goalId, batch[11]?.userId, batch[11]?.goalId],
        );
        const outcome = await writer.write(2, batch, { kind: 'sequence', seq: 1 });
        expect(outcome.rowsUpdated).toBe(15);
        expect(outcome.deadLetters.map((d) => [d.increment.goalId, d.sqlstate])).toEqual([
          [batch[3]?.goalId, '22003'],
          [batch[11]?.goalId, '22003'],
        ]);
        // Rows 3 and 11: the +1 by hand and nothing from the flush; the others: the flush's 1.
        expect(await progressOf(batch)).toEqual(before.map((p) => p + 1));
        const { rows } = await db.client.query<{
          goal_id: string;
          delta: string;
          sqlstate: string;
        }>(
          `SELECT goal_id, delta, sqlstate FROM dead_letters WHERE partition = 2 ORDER BY id DESC LIMIT 2`,
        );
        expect(rows.map((r) => [r.goal_id, Number(r.delta), r.sqlstate]).sort()).toEqual(
          [
            [batch[3]?.goalId, INT32_MAX, '22003'],
            [batch[11]?.goalId, INT32_MAX, '22003'],
          ].sort(),
        );
        await db.client.query('DELETE FROM dead_letters');
      } finally {
        await writer.close();
      }
    },
  );

  it('an increment no flush can write (a NUL in an id) is set aside before any SQL runs', async () => {
    const writer = new PostgresBatchWriter({
      url: db.url,
      variant: await loadVariant('join'),
      prepared: false,
    });
    try {
      const batch = increments.slice(60, 64);
      const before = await progressOf(batch);
      const poisoned = { ...(batch[0] as ProgressIncrement), userId: 'bad\u0000id' };
      const outcome = await writer.write(5, [poisoned, ...batch.slice(1)], {
        kind: 'sequence',
        seq: 1,
      });
      expect(outcome.rowsUpdated).toBe(3);
      expect(outcome.deadLetters[0]?.problem).toMatch(/NUL character/);
      expect(await progressOf(batch)).toEqual([before[0], ...before.slice(1).map((p) => p + 1)]);
    } finally {
      await writer.close();
    }
  });
});
