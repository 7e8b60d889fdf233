import { describe, expect, it } from 'vitest';
import { validateScenarioOptions } from './scenario-options.ts';

describe('scenario options', () => {
  it('rejects unknown keys and bad values, every one at once', () => {
    let message = '';
    try {
      validateScenarioOptions('bad.ts', {
        scenarios: { a: { executor: 'constant-arrival-rate', rate: -1, duration: '10x', vus: 5 } },
        thresholds: { latency: ['p(95)<50'] },
        harness: { partitons: 8 },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^scenario bad.ts is not valid:/);
    for (const fault of [
      /scenarios\.a\.rate/,
      /scenarios\.a\.duration/,
      /"vus"/,
      /thresholds: "latency": threshold metrics are/,
      /"partitons"/,
    ])
      expect(message).toMatch(fault);
  });
});
