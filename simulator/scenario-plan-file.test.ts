import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readScenarioPlanFile, writeScenarioPlanFile } from './scenario-plan-file.ts';
import { planScenarios, type ScenarioPlanConfig } from './simulation.ts';

const dir = mkdtempSync(join(tmpdir(), 'scenario-plan-file-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('scenario plan files', () => {
  it('carry a plan of several scenarios whole: the same schedule, event for event', () => {
    const scenarios: (ScenarioPlanConfig & { gracefulStopMs: number })[] = [
      {
        name: 'warmup',
        startTimeMs: 0,
        gracefulStopMs: 30_000,
        executor: { executor: 'constant-arrival-rate', rate: 50, duration: '2s', timeUnit: '1s' },
      },
      {
        name: 'ramp',
        startTimeMs: 2000,
        gracefulStopMs: 30_000,
        executor: {
          executor: 'ramping-arrival-rate',
          startRate: 10,
          stages: [
            { target: 100, duration: '1s' },
            { target: 0, duration: '1s' },
          ],
        },
      },
    ];
    const path = join(dir, 'plan.json');
    writeScenarioPlanFile(path, scenarios);
    const read = readScenarioPlanFile(path);
    expect(read).toEqual(scenarios.map(({ gracefulStopMs: _, ...s }) => s));
    const a = planScenarios(scenarios);
    const b = planScenarios(read);
    expect(b.totalEvents).toBe(a.totalEvents);
    for (let k = 0; k < a.totalEvents; k++) expect(b.offsetMs(k)).toBe(a.offsetMs(k));
  });

  it.each([
    ['not json', /is not JSON/],
    ['{"scenarios":[]}', /is not a plan of scenarios[\s\S]*scenarios/],
    [
      '{"scenarios":[{"name":"x","startTimeMs":0,"executor":{"executor":"per-vu-iterations"}}]}',
      /scenarios\.0\.executor\.executor/,
    ],
  ])('a file holding %j is refused, naming the file and the field', (text, message) => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, text);
    expect(() => readScenarioPlanFile(path)).toThrow(message);
    expect(() => readScenarioPlanFile(path)).toThrow(/--scenarios-file ".*bad\.json"/);
  });
});
