import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { readProgressRows } from '../db/progress-table.ts';
import { rowKey, type ProgressRow } from '../model/progress-row.ts';
import { increment, progressRow } from '../../scripts/testing/row-fixtures.ts';
import { listVariantNames, loadVariant, type SqlVariant } from '../sql/variant-registry.ts';
import { applyBatch } from './batch-increment-repository.ts';
import { applyWithModel, timeline, type Timeline } from './model-comparison.ts';
import { InvalidBatchError, type ProgressIncrement } from '../model/progress-increment.ts';

const variantNames = await listVariantNames();

let db: TestDatabase;
let t: Timeline;
beforeAll(async () => {
  db = await createTestDatabase();
  t = await timeline(db.client);
});
afterAll(async () => {
  await db.drop();
});

function byKey(rows: Map<string, ProgressRow>, userId: string, goalId: string): ProgressRow {
  const row = rows.get(rowKey(userId, goalId));
  if (row === undefined) throw new Error(`no row (${userId}, ${goalId})`);
  return row;
}

describe.each(variantNames)('variant %s against a real PostgreSQL', (name) => {
  let variant: SqlVariant;
  beforeAll(async () => {
    variant = await loadVariant(name);
  });

  async function expectModel(rows: ProgressRow[], batch: ProgressIncrement[], prepared = false) {
    const result = await applyWithModel(db.client, variant, rows, batch, { prepared });
    expect(result.database).toEqual(result.model);
    expect(result.databaseRowsUpdated).toBe(result.modelRowsUpdated);
    return result;
  }

  it('regular increment adds the delta', async () => {
    const { database, databaseRowsUpdated } = await expectModel(
      [
        progressRow({
          userId: 'u1',
          goalId: 'g1',
          progress: 2,
          status: 'in_progress',
          updatedAt: t.lastWeek,
        }),
      ],
      [increment({ userId: 'u1', goalId: 'g1', delta: 3, targetValue: 10 })],
    );
    expect(databaseRowsUpdated).toBe(1);
    expect(byKey(database, 'u1', 'g1')).toMatchObject({
      progress: 5,
      status: 'in_progress',
      completedAt: null,
    });
    expect(byKey(database, 'u1', 'g1').updatedAt > t.startOfToday).toBe(true);
  });

  it('daily increment on the same UTC day changes nothing but updated_at', async () => {
    const { database } = await expectModel(
      [
        progressRow({
          userId: 'u1',
          goalId: 'daily',
          progress: 3,
          status: 'in_progress',
          updatedAt: t.startOfToday,
        }),
      ],
      [increment({ userId: 'u1', goalId: 'daily', delta: 1, targetValue: 7, isDaily: true })],
    );
    expect(byKey(database, 'u1', 'daily')).toMatchObject({ progress: 3, status: 'in_progress' });
  });

  it('daily increment on a new UTC day counts', async () => {
    const { database } = await expectModel(
      [
        progressRow({
          userId: 'u1',
          goalId: 'daily',
          progress: 3,
          status: 'in_progress',
          updatedAt: t.lastWeek,
        }),
      ],
      [increment({ userId: 'u1', goalId: 'daily', delta: 1, targetValue: 7, isDaily: true })],
    );
    expect(byKey(database, 'u1', 'daily')).toMatchObject({ progress: 4 });
  });

  it("the UTC boundary: a row updated at 23:59 UTC yesterday takes today's daily increment", async () => {
    const { database } = await expectModel(
      [
        progressRow({
          userId: 'u1',
          goalId: 'daily',
          progress: 6,
          status: 'in_progress',
          updatedAt: t.lateYesterday,
        }),
      ],
      [increment({ userId: 'u1', goalId: 'daily', delta: 1, targetValue: 7, isDaily: true })],
    );
    expect(byKey(database, 'u1', 'daily')).toMatchObject({ progress: 7, status: 'completed' });
    expect(byKey(database, 'u1', 'daily').completedAt).not.toBeNull();
  });

  it('mixed batch: regular and daily increments for several players', async () => {
    const rows = [
      progressRow({
        userId: 'u1',
        goalId: 'kills',
        progress: 1,
        status: 'in_progress',
        updatedAt: t.lastWeek,
      }),
      progressRow({
        userId: 'u1',
        goalId: 'login-daily',
        progress: 2,
        status: 'in_progress',
        updatedAt: t.startOfToday,
      }),
      progressRow({ userId: 'u2', goalId: 'wins', progress: 0, updatedAt: t.lastWeek }),
      progressRow({
        userId: 'u2',
        goalId: 'streak-daily',
        progress: 4,
        status: 'in_progress',
        updatedAt: t.lateYesterday,
      }),
    ];
    const { database, databaseRowsUpdated } = await expectModel(rows, [
      increment({ userId: 'u1', goalId: 'kills', delta: 5, targetValue: 100 }),
      increment({ userId: 'u1', goalId: 'login-daily', delta: 1, targetValue: 7, isDaily: true }),
      increment({ userId: 'u2', goalId: 'wins', delta: 2, targetValue: 2 }),
      increment({ userId: 'u2', goalId: 'streak-daily', delta: 1, targetValue: 7, isDaily: true }),
    ]);
    expect(databaseRowsUpdated).toBe(4);
    expect(byKey(database, 'u1', 'kills').progress).toBe(6);
    expect(byKey(database, 'u1', 'login-daily').progress).toBe(2);
    expect(byKey(database, 'u2', 'wins')).toMatchObject({ progress: 2, status: 'completed' });
    expect(byKey(database, 'u2', 'streak-daily').progress).toBe(5);
  });

  it('status moves not_started -> in_progress -> completed', async () => {
    const start = [progressRow({ userId: 'u1', goalId: 'g1', updatedAt: t.lastWeek })];
    const first = await expectModel(start, [
      increment({ userId: 'u1', goalId: 'g1', delta: 4, targetValue: 5 }),
    ]);
    expect(byKey(first.database, 'u1', 'g1').status).toBe('in_progress');
    const second = await expectModel(
      [...first.database.values()],
      [increment({ userId: 'u1', goalId: 'g1', delta: 1, targetValue: 5 })],
    );
    expect(byKey(second.database, 'u1', 'g1')).toMatchObject({ progress: 5, status: 'completed' });
  });

  it('is_active filtering: inactive rows do not move, active ones do', async () => {
    const { database, databaseRowsUpdated } = await expectModel(
      [
        progressRow({ userId: 'u1', goalId: 'active', updatedAt: t.lastWeek }),
        progressRow({
          userId: 'u1',
          goalId: 'inactive',
          progress: 3,
          status: 'in_progress',
          isActive: false,
          updatedAt: t.lastWeek,
        }),
      ],
      [
        increment({ userId: 'u1', goalId: 'active', delta: 2 }),
        increment({ userId: 'u1', goalId: 'inactive', delta: 2 }),
      ],
    );
    expect(databaseRowsUpdated).toBe(1);
    expect(byKey(database, 'u1', 'inactive')).toMatchObject({ progress: 3, updatedAt: t.lastWeek });
  });

  it('claimed rows are untouched', async () => {
    const claimed = progressRow({
      userId: 'u1',
      goalId: 'done',
      progress: 10,
      status: 'claimed',
      completedAt: t.lastWeek,
      claimedAt: t.lastWeek,
      updatedAt: t.lastWeek,
    });
    const { database, databaseRowsUpdated } = await expectModel(
      [claimed],
      [increment({ userId: 'u1', goalId: 'done', delta: 5 })],
    );
    expect(databaseRowsUpdated).toBe(0);
    expect(byKey(database, 'u1', 'done')).toEqual(claimed);
  });

  it('completed_at never moves once set', async () => {
    const completed = progressRow({
      userId: 'u1',
      goalId: 'g1',
      progress: 10,
      status: 'completed',
      completedAt: t.lastWeek,
      updatedAt: t.lastWeek,
    });
    const { database } = await expectModel(
      [completed],
      [increment({ userId: 'u1', goalId: 'g1', delta: 3, targetValue: 10 })],
    );
    expect(byKey(database, 'u1', 'g1')).toMatchObject({
      progress: 13,
      status: 'completed',
      completedAt: t.lastWeek,
    });
  });

  it('unknown (user, goal) pairs are ignored', async () => {
    const { databaseRowsUpdated, database } = await expectModel(
      [progressRow({ userId: 'u1', goalId: 'g1', updatedAt: t.lastWeek })],
      [increment({ userId: 'u1', goalId: 'nope' }), increment({ userId: 'ghost', goalId: 'g1' })],
    );
    expect(databaseRowsUpdated).toBe(0);
    expect(database.size).toBe(1);
  });

  it('an empty batch is a no-op', async () => {
    const { databaseRowsUpdated } = await expectModel(
      [progressRow({ userId: 'u1', goalId: 'g1', updatedAt: t.lastWeek })],
      [],
    );
    expect(databaseRowsUpdated).toBe(0);
  });

  it('a 10,000-row batch updates every row exactly as the model', async () => {
    const rows: ProgressRow[] = [];
    const batch: ProgressIncrement[] = [];
    // 100 players x 100 goals; each goal has one delta, target and daily flag, so the batch
    // is one the correlated form handles too (its lookups are keyed on goal_id alone).
    for (let u = 0; u < 100; u++) {
      for (let g = 0; g < 100; g++) {
        rows.push(
          progressRow({
            userId: `player-${u}`,
            goalId: `goal-${g}`,
            progress: u % 7,
            status: u % 7 === 0 ? 'not_started' : 'in_progress',
            updatedAt: g % 2 === 0 ? t.lastWeek : t.lateYesterday,
          }),
        );
        batch.push(
          increment({
            userId: `player-${u}`,
            goalId: `goal-${g}`,
            delta: 1 + (g % 5),
            targetValue: 3 + (g % 11),
            isDaily: g % 10 === 0,
          }),
        );
      }
    }
    const { databaseRowsUpdated } = await expectModel(rows, batch);
    expect(databaseRowsUpdated).toBe(10_000);
  });

  it('as a prepared statement, across the switch to a generic plan, gives the same results', async () => {
    for (let i = 0; i < 7; i++) {
      await expectModel(
        [
          progressRow({
            userId: 'u1',
            goalId: 'g1',
            progress: i,
            status: i === 0 ? 'not_started' : 'in_progress',
            updatedAt: t.lastWeek,
          }),
          progressRow({
            userId: 'u2',
            goalId: 'g2',
            progress: 1,
            status: 'in_progress',
            updatedAt: t.startOfToday,
          }),
        ],
        [
          increment({ userId: 'u1', goalId: 'g1', delta: 2, targetValue: 8 }),
          increment({ userId: 'u2', goalId: 'g2', isDaily: true, targetValue: 3 }),
        ],
        true,
      );
    }
  });

  it('rejects a bad batch before any SQL runs', async () => {
    const sent: unknown[] = [];
    const spy = {
      query: (q: unknown) => {
        sent.push(q);
        return Promise.resolve({ rowCount: 0 });
      },
    } as unknown as pg.ClientBase;
    await expect(
      applyBatch(spy, variant, [increment({ userId: 'u'.repeat(101), goalId: 'g', delta: 1.5 })]),
    ).rejects.toThrow(InvalidBatchError);
    expect(sent).toEqual([]);
  });

  it('a batch that fails inside PostgreSQL leaves the table as it was', async () => {
    const rows = [
      progressRow({
        userId: 'u1',
        goalId: 'g1',
        progress: 1,
        status: 'in_progress',
        updatedAt: t.lastWeek,
      }),
      progressRow({
        userId: 'u2',
        goalId: 'g2',
        progress: 2_147_483_000,
        status: 'in_progress',
        updatedAt: t.lastWeek,
      }),
    ];
    await db.client.query('TRUNCATE user_goal_progress');
    const { insertProgressRows } = await import('../db/progress-table.ts');
    await insertProgressRows(db.client, rows);
    const before = await readProgressRows(db.client);
    // The second row's progress would overflow INT: PostgreSQL aborts the whole statement.
    await expect(
      applyBatch(db.client, variant, [
        increment({ userId: 'u1', goalId: 'g1', delta: 1 }),
        increment({ userId: 'u2', goalId: 'g2', delta: 1_000, targetValue: 2_147_483_647 }),
      ]),
    ).rejects.toThrow(/out of range/);
    expect(await readProgressRows(db.client)).toEqual(before);
    // The connection is usable afterwards: the transaction was rolled back, not left open.
    const { rows: check } = await db.client.query<{ ok: number }>('SELECT 1 AS ok');
    expect(check[0]?.ok).toBe(1);
  });
});
