import { describe, expect, it } from 'vitest';
import { trialArgs, trialOrder, trialResultName } from './trial-plan.ts';

describe('the trial plan of an A/B run', () => {
  it('pairs every base trial with a head trial, each pair in a random order, the same for a seed', () => {
    const order = trialOrder(10, 42);
    expect(order).toHaveLength(20);
    for (let i = 0; i < 20; i += 2) expect(new Set(order.slice(i, i + 2)).size).toBe(2);
    expect(trialOrder(10, 42)).toEqual(order);
    const starts = Array.from({ length: 200 }, (_, s) => trialOrder(1, s + 1)[0]);
    // both orders happen, about as often
    const baseFirst = starts.filter((s) => s === 'base').length;
    expect(baseFirst).toBeGreaterThan(70);
    expect(baseFirst).toBeLessThan(130);
  });

  it("runs each side's own harness command, and names the results it compares", () => {
    expect(trialArgs({ kind: 'sweep', quick: true }, '/s/t.json')).toEqual([
      'sweep',
      '--quick',
      '--output',
      '/s/t.json',
    ]);
    expect(
      trialArgs({ kind: 'scenario', scenario: 'production', duration: '1m' }, '/s/t.json'),
    ).toEqual(['run', 'production', '--duration', '1m', '--output', '/s/t.json']);
    expect(trialResultName({ kind: 'sweep', quick: false })).toEqual({
      kind: 'sweep',
      name: 'sweep',
    });
    expect(trialResultName({ kind: 'scenario', scenario: '/x/my-load.ts' })).toEqual({
      kind: 'run',
      name: 'my-load',
    });
  });
});
