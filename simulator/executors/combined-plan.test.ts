import { describe, expect, it } from 'vitest';
import { combinePlans, type ScheduledPlan } from './combined-plan.ts';
import { planConstantArrivalRate } from './constant-arrival-rate.ts';
import { planRampingArrivalRate } from './ramping-arrival-rate.ts';

const constant = (rate: number, duration: string) =>
  planConstantArrivalRate({ executor: 'constant-arrival-rate', rate, duration });

function walk(plan: ReturnType<typeof combinePlans>) {
  const events: { at: number; scenario: number }[] = [];
  for (let k = 0; k < plan.totalEvents; k++)
    events.push({ at: plan.offsetMs(k), scenario: plan.scenarioOf(k) });
  return events;
}

describe("combinePlans: k6's several scenarios with startTime, as one schedule", () => {
  const warmup: ScheduledPlan = { name: 'warmup', plan: constant(10, '2s'), startMs: 0 };
  const steady: ScheduledPlan = { name: 'steady', plan: constant(20, '3s'), startMs: 2000 };

  it('runs one scenario after the other, each event knowing its scenario', () => {
    const plan = combinePlans([warmup, steady]);
    expect(plan.totalEvents).toBe(20 + 60);
    expect(plan.durationMs).toBe(5000);
    const events = walk(plan);
    expect(events.filter((e) => e.scenario === 0)).toHaveLength(20);
    expect(events.filter((e) => e.scenario === 1)).toHaveLength(60);
    expect(events.every((e, i) => i === 0 || e.at >= (events[i - 1]?.at ?? 0))).toBe(true);
    expect(events.filter((e) => e.scenario === 0).every((e) => e.at < 2000)).toBe(true);
    expect(events.filter((e) => e.scenario === 1).every((e) => e.at >= 2000)).toBe(true);
    expect([plan.rateAt(1000), plan.rateAt(2500), plan.rateAt(6000)]).toEqual([10, 20, 0]);
  });

  it('merges overlapping scenarios in time order and adds their rates', () => {
    const background: ScheduledPlan = { name: 'bg', plan: constant(5, '5s'), startMs: 0 };
    const ramp: ScheduledPlan = {
      name: 'ramp',
      plan: planRampingArrivalRate({
        executor: 'ramping-arrival-rate',
        startRate: 0,
        stages: [{ target: 40, duration: '2s' }],
      }),
      startMs: 1000,
    };
    const plan = combinePlans([background, ramp]);
    const events = walk(plan);
    expect(events).toHaveLength(background.plan.totalEvents + ramp.plan.totalEvents);
    expect(events.every((e, i) => i === 0 || e.at >= (events[i - 1]?.at ?? 0))).toBe(true);
    expect(plan.rateAt(2000)).toBeCloseTo(5 + 20, 5);
    expect(plan.executor).toBe('constant-arrival-rate+ramping-arrival-rate');
  });

  it('one scenario starting at 0 is that scenario plan itself', () => {
    const plan = combinePlans([warmup]);
    expect(plan.totalEvents).toBe(20);
    expect(plan.offsetMs(5)).toBe(warmup.plan.offsetMs(5));
    expect(plan.scenarioOf(7)).toBe(0);
  });

  it('refuses to walk backwards: the merge reads forward only', () => {
    const plan = combinePlans([warmup, steady]);
    plan.offsetMs(10);
    expect(plan.offsetMs(10)).toBeGreaterThanOrEqual(0);
    expect(() => plan.offsetMs(3)).toThrow(/event 3 was asked for after event 10/);
  });

  it('refuses scenarios that together last longer than the plan limit', () => {
    const late: ScheduledPlan = {
      name: 'late',
      plan: constant(1, '1s'),
      startMs: 7 * 24 * 3_600_000,
    };
    expect(() => combinePlans([warmup, late])).toThrow(/last longer than/);
  });
});
