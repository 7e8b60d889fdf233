import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { type GoalStatus, type PgTimestamp, type ProgressRow } from '../model/progress-row.ts';
import { increment, progressRow } from '../../scripts/testing/row-fixtures.ts';
import { listVariantNames, loadVariant } from '../sql/variant-registry.ts';
import { applyWithModel, timeline, type Timeline } from './model-comparison.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';

/**
 * Differential test: random tables and batches must leave the same state under each SQL
 * variant as under the reference model.
 *
 * The correlated variant is only equivalent on inputs where its two documented divergences
 * (see its header, and variant-divergence.integration.test.ts) cannot show: every goal_id
 * carries one delta/target/daily flag per batch, and stored statuses agree with progress.
 * Its cases are drawn from that subset; the other variants get unrestricted cases.
 */
const RUNS = 200;
const USERS = ['u1', 'u2', 'u3'];
const GOALS = ['g1', 'g2', 'g3', 'g4'];

interface GoalInput {
  delta: number;
  target: number;
  daily: boolean;
}

const goalInput = fc.record({
  delta: fc.integer({ min: 1, max: 6 }),
  target: fc.integer({ min: 1, max: 12 }),
  daily: fc.boolean(),
});

function caseArbitrary(t: Timeline, consistentPerGoal: boolean) {
  const when = fc.constantFrom<PgTimestamp>(t.startOfToday, t.lateYesterday, t.lastWeek);
  const perGoal = fc.tuple(...GOALS.map(() => goalInput));
  const cell = fc.record({
    exists: fc.boolean(),
    progress: fc.integer({ min: 0, max: 15 }),
    kind: fc.constantFrom<GoalStatus>('not_started', 'in_progress', 'completed', 'claimed'),
    isActive: fc.boolean(),
    updatedAt: when,
    completedAt: fc.option(when, { nil: null }),
    inBatch: fc.boolean(),
    own: goalInput,
  });
  return fc
    .tuple(
      perGoal,
      fc.array(cell, {
        minLength: USERS.length * GOALS.length,
        maxLength: USERS.length * GOALS.length,
      }),
      fc.boolean(),
    )
    .map(([goals, cells, shuffleSeed]) => {
      const rows: ProgressRow[] = [];
      const batch: ProgressIncrement[] = [];
      cells.forEach((c, i) => {
        const userId = USERS[Math.floor(i / GOALS.length)] as string;
        const g = i % GOALS.length;
        const goalId = GOALS[g] as string;
        const input: GoalInput = consistentPerGoal ? (goals[g] as GoalInput) : c.own;
        if (c.exists) {
          let status = c.kind;
          if (consistentPerGoal && status !== 'claimed')
            status = c.progress >= input.target ? 'completed' : 'in_progress';
          const completed = status === 'completed' || status === 'claimed';
          const completedAt = completed ? (c.completedAt ?? t.lastWeek) : c.completedAt;
          rows.push(
            progressRow({
              userId,
              goalId,
              progress: c.progress,
              status,
              isActive: c.isActive,
              updatedAt: c.updatedAt,
              completedAt,
              claimedAt: status === 'claimed' ? completedAt : null,
            }),
          );
        }
        if (c.inBatch)
          batch.push(
            increment({
              userId,
              goalId,
              delta: input.delta,
              targetValue: input.target,
              isDaily: input.daily,
            }),
          );
      });
      return { rows, batch: shuffleSeed ? batch.reverse() : batch };
    });
}

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

describe.each(variantNames)('variant %s matches the reference model', (name) => {
  it(`on ${RUNS} random tables and batches`, async () => {
    const variant = await loadVariant(name);
    await fc.assert(
      fc.asyncProperty(caseArbitrary(t, name === 'correlated'), async ({ rows, batch }) => {
        const result = await applyWithModel(db.client, variant, rows, batch);
        expect(result.database).toEqual(result.model);
        expect(result.databaseRowsUpdated).toBe(result.modelRowsUpdated);
      }),
      { numRuns: RUNS },
    );
  });
});
