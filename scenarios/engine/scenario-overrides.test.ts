import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.ts';
import { mainScenarioName, withOverrides } from './scenario-overrides.ts';

const production = {
  scenarios: {
    warmup: { executor: 'constant-arrival-rate', rate: 494, duration: '30s' },
    steady: { executor: 'constant-arrival-rate', rate: 494, duration: '10m', startTime: '30s' },
  },
  harness: { variant: 'join' },
};

describe('command-line overrides of a scenario file', () => {
  it('--duration changes the part that starts last; --rate every constant-rate part', () => {
    const { raw, overridden } = withOverrides(production, { duration: '1m', rate: 1000 });
    expect(overridden).toBe(true);
    expect(mainScenarioName(raw)).toBe('steady');
    expect(raw.scenarios.steady).toMatchObject({ duration: '1m', rate: 1000 });
    expect(raw.scenarios.warmup).toMatchObject({ duration: '30s', rate: 1000 });
    // the file's own options are left as they were
    expect(production.scenarios.steady.duration).toBe('10m');
  });

  it('--variant replaces the file’s variant or variants; --fresh-table adds its key', () => {
    expect(withOverrides(production, { variant: ['cte'] }).raw.harness).toEqual({ variant: 'cte' });
    expect(withOverrides(production, { variant: ['cte', 'join'] }).raw.harness).toEqual({
      variants: ['cte', 'join'],
    });
    expect(withOverrides(production, { freshTable: true }).raw.harness).toEqual({
      variant: 'join',
      freshTable: true,
    });
  });

  it('nothing given: the options unchanged and not marked overridden', () => {
    const { raw, overridden } = withOverrides(production, {});
    expect(overridden).toBe(false);
    expect(raw).toEqual(production);
  });

  it('--rate on a ramping scenario is bad input, naming the scenario', () => {
    const ramp = {
      scenarios: {
        ramp: { executor: 'ramping-arrival-rate', stages: [{ target: 10, duration: '1s' }] },
      },
    };
    expect(() => withOverrides(ramp, { rate: 5 })).toThrow(UsageError);
    expect(() => withOverrides(ramp, { rate: 5 })).toThrow(
      /scenario "ramp" is ramping-arrival-rate/,
    );
  });
});
