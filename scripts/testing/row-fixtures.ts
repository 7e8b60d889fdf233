import type { ProgressIncrement } from '../../sut/model/progress-increment.ts';
import type { PgTimestamp, ProgressRow } from '../../sut/model/progress-row.ts';

/** A fixed "now" far from midnight, and the instants around it that tests need. */
export const FIXED_NOW: PgTimestamp = '2026-11-28 12:00:00.000000';
export const EARLIER_TODAY: PgTimestamp = '2026-11-28 08:30:00.000000';
export const YESTERDAY: PgTimestamp = '2026-11-27 12:00:00.000000';

export function progressRow(
  overrides: Partial<ProgressRow> & Pick<ProgressRow, 'userId' | 'goalId'>,
): ProgressRow {
  return {
    challengeId: 'challenge-01',
    namespace: 'test',
    progress: 0,
    status: 'not_started',
    completedAt: null,
    claimedAt: null,
    createdAt: '2026-11-01 00:00:00.000000',
    updatedAt: YESTERDAY,
    isActive: true,
    assignedAt: '2026-11-01 00:00:00.000000',
    expiresAt: null,
    ...overrides,
  };
}

export function increment(
  overrides: Partial<ProgressIncrement> & Pick<ProgressIncrement, 'userId' | 'goalId'>,
): ProgressIncrement {
  return {
    challengeId: 'challenge-01',
    namespace: 'test',
    delta: 1,
    targetValue: 10,
    isDaily: false,
    ...overrides,
  };
}
