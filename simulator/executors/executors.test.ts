import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.ts';
import { parseDuration } from '../duration.ts';
import { planConstantArrivalRate } from './constant-arrival-rate.ts';
import { parseStages, planRampingArrivalRate } from './ramping-arrival-rate.ts';

describe('durations (k6 grammar)', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
  ])('%j = %d ms', (text, ms) => {
    expect(parseDuration(text, 'duration')).toBe(ms);
  });

  it.each(['10x', '', '10', 's', '1m 30s', '-5s'])('rejects %j, naming the input', (text) => {
    expect(() => parseDuration(text, '--duration')).toThrow(
      new RegExp(`--duration "${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" is not a duration`),
    );
  });
});

describe('constant-arrival-rate', () => {
  it('spaces events evenly: rate per timeUnit for the duration', () => {
    const plan = planConstantArrivalRate({
      executor: 'constant-arrival-rate',
      rate: 494,
      timeUnit: '1s',
      duration: '10s',
    });
    expect(plan.totalEvents).toBe(4940);
    expect(plan.offsetMs(0)).toBe(0);
    expect(plan.offsetMs(494)).toBeCloseTo(1000, 9);
    expect(plan.rateAt(5000)).toBeCloseTo(494, 9);
  });

  it('honours timeUnit', () => {
    const plan = planConstantArrivalRate({
      executor: 'constant-arrival-rate',
      rate: 30,
      timeUnit: '1m',
      duration: '2m',
    });
    expect(plan.totalEvents).toBe(60);
    expect(plan.offsetMs(1)).toBeCloseTo(2000, 9);
  });

  it('reports every problem at once', () => {
    const error = (() => {
      try {
        planConstantArrivalRate({
          executor: 'constant-arrival-rate',
          rate: 0,
          timeUnit: '1q',
          duration: '10x',
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      /rate must be a number above 0, got 0[\s\S]*timeUnit "1q"[\s\S]*duration "10x"/,
    );
  });
});

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
