import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isUsageError } from '../../lib/errors.ts';
import { loadScenario } from './load-scenario.ts';
import { prepareScenario } from './prepare-scenario.ts';

// Hostile scenario options, by class: numbers at and past every edge, strings where numbers
// belong, durations that are not, keys that name Object.prototype's members, deep and odd
// shapes. Whatever a file holds, preparing it must end in a prepared scenario or a
// UsageError, quickly: never another exception, a hang, or a plan of Infinity events.

const hostileNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1e-300,
    1e308,
    Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 31,
    0.5,
  ),
  fc.double(),
  fc.integer(),
);
const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    '1s',
    '0s',
    '1e308s',
    '99999999999999999999h',
    '0.0000001ms',
    '1m30s',
    'constructor',
    '__proto__',
    'toString',
    'p(95)<50',
    'p(100)<1',
    'count==0',
    'avg<',
    '😀'.repeat(60),
    '\u0000',
  ),
  fc.string({ maxLength: 30 }),
);
const hostileValue = fc.oneof(
  hostileNumber,
  hostileString,
  fc.constantFrom(null, undefined, true, [], {}),
);
const metricName = fc.oneof(
  fc.constantFrom(
    'flush_duration',
    'event_to_commit',
    'dropped_events',
    'db_cpu',
    'constructor',
    'toString',
    '__proto__',
    'valueOf',
    'hasOwnProperty',
  ),
  fc.string({ maxLength: 12 }),
);
const thresholdEntry = fc.oneof(
  hostileString,
  fc.record({
    threshold: hostileValue,
    abortOnFail: fc.oneof(fc.boolean(), hostileValue),
    delayAbortEval: fc.oneof(hostileString, hostileValue),
  }),
);
const constantArrivalRate = fc.record(
  {
    executor: fc.constant('constant-arrival-rate'),
    rate: hostileValue,
    timeUnit: fc.oneof(hostileString, hostileValue),
    duration: fc.oneof(hostileString, hostileValue),
    gracefulStop: hostileString,
  },
  { requiredKeys: ['executor'] },
);
const rampingArrivalRate = fc.record(
  {
    executor: fc.constant('ramping-arrival-rate'),
    startRate: hostileValue,
    timeUnit: hostileString,
    stages: fc.oneof(
      fc.array(
        fc.record({ target: hostileValue, duration: fc.oneof(hostileString, hostileValue) }),
        { maxLength: 4 },
      ),
      hostileValue,
    ),
  },
  { requiredKeys: ['executor'] },
);
const options = fc.record(
  {
    scenarios: fc.oneof(
      fc.dictionary(
        fc.oneof(hostileString, fc.constant('s')),
        fc.oneof(constantArrivalRate, rampingArrivalRate, hostileValue),
        { maxKeys: 2 },
      ),
      hostileValue,
    ),
    thresholds: fc.oneof(
      fc.dictionary(
        metricName,
        fc.oneof(fc.array(thresholdEntry, { maxLength: 3 }), hostileValue),
        {
          maxKeys: 3,
        },
      ),
      hostileValue,
    ),
    harness: fc.oneof(
      fc.record(
        {
          variant: hostileString,
          partitions: hostileValue,
          players: hostileValue,
          flushIntervalMs: hostileValue,
          dbCpuLimitPercent: hostileValue,
          transport: hostileString,
        },
        { requiredKeys: [] },
      ),
      hostileValue,
    ),
  },
  { requiredKeys: ['scenarios'] },
);

function outcome(raw: unknown): 'prepared' | 'refused' {
  try {
    const prepared = prepareScenario('fuzz.ts', raw);
    // A prepared scenario plans a finite schedule.
    expect(Number.isFinite(prepared.plan.totalEvents)).toBe(true);
    expect(Number.isFinite(prepared.plan.durationMs)).toBe(true);
    return 'prepared';
  } catch (error) {
    if (!isUsageError(error)) throw error;
    expect(error.message).toMatch(/^scenario fuzz\.ts/);
    return 'refused';
  }
}

describe('scenario options, fuzzed', () => {
  it('prepare or refuse with a UsageError, never crash, never plan the unplannable', () => {
    const seen = { prepared: 0, refused: 0 };
    fc.assert(
      fc.property(options, (raw) => {
        const started = performance.now();
        seen[outcome(raw)]++;
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 2000 },
    );
    // The generator reaches both sides.
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('near-valid scenarios with one hostile number are prepared or refused, never planned to Infinity', () => {
    fc.assert(
      fc.property(hostileNumber, hostileNumber, (rate, target) => {
        outcome({
          scenarios: { s: { executor: 'constant-arrival-rate', rate, duration: '1s' } },
        });
        outcome({
          scenarios: {
            s: {
              executor: 'ramping-arrival-rate',
              startRate: rate,
              stages: [{ target, duration: '10s' }],
            },
          },
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('scenario files, fuzzed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harness-scenario-fuzz-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;

  /** The options as a module's source: JSON where it can, and the numbers JSON cannot write. */
  function moduleText(raw: unknown): string {
    if (raw === undefined) return 'export const options = undefined;\n';
    const text = JSON.stringify(raw, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? `@@${String(v)}@@` : v,
    );
    return `export const options = ${text.replace(/"@@(-?\w+)@@"/g, '$1')};\n`;
  }

  it('load, then prepare or refuse, whatever the file exports', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(options, fc.anything({ maxDepth: 3 })),
        fc.constantFrom('.ts', '.mjs', '.js'),
        async (raw, extension) => {
          const path = join(dir, `s${n++}${extension}`);
          writeFileSync(path, moduleText(raw));
          try {
            const loaded = await loadScenario(path);
            outcome(loaded.options);
          } catch (error) {
            if (!isUsageError(error)) throw error;
            expect(error.message).toContain(path);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
