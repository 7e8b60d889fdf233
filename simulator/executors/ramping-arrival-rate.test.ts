import { describe, expect, it } from 'vitest';
import { parseStages, planRampingArrivalRate } from './ramping-arrival-rate.ts';

describe('ramping-arrival-rate', () => {
  it('ramps linearly: the count over a stage is the area under the rate', () => {
    const plan = planRampingArrivalRate({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      stages: [
        { duration: '10s', target: 100 },
        { duration: '10s', target: 100 },
      ],
    });
    expect(plan.totalEvents).toBe(500 + 1000);
    expect(plan.durationMs).toBe(20_000);
    // N(t) = 5 t^2 (t in s) in the first stage: event 125 is due at t = 5 s.
    expect(plan.offsetMs(125)).toBeCloseTo(5000, 6);
    expect(plan.offsetMs(500)).toBeCloseTo(10_000, 6);
    expect(plan.offsetMs(1000)).toBeCloseTo(15_000, 6);
    expect(plan.rateAt(5000)).toBeCloseTo(50, 9);
  });

  it('offsets never decrease', () => {
    const plan = planRampingArrivalRate({
      executor: 'ramping-arrival-rate',
      startRate: 300,
      stages: [
        { duration: '3s', target: 10 },
        { duration: '2s', target: 800 },
        { duration: '1s', target: 0 },
      ],
    });
    for (let k = 1; k < plan.totalEvents; k++)
      expect(plan.offsetMs(k)).toBeGreaterThanOrEqual(plan.offsetMs(k - 1));
    expect(plan.offsetMs(plan.totalEvents - 1)).toBeLessThanOrEqual(plan.durationMs);
  });

  it('parses stages from the command line and rejects what does not parse', () => {
    expect(parseStages('30s:100,1m:500')).toEqual([
      { duration: '30s', target: 100 },
      { duration: '1m', target: 500 },
    ]);
    expect(() => parseStages('30s-100')).toThrow(/--stages "30s-100" does not parse/);
    expect(() => parseStages('30x:100')).toThrow(/does not parse/);
    expect(() =>
      planRampingArrivalRate({ executor: 'ramping-arrival-rate', startRate: 0, stages: [] }),
    ).toThrow(/at least one stage/);
  });
});
