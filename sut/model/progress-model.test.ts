import { describe, expect, it } from 'vitest';
import { applyIncrementsToModel } from './progress-model.ts';
import { rowKey, type ProgressRow } from './progress-row.ts';
import {
  EARLIER_TODAY,
  FIXED_NOW,
  increment,
  progressRow,
  YESTERDAY,
} from '../../scripts/testing/row-fixtures.ts';

const clock = () => FIXED_NOW;
const state = (...rows: ProgressRow[]) => new Map(rows.map((r) => [rowKey(r.userId, r.goalId), r]));
const get = (rows: Map<string, ProgressRow>, u: string, g: string) => rows.get(rowKey(u, g));

describe('reference model of the increment semantics', () => {
  it('adds a regular delta, moves status to in_progress and stamps updated_at', () => {
    const { rows, rowsUpdated } = applyIncrementsToModel(
      state(progressRow({ userId: 'u', goalId: 'g', progress: 2 })),
      [increment({ userId: 'u', goalId: 'g', delta: 3 })],
      clock,
    );
    expect(rowsUpdated).toBe(1);
    expect(get(rows, 'u', 'g')).toMatchObject({
      progress: 5,
      status: 'in_progress',
      updatedAt: FIXED_NOW,
      completedAt: null,
    });
  });

  it('completes at the target and sets completed_at once', () => {
    const first = applyIncrementsToModel(
      state(progressRow({ userId: 'u', goalId: 'g', progress: 8 })),
      [increment({ userId: 'u', goalId: 'g', delta: 2 })],
      clock,
    );
    expect(get(first.rows, 'u', 'g')).toMatchObject({
      progress: 10,
      status: 'completed',
      completedAt: FIXED_NOW,
    });
    const later = applyIncrementsToModel(
      first.rows,
      [increment({ userId: 'u', goalId: 'g', delta: 1 })],
      () => '2026-11-29 09:00:00.000000',
    );
    expect(get(later.rows, 'u', 'g')).toMatchObject({
      progress: 11,
      status: 'completed',
      completedAt: FIXED_NOW,
    });
  });

  it('counts a daily increment once per UTC day', () => {
    const sameDay = applyIncrementsToModel(
      state(
        progressRow({
          userId: 'u',
          goalId: 'g',
          progress: 3,
          status: 'in_progress',
          updatedAt: EARLIER_TODAY,
        }),
      ),
      [increment({ userId: 'u', goalId: 'g', delta: 1, isDaily: true })],
      clock,
    );
    expect(sameDay.rowsUpdated).toBe(1);
    expect(get(sameDay.rows, 'u', 'g')).toMatchObject({
      progress: 3,
      status: 'in_progress',
      updatedAt: FIXED_NOW,
    });
    const newDay = applyIncrementsToModel(
      state(
        progressRow({
          userId: 'u',
          goalId: 'g',
          progress: 3,
          status: 'in_progress',
          updatedAt: YESTERDAY,
        }),
      ),
      [increment({ userId: 'u', goalId: 'g', delta: 1, isDaily: true })],
      clock,
    );
    expect(get(newDay.rows, 'u', 'g')).toMatchObject({ progress: 4, updatedAt: FIXED_NOW });
  });

  it('keeps the status of a same-day daily increment, even not_started', () => {
    const { rows } = applyIncrementsToModel(
      state(progressRow({ userId: 'u', goalId: 'g', updatedAt: EARLIER_TODAY })),
      [increment({ userId: 'u', goalId: 'g', isDaily: true })],
      clock,
    );
    expect(get(rows, 'u', 'g')).toMatchObject({ progress: 0, status: 'not_started' });
  });

  it('leaves claimed, inactive and missing rows alone and does not modify its input', () => {
    const before = state(
      progressRow({
        userId: 'u',
        goalId: 'claimed',
        status: 'claimed',
        progress: 10,
        completedAt: YESTERDAY,
        claimedAt: YESTERDAY,
      }),
      progressRow({ userId: 'u', goalId: 'inactive', isActive: false }),
    );
    const snapshot = structuredClone(before);
    const { rows, rowsUpdated } = applyIncrementsToModel(
      before,
      [
        increment({ userId: 'u', goalId: 'claimed' }),
        increment({ userId: 'u', goalId: 'inactive' }),
        increment({ userId: 'u', goalId: 'missing' }),
      ],
      clock,
    );
    expect(rowsUpdated).toBe(0);
    expect(rows).toEqual(snapshot);
    expect(before).toEqual(snapshot);
  });
});
