import { describe, expect, it } from 'vitest';
import { startChildSut } from '../../sut/service/child-sut.ts';
import { healthLimitArgs } from './health-limits.ts';
import { runSettings } from './run-plan.ts';
import { validateScenarioOptions } from './scenario-options.ts';
import { withOverrides } from './scenario-overrides.ts';

const scenario = {
  scenarios: { load: { executor: 'constant-arrival-rate', rate: 10, duration: '1s' } },
  harness: { health: { flushOverdueMs: 4_000, refusalHoldMs: 1_500 } },
};

/** The limits a run would give its service, from the file and the command line. */
function limitsOf(file: unknown, health: Parameters<typeof withOverrides>[1]['health']) {
  const { raw } = withOverrides(file, { health });
  return runSettings(validateScenarioOptions('health.ts', raw)).health;
}

describe('/healthz limits from a run', () => {
  it("the scenario file's harness.health, with the command line's flags over it", () => {
    expect(limitsOf(scenario, undefined)).toEqual({ flushOverdueMs: 4_000, refusalHoldMs: 1_500 });
    expect(
      limitsOf(scenario, {
        flushOverdueMs: 7_000,
        flushRunningMs: 9_000,
        fetchOverdueMs: undefined,
      }),
    ).toEqual({ flushOverdueMs: 7_000, flushRunningMs: 9_000, refusalHoldMs: 1_500 });
    expect(limitsOf({ scenarios: scenario.scenarios }, undefined)).toEqual({});
  });

  it('refuses a limit that is not a whole positive number of ms, or one it does not know', () => {
    expect(() =>
      validateScenarioOptions('health.ts', {
        ...scenario,
        harness: { health: { flushOverdueMs: -1, flushOverdue: 5 } },
      }),
    ).toThrow(/harness\.health\.flushOverdueMs[\s\S]*"flushOverdue"/);
  });

  it('reach the service the run starts: its /healthz states them', async () => {
    const limits = { flushOverdueMs: 7_000, flushRunningMs: 9_000, refusalHoldMs: 1_500 };
    const sut = await startChildSut(['--no-database', ...healthLimitArgs(limits)]);
    try {
      const body = (await (await fetch(`${sut.url}/healthz`)).json()) as {
        thresholds: Record<string, number>;
      };
      // The one left out keeps the service's default.
      expect(body.thresholds).toEqual({ ...limits, fetchOverdueMs: 10_000 });
    } finally {
      await sut.stop();
    }
  });
});
