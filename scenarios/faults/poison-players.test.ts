import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { GoalRouter } from '../../sut/catalogue/goal-router.ts';
import { poisonEvents } from './types/poison.ts';
import { pickPoisonPlayers, type PoisonRowState } from './poison-players.ts';

describe('the players poison faults name', () => {
  it('are those with a row an overflow can reach, from the end of the population', async () => {
    const router = new GoalRouter(await loadCatalogue());
    const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
    const [event] = poisonEvents('delta-overflow', 'p0', 'ns');
    if (event === undefined) throw new Error('a poison makes at least one event');
    const fed = router.goalsFor(event);
    const goals = fed.map((g) => g.goalId);
    expect(goals.length).toBeGreaterThan(0);
    const daily = new Set(fed.filter((g) => g.daily).map((g) => g.goalId));
    const state: Record<string, PoisonRowState> = {
      // p4: every row claimed or inactive; p3: nothing yet; p2: one row that can overflow.
      p2: { progress: 5, movable: true, daily: false },
      p3: { progress: 0, movable: true, daily: false },
      p4: { progress: 9, movable: false, daily: false },
      p1: { progress: 7, movable: true, daily: false },
    };
    const rowOf = (user: string, goal: string) =>
      goal === goals.find((g) => !daily.has(g)) ? state[user] : undefined;
    expect(pickPoisonPlayers(ids, router, rowOf, 'ns')).toEqual(['p2', 'p1']);
    expect(pickPoisonPlayers(ids, router, rowOf, 'ns', 1)).toEqual(['p2']);
    expect(pickPoisonPlayers(['p3', 'p4'], router, rowOf, 'ns')).toEqual([]);
  });
});
