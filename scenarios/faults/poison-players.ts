import type { GoalRouter } from '../../sut/catalogue/goal-router.ts';
import { poisonEvents } from './types/poison.ts';

/** What the choice needs to know of a row before the run. */
export interface PoisonRowState {
  readonly progress: number;
  readonly movable: boolean;
  readonly daily: boolean;
}

/**
 * The players the poison faults name: the last of the population (away from the busiest
 * players) whose poison stat reaches a row an overflow can happen on: active, not claimed,
 * not daily (a daily row counted once keeps its progress, so a second delta never adds up),
 * and above 0 (one delta of INT's largest value overflows only what already holds something).
 * The seeded states are random, so a player picked by position alone may have no such row, and
 * the database then has nothing to refuse. Empty when no player has one (a tiny population).
 */
export function pickPoisonPlayers(
  ids: readonly string[],
  router: GoalRouter,
  rowOf: (userId: string, goalId: string) => PoisonRowState | undefined,
  namespace: string,
  count = 16,
): string[] {
  // The goals a poison event feeds depend on its stat, not on its player: found once.
  const [event] = poisonEvents('progress-overflow', ids[0] ?? '', namespace);
  const goals = event === undefined ? [] : router.goalsFor(event).filter((g) => !g.daily);
  const picked: string[] = [];
  for (let i = ids.length - 1; i >= 0 && picked.length < count; i--) {
    const player = ids[i] as string;
    const overflowable = goals.some((goal) => {
      const row = rowOf(player, goal.goalId);
      return row !== undefined && row.movable && !row.daily && row.progress > 0;
    });
    if (overflowable) picked.push(player);
  }
  return picked;
}
