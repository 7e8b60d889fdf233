import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { StalePositionError } from '../buffer/batch-writer.ts';
import { loadCatalogue, type GoalCatalogue } from '../catalogue/goal-catalogue.ts';
import { seedProgress } from '../db/seeder.ts';
import { readProgressRows } from '../db/progress-table.ts';
import { loadVariant } from '../sql/variant-registry.ts';
import { OffsetStore } from './offset-store.ts';
import { PostgresBatchWriter } from './postgres-batch-writer.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';

let db: TestDatabase;
let catalogue: GoalCatalogue;
beforeAll(async () => {
  db = await createTestDatabase();
  catalogue = await loadCatalogue();
  await seedProgress(db.client, {
    players: 5,
    goalsPerPlayer: 50,
    seed: 3,
    catalogue,
    shares: { inactive: 0, claimed: 0, completed: 0, dailyToday: 0 },
  });
});
afterAll(async () => {
  await db.drop();
});

async function oneRow(): Promise<{
  increment: ProgressIncrement;
  progress: () => Promise<number>;
}> {
  const rows = [...(await readProgressRows(db.client)).values()];
  const row = rows.find(
    (r) => !(catalogue.goals.find((g) => g.goalId === r.goalId)?.daily ?? true),
  );
  if (row === undefined) throw new Error('the seed has no regular goal row');
  const goal = catalogue.goals.find((g) => g.goalId === row.goalId);
  if (goal === undefined) throw new Error(`goal ${row.goalId} is not in the catalogue`);
  return {
    increment: {
      userId: row.userId,
      goalId: row.goalId,
      challengeId: row.challengeId,
      namespace: row.namespace,
      delta: 1,
      targetValue: goal.targetValue,
      isDaily: false,
    },
    progress: async () =>
      (
        await db.client.query<{ progress: number }>(
          'SELECT progress FROM user_goal_progress WHERE user_id = $1 AND goal_id = $2',
          [row.userId, row.goalId],
        )
      ).rows[0]?.progress ?? Number.NaN,
  };
}

describe('offsets stored with the increments', () => {
  const scope = { group: 'g', topic: 'events' };

  it('a flush with a position commits the increments and the offset together', async () => {
    const { increment, progress } = await oneRow();
    const offsets = new OffsetStore(scope);
    const writer = new PostgresBatchWriter({
      url: db.url,
      variant: await loadVariant('join'),
      prepared: false,
      offsets: offsets,
    });
    try {
      expect(await offsets.claim(db.client, 0)).toBeNull();
      const was = await progress();
      await writer.write(0, [{ ...increment, delta: 4 }], { kind: 'log', nextOffset: 10 });
      expect(await progress()).toBe(was + 4);
      expect(await offsets.claim(db.client, 0)).toBe(10);
      // Only the position moved (dead-lettered records): no increments, the offset still advances.
      await writer.write(0, [], { kind: 'log', nextOffset: 12 });
      expect(await offsets.claim(db.client, 0)).toBe(12);
    } finally {
      await writer.close();
    }
  });

  it("a stale owner's flush is refused whole: neither its increments nor its offset land", async () => {
    const { increment, progress } = await oneRow();
    const variant = await loadVariant('join');
    const oldOwner = new OffsetStore(scope);
    const newOwner = new OffsetStore(scope);
    const oldWriter = new PostgresBatchWriter({
      url: db.url,
      variant: variant,
      prepared: false,
      offsets: oldOwner,
    });
    const newWriter = new PostgresBatchWriter({
      url: db.url,
      variant: variant,
      prepared: false,
      offsets: newOwner,
    });
    try {
      const start = await oldOwner.claim(db.client, 1);
      // The partition moves: the new owner reads the same stored offset and flushes first.
      expect(await newOwner.claim(db.client, 1)).toBe(start);
      const was = await progress();
      await newWriter.write(1, [{ ...increment, delta: 2 }], { kind: 'log', nextOffset: 50 });
      await expect(
        oldWriter.write(1, [{ ...increment, delta: 100 }], { kind: 'log', nextOffset: 40 }),
      ).rejects.toBeInstanceOf(StalePositionError);
      expect(await progress()).toBe(was + 2);
      expect(await newOwner.claim(db.client, 1)).toBe(50);
      // The old owner, once it claims again, writes from the stored position.
      expect(await oldOwner.claim(db.client, 1)).toBe(50);
      await oldWriter.write(1, [{ ...increment, delta: 1 }], { kind: 'log', nextOffset: 60 });
      expect(await progress()).toBe(was + 3);
    } finally {
      await oldWriter.close();
      await newWriter.close();
    }
  });

  it('a released partition cannot be written until it is claimed again', async () => {
    const { increment } = await oneRow();
    const offsets = new OffsetStore(scope);
    const writer = new PostgresBatchWriter({
      url: db.url,
      variant: await loadVariant('join'),
      prepared: false,
      offsets: offsets,
    });
    try {
      await offsets.claim(db.client, 2);
      offsets.release(2);
      await expect(
        writer.write(2, [increment], { kind: 'log', nextOffset: 1 }),
      ).rejects.toBeInstanceOf(StalePositionError);
    } finally {
      await writer.close();
    }
  });

  it("a stored offset already at the flush's own next offset means an earlier attempt committed: nothing is applied again", async () => {
    const { increment, progress } = await oneRow();
    const variant = await loadVariant('join');
    // Two stores that both expect the partition unapplied: the second stands for this
    // process after a COMMIT whose reply was lost (it never learnt the offset moved).
    const offsets = new OffsetStore(scope);
    const lostReply = new OffsetStore(scope);
    const writer = new PostgresBatchWriter({ url: db.url, variant, prepared: false, offsets });
    const retry = new PostgresBatchWriter({
      url: db.url,
      variant,
      prepared: false,
      offsets: lostReply,
    });
    try {
      await offsets.claim(db.client, 4);
      await lostReply.claim(db.client, 4);
      const was = await progress();
      const first = await writer.write(4, [increment], { kind: 'log', nextOffset: 30 });
      expect(first.alreadyApplied).toBe(false);
      const second = await retry.write(4, [increment], { kind: 'log', nextOffset: 30 });
      expect(second.alreadyApplied).toBe(true);
      expect(await progress()).toBe(was + 1);
      // ... and from now on it expects the new offset: its next flush goes through.
      await retry.write(4, [increment], { kind: 'log', nextOffset: 31 });
      expect(await progress()).toBe(was + 2);
    } finally {
      await writer.close();
      await retry.close();
    }
  });

  it('an HTTP flush leaves the offsets alone', async () => {
    const { increment, progress } = await oneRow();
    const writer = new PostgresBatchWriter({
      url: db.url,
      variant: await loadVariant('join'),
      prepared: false,
    });
    try {
      const was = await progress();
      const before = await db.client.query('SELECT * FROM kafka_offsets ORDER BY partition');
      await writer.write(3, [increment], { kind: 'sequence', seq: 1 });
      expect(await progress()).toBe(was + 1);
      expect(
        (await db.client.query('SELECT * FROM kafka_offsets ORDER BY partition')).rows,
      ).toEqual(before.rows);
    } finally {
      await writer.close();
    }
  });
});
