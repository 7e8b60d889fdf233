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

/** The published service's merge: re-add an entry only when its key is absent. */
function naiveMergeBack(buffer: PartitionBuffer, failed: DrainedEntries): void {
  const current = buffer.drain();
  for (const [userId, player] of failed.players) {
    const existing = current.players.get(userId);
    for (const [g, delta] of player.goals) {
      if (existing?.goals.has(g) !== true) {
        if (existing === undefined)
          current.players.set(userId, {
            namespace: player.namespace,
            goals: new Map([[g, delta]]),
          });
        else existing.goals.set(g, delta);
      }
    }
  }
  buffer.mergeBack({
    ...current,
    size: [...current.players.values()].reduce((n, p) => n + p.goals.size, 0),
  });
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

  it('a failed flush merged back sums with increments that arrived meanwhile; the naive merge loses them', () => {
    const ours = new PartitionBuffer();
    const naive = new PartitionBuffer();
    for (const b of [ours, naive]) b.add('u1', 'ns', [kills], 5, 1);
    const failedOurs = ours.drain();
    const failedNaive = naive.drain();
    // While the flush was failing, the same key received 3 more kills.
    for (const b of [ours, naive]) b.add('u1', 'ns', [kills], 3, 2);
    ours.mergeBack(failedOurs);
    naiveMergeBack(naive, failedNaive);
    expect(totals(ours.drain())).toEqual({ 'u1/kills': 8 });
    expect(totals(naive.drain())).toEqual({ 'u1/kills': 3 }); // 5 kills lost
  });

  it('merging back restores keys the buffer no longer has, and their event times', () => {
    const buffer = new PartitionBuffer();
    buffer.add('u1', 'ns', [kills, wins], 1, 10);
    const failed = buffer.drain();
    buffer.add('u2', 'ns', [wins], 4, 20);
    buffer.mergeBack(failed);
    expect(buffer.size).toBe(3);
    const drained = buffer.drain();
    expect(totals(drained)).toEqual({ 'u1/kills': 1, 'u1/wins': 1, 'u2/wins': 4 });
    expect(drained.eventTimes.sort()).toEqual([10, 20]);
  });
});
