import { describe, expect, it } from 'vitest';
import { reportFixture } from './report-fixtures.ts';
import { scenarioSpans } from './scenario-spans.ts';

const run = reportFixture('run-join-keep.json').result;

describe('scenarioSpans: where each scenario of a file ran', () => {
  it('places the warm-up before the judged scenario, as the options recorded them', () => {
    expect(scenarioSpans(run)).toEqual([
      { name: 'warmup', start: 0, end: 30, judged: false },
      { name: 'steady', start: 30, end: 50, judged: true },
    ]);
  });

  it('adds up the stages of a ramping scenario', () => {
    const ramp = {
      ...run,
      config: {
        ...run.config,
        options: {
          scenarios: {
            warmup: { executor: 'constant-arrival-rate', rate: 300, duration: '10s' },
            ramp: {
              executor: 'ramping-arrival-rate',
              startTime: '10s',
              stages: [
                { target: 1200, duration: '10s' },
                { target: 1200, duration: '1m20s' },
              ],
            },
          },
        },
      },
      metrics: { ...run.metrics, steadyScenario: 'ramp' },
    };
    expect(scenarioSpans(ramp)).toEqual([
      { name: 'warmup', start: 0, end: 10, judged: false },
      { name: 'ramp', start: 10, end: 100, judged: true },
    ]);
  });

  it('draws nothing for one scenario or for options it cannot read', () => {
    const single = { ...run, metrics: { ...run.metrics, steadyScenario: undefined } };
    expect(scenarioSpans(single)).toEqual([]);
    const unreadable = {
      ...run,
      config: { options: { scenarios: { warmup: { duration: 'soon' }, steady: {} } } },
    };
    expect(scenarioSpans(unreadable)).toEqual([]);
  });
});
