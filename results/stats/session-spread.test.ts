import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sut/db/random.ts';
import { pairedRatioInterval } from './signed-rank-interval.ts';
import { betweenSessionVariance, sessionSpread, widenForSessions } from './session-spread.ts';

/** A standard normal deviate from two uniform ones (Box-Muller). */
const normal = (random: () => number) =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/**
 * One effect in `sessions` sessions of `trials` trials: each session's true log effect is
 * `effect` moved by `relative` of itself and `additive` (standard deviations), each trial
 * that plus `noise`.
 */
function measured(
  random: () => number,
  effect: number,
  shape: { sessions: number; trials: number; relative: number; additive: number; noise: number },
): number[][] {
  return Array.from({ length: shape.sessions }, () => {
    const session =
      effect * (1 + shape.relative * normal(random)) + shape.additive * normal(random);
    return Array.from({ length: shape.trials }, () => session + shape.noise * normal(random));
  });
}

describe('between-session variance', () => {
  it('is the variance of the session means less their own standard errors', () => {
    // means 2 and 5: variance 4.5; each session's variance 1 over 3 trials: 1/3
    const v = betweenSessionVariance([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(v?.mean).toBeCloseTo(3.5, 12);
    expect(v?.variance).toBeCloseTo(4.5 - 1 / 3, 12);
  });

  it('may come out negative (not truncated) and needs two sessions of two trials', () => {
    expect(
      betweenSessionVariance([
        [0, 2],
        [1, 1],
      ])?.variance,
    ).toBeLessThan(0);
    expect(betweenSessionVariance([[1, 2, 3], [4]])).toBeUndefined();
  });
});

describe('the spread of a machine', () => {
  it('recovers the relative and additive parts it was built with', () => {
    const random = createRandom(11);
    const shape = { sessions: 30, trials: 7, relative: 0.08, additive: 0, noise: 0.01 };
    const effects = [0.1, 0.2, 0.4, 0.7, 1.0, -0.15, -0.3].map((e) => measured(random, e, shape));
    const twins = Array.from({ length: 8 }, () =>
      measured(random, 0, { ...shape, relative: 0, additive: 0.004 }),
    );
    const spread = sessionSpread(effects, twins);
    expect(spread?.sessions).toBe(30);
    expect(spread?.effects).toBe(7);
    expect(spread?.relative).toBeGreaterThan(0.06);
    expect(spread?.relative).toBeLessThan(0.1);
    expect(spread?.additive).toBeGreaterThan(0.002);
    expect(spread?.additive).toBeLessThan(0.006);
  });

  it('leaves out effects too small to be a share of and says nothing without a real one', () => {
    const random = createRandom(3);
    const shape = { sessions: 5, trials: 6, relative: 0.1, additive: 0, noise: 0.01 };
    expect(sessionSpread([measured(random, 0.01, shape)], [])).toBeUndefined();
    expect(sessionSpread([measured(random, 0.3, { ...shape, sessions: 1 })], [])).toBeUndefined();
    expect(sessionSpread([measured(random, 0.3, shape)], [])?.additive).toBe(0);
  });
});

describe('an interval widened for sessions', () => {
  it('adds the between-session deviation at its size in quadrature on each side', () => {
    const w = widenForSessions(
      { ratio: Math.exp(0.2), lower: Math.exp(0.18), upper: Math.exp(0.21), n: 6 },
      { relative: 0.1, additive: 0 },
      2,
    );
    // 2 x 0.1 x 0.2 = 0.04 beside 0.02 below and 0.01 above
    expect(Math.log(w.lower)).toBeCloseTo(0.2 - Math.hypot(0.02, 0.04), 12);
    expect(Math.log(w.upper)).toBeCloseTo(0.2 + Math.hypot(0.01, 0.04), 12);
    expect(w.ratio).toBe(Math.exp(0.2));
    expect(w.n).toBe(6);
  });

  it('holds the true change as often as it says when sessions move, where a session interval does not', () => {
    const shape = { sessions: 1, trials: 6, relative: 0.08, additive: 0.002, noise: 0.01 };
    const truth = Math.log(1.2);
    const holds = (i: { lower: number; upper: number }) =>
      i.lower <= Math.exp(truth) && Math.exp(truth) <= i.upper;
    let within = 0;
    let widened = 0;
    let sessions = 0;
    // Ten machines, each spread measured beforehand over 12 sessions of five other effects,
    // each then judging 100 sessions of a 20 % change: the estimate of the spread errs too.
    for (let machine = 1; machine <= 10; machine++) {
      const random = createRandom(machine);
      const spread = sessionSpread(
        [0.1, 0.3, 0.5, -0.2, 0.8].map((e) => measured(random, e, { ...shape, sessions: 12 })),
        [measured(random, 0, { ...shape, sessions: 12, relative: 0 })],
      );
      if (spread === undefined) throw new Error('no spread');
      for (let s = 0; s < 100; s++, sessions++) {
        const [values] = measured(random, truth, shape);
        const interval = pairedRatioInterval((values as number[]).map(Math.exp));
        if (interval === undefined) throw new Error('no interval');
        if (holds(interval)) within++;
        if (holds(widenForSessions(interval, spread, 1.96))) widened++;
      }
    }
    expect(within / sessions).toBeLessThan(0.7);
    expect(widened / sessions).toBeGreaterThanOrEqual(0.94);
  });
});
