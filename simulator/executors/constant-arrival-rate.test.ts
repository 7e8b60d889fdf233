import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.ts';
import { planConstantArrivalRate } from './constant-arrival-rate.ts';

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
