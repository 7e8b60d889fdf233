import { describe, expect, it } from 'vitest';
import { prepareScenario } from './prepare-scenario.ts';
import { validateScenarioOptions } from './scenario-options.ts';

/** A file written for k6 (arrival-rate executors need their VUs there) and for the harness. */
const shared = {
  discardResponseBodies: true,
  noColor: true,
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99.9)'],
  tags: { team: 'progress' },
  scenarios: {
    warmup: {
      executor: 'constant-arrival-rate',
      rate: 100,
      duration: '10s',
      preAllocatedVUs: 20,
      maxVUs: 100,
      exec: 'sendEvents',
      tags: { phase: 'warm' },
    },
    steady: {
      executor: 'constant-arrival-rate',
      rate: 100,
      duration: '20s',
      startTime: '10s',
      preAllocatedVUs: 20,
      tags: { phase: 'judged' },
    },
  },
  thresholds: {
    'flush_duration{phase:judged}': ['p(95)<50'],
    'flush_size{team:progress}': ['p(95)<500'],
  },
  harness: { mix: { login: 50, wins: 50 }, skew: 1.1 },
};

function problemsOf(raw: unknown): string {
  try {
    validateScenarioOptions('k6.js', raw);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('one scenario file for k6 and the harness', () => {
  it("accepts k6's keys it has no use for and lists them once", () => {
    const prepared = prepareScenario('k6.js', shared);
    expect(prepared.ignored).toEqual([
      'preAllocatedVUs (warmup, steady)',
      'maxVUs (warmup)',
      'exec (warmup)',
      'discardResponseBodies',
    ]);
    expect(prepared.options.summaryTrendStats).toEqual(['avg', 'med', 'p(95)', 'p(99.9)']);
  });

  it("honours a scenario's tags in thresholds: a tag on one scenario selects its samples", () => {
    const { thresholds } = prepareScenario('k6.js', shared);
    expect(thresholds.map((t) => [t.key, t.filter])).toEqual([
      ['flush_duration{phase:judged}', { scenario: 'steady' }],
      // options.tags are on every sample: the whole run.
      ['flush_size{team:progress}', {}],
    ]);
  });

  it('refuses a tag threshold that would judge some scenarios but not all, or none', () => {
    const both = structuredClone(shared);
    both.scenarios.warmup.tags.phase = 'judged';
    both.scenarios.steady.startTime = '10s';
    const three = {
      ...both,
      scenarios: {
        ...both.scenarios,
        tail: { executor: 'constant-arrival-rate', rate: 1, duration: '1s', startTime: '30s' },
      },
    };
    expect(problemsOf(three)).toMatch(
      /flush_duration\{phase:judged\}.*on scenarios warmup, steady; a threshold judges one scenario's samples or the whole run's/,
    );
    expect(
      problemsOf({ ...shared, thresholds: { 'flush_duration{phase:other}': ['p(95)<50'] } }),
    ).toMatch(/no scenario carries phase:other/);
    expect(problemsOf({ ...shared, tags: { scenario: 'x' }, thresholds: {} })).toMatch(
      /tags: scenario, partition, variant are tags the harness sets itself/,
    );
  });

  it("refuses k6's VU shortcuts and executors in one line each, naming what to use", () => {
    const message = problemsOf({
      vus: 10,
      duration: '30s',
      scenarios: { a: { executor: 'constant-vus', vus: 10, duration: '30s' } },
    });
    expect(
      message
        .split('\n')
        .slice(1)
        .map((line) => line.replace(/^ {2}- /, '')),
    ).toEqual([
      "vus: k6's shortcut is not supported; the harness sends events at a rate, with no virtual users: give options.scenarios a constant-arrival-rate or ramping-arrival-rate scenario",
      "duration: k6's shortcut is not supported; give options.scenarios an arrival-rate scenario with its own duration (or harness run --duration)",
      'scenarios.a.executor: constant-vus is not supported; use constant-arrival-rate: the harness sends events at a rate, not from VUs',
    ]);
  });

  it('takes the event mix and the player skew in the harness block', () => {
    const { settings } = prepareScenario('k6.js', shared);
    expect(settings.mix).toEqual({ login: 50, wins: 50 });
    expect(settings.skew).toBe(1.1);
    expect(problemsOf({ ...shared, harness: { mix: { login: -1 } } })).toMatch(
      /harness\.mix\.login/,
    );
  });
});
