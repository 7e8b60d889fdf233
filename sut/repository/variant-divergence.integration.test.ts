import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { rowKey } from '../model/progress-row.ts';
import { increment, progressRow } from '../../scripts/testing/row-fixtures.ts';
import { loadVariant } from '../sql/variant-registry.ts';
import { applyWithModel, timeline, type Timeline } from './model-comparison.ts';

/**
 * The correlated variant reproduces the analysis's query faithfully, defects included. These
 * minimal examples show where it departs from the increment semantics; cte and join do not.
 */
let db: TestDatabase;
let t: Timeline;
beforeAll(async () => {
  db = await createTestDatabase();
  t = await timeline(db.client);
});
afterAll(async () => {
  await db.drop();
});

describe('correlated departs from the semantics on a minimal example', () => {
  it('same goal for two players with different deltas: both rows get the first delta', async () => {
    const rows = [
      progressRow({ userId: 'alice', goalId: 'kills', progress: 0, updatedAt: t.lastWeek }),
      progressRow({ userId: 'bob', goalId: 'kills', progress: 0, updatedAt: t.lastWeek }),
    ];
    const batch = [
      increment({ userId: 'alice', goalId: 'kills', delta: 1, targetValue: 100 }),
      increment({ userId: 'bob', goalId: 'kills', delta: 5, targetValue: 100 }),
    ];
    const correlated = await applyWithModel(
      db.client,
      await loadVariant('correlated'),
      rows,
      batch,
    );
    expect(correlated.model.get(rowKey('bob', 'kills'))?.progress).toBe(5);
    expect(correlated.database.get(rowKey('bob', 'kills'))?.progress).toBe(1);
    for (const name of ['cte', 'join']) {
      const other = await applyWithModel(db.client, await loadVariant(name), rows, batch);
      expect(other.database).toEqual(other.model);
    }
  });

  it('same-day daily increment on a not_started row: status becomes in_progress instead of staying', async () => {
    const rows = [
      progressRow({
        userId: 'alice',
        goalId: 'daily-login',
        progress: 0,
        status: 'not_started',
        updatedAt: t.startOfToday,
      }),
    ];
    const batch = [
      increment({
        userId: 'alice',
        goalId: 'daily-login',
        delta: 1,
        targetValue: 7,
        isDaily: true,
      }),
    ];
    const correlated = await applyWithModel(
      db.client,
      await loadVariant('correlated'),
      rows,
      batch,
    );
    expect(correlated.model.get(rowKey('alice', 'daily-login'))?.status).toBe('not_started');
    expect(correlated.database.get(rowKey('alice', 'daily-login'))).toMatchObject({
      status: 'in_progress',
      progress: 0,
    });
    for (const name of ['cte', 'join']) {
      const other = await applyWithModel(db.client, await loadVariant(name), rows, batch);
      expect(other.database).toEqual(other.model);
    }
  });
});
