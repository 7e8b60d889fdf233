import { describe, expect, it } from 'vitest';
import type { Goal } from '../catalogue/goal-catalogue.ts';
import { PartitionBuffer, toIncrements, type DrainedEntries } from './partition-buffer.ts';

const goal = (goalId: string, daily = false): Goal => ({
  goalId,
  challengeId: 'c1',
  source: 'wins',
  targetValue: 10,
  daily,
});
const kills = goal('kills');
const wins = goal('wins');

function totals(drained: DrainedEntries): Record<string, number> {
  return Object.fromEntries(toIncrements(drained).map((i) => [`${i.userId}/${i.goalId}`, i.delta]));
}

describe('partition buffer', () => {
  it('aggregates increments by (user, goal), summing deltas, and counts distinct keys', () => {
    const buffer = new PartitionBuffer();
    buffer.add('u1', 'ns', [kills, wins], 2, 1);
    buffer.add('u1', 'ns', [kills], 3, 2);
    buffer.add('u2', 'ns', [kills], 1, 3);
    expect(buffer.size).toBe(3);
    const drained = buffer.drain();
    expect(totals(drained)).toEqual({ 'u1/kills': 5, 'u1/wins': 2, 'u2/kills': 1 });
    expect(drained.eventTimes).toEqual([1, 2, 3]);
    expect(buffer.size).toBe(0);
  });

  it("builds one increment per key with the goal's target, daily flag and the namespace", () => {
    const buffer = new PartitionBuffer();
    buffer.add('u1', 'game', [goal('streak', true)], 1, 0);
    expect(toIncrements(buffer.drain())).toEqual([
      {
        userId: 'u1',
        goalId: 'streak',
        challengeId: 'c1',
        namespace: 'game',
        delta: 1,
        targetValue: 10,
        isDaily: true,
      },
    ]);
  });

  it('a summed delta above INT is sent as INT, the rest carried to the next flush', () => {
    const buffer = new PartitionBuffer();
    buffer.add('u1', 'ns', [kills], 2_000_000_000, 1);
    buffer.add('u1', 'ns', [kills], 2_000_000_000, 2);
    const carried: number[] = [];
    const increments = toIncrements(buffer.drain(), (_u, _n, _g, rest) => {
      carried.push(rest);
      buffer.carry('u1', 'ns', kills, rest);
    });
    expect(increments.map((i) => i.delta)).toEqual([2_147_483_647]);
    expect(carried).toEqual([4_000_000_000 - 2_147_483_647]);
    const next = buffer.drain();
    expect(totals(next)).toEqual({ 'u1/kills': 4_000_000_000 - 2_147_483_647 });
    // Carried, not received: no event time of its own.
    expect(next.eventTimes).toEqual([]);
  });
});
