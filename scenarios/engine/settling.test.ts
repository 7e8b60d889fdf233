import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { INTERVAL_HISTOGRAM, INTERVAL_METRICS } from '../../sut/metrics/interval-recorder.ts';
import { LatencyStore } from './latency-store.ts';
import { settlingLine, settlingOf } from './settling.ts';
import { runSettings, scenarioWindows } from './run-plan.ts';
import { validateScenarioOptions } from './scenario-options.ts';

/** A store fed `seconds` seconds of one flush each, its duration given per second (µs). */
function storeOf(flushUsAt: (second: number) => number, seconds: number) {
  const store = new LatencyStore([{ name: 'only', startMs: 0, endMs: seconds * 1000 }]);
  store.startLoad(1_000_000);
  let seq = 0;
  for (let s = 0; s < seconds; s++) {
    const h = hdr.build(INTERVAL_HISTOGRAM);
    h.recordValue(flushUsAt(s));
    store.add([
      {
        seq: ++seq,
        second: 1000 + s,
        partition: 0,
        metric: 'flushDurationUs',
        hdr: hdr.encodeIntoCompressedBase64(h),
      },
    ]);
    h.destroy();
  }
  return store;
}

function edgesOf(store: LatencyStore, loadMs: number) {
  const edges = store.edges(loadMs);
  if (edges === undefined) throw new Error('no edges for a load this long');
  return edges;
}

const series = (flushUsAt: (second: number) => number, seconds: number) =>
  Array.from({ length: seconds }, (_, i) => ({ t: i + 1, flushP95Ms: flushUsAt(i) / 1000 }));

describe('settling: the first and last seconds of a load compared', () => {
  it('a load slow for its first 20 s: 30 s windows far apart, steady after 20 s', () => {
    const slow = (s: number) => (s < 20 ? 80_000 : 5_000);
    const settling = settlingOf(edgesOf(storeOf(slow, 120), 120_000), series(slow, 120), 120);
    expect(settling.seconds).toBe(30);
    expect(settling.first.flushes).toBe(30);
    expect(settling.first.flushP95Ms).toBeCloseTo(80, 0);
    expect(settling.last.flushP95Ms).toBeCloseTo(5, 1);
    expect(settling.flushP95Ratio).toBeGreaterThan(10);
    expect(settling.settledAfterSeconds).toBe(19);
    expect(settlingLine(settling)).toMatch(
      /flush p95 80\.\d ms in the first 30 s of the load, 5\.\d+ ms in the last 30 s \(16\.\dx\).*steady \(within 2x of the end\) after 19 s/,
    );
  });

  it('a load steady from the start says so; one spike does not unsettle it', () => {
    const flat = (s: number) => (s === 50 ? 90_000 : 5_000 + (s % 3) * 100);
    const settling = settlingOf(edgesOf(storeOf(flat, 100), 100_000), series(flat, 100), 100);
    expect(settling.flushP95Ratio).toBeCloseTo(1, 1);
    expect(settling.settledAfterSeconds).toBe(0);
    expect(settlingLine(settling)).toMatch(/steady \(within 2x of the end\) from the first second/);
  });

  it('a short load compares shorter windows; under 2 s nothing', () => {
    const store = storeOf(() => 5_000, 20);
    expect(store.edges(20_000)?.seconds).toBe(10);
    expect(store.edges(1_500)).toBeUndefined();
    expect(INTERVAL_METRICS).toContain('flushDurationUs');
  });
});

describe('several scenarios in one file', () => {
  const options = validateScenarioOptions('two.ts', {
    scenarios: {
      warmup: { executor: 'constant-arrival-rate', rate: 10, duration: '30s' },
      steady: { executor: 'constant-arrival-rate', rate: 10, duration: '1m', startTime: '30s' },
    },
    thresholds: { 'flush_duration{scenario:steady}': ['p(95)<50'] },
  });

  it('runs the one that starts last as the main one, each in its window', () => {
    const settings = runSettings(options);
    expect(settings.scenarioName).toBe('steady');
    expect(scenarioWindows(settings)).toEqual([
      { name: 'warmup', startMs: 0, endMs: 60_000, runEndMs: 30_000 },
      { name: 'steady', startMs: 30_000, endMs: 120_000, runEndMs: 90_000 },
    ]);
  });

  it("a scenario's rates divide by the time it ran: not its graceful stop, not past an abort", () => {
    const store = new LatencyStore(scenarioWindows(runSettings(options)));
    expect(store.secondsOf('warmup')).toBe(30);
    expect(store.secondsOf('steady')).toBe(60);
    // aborted 35 s into the load: the warm-up ran whole, steady 5 s of its minute
    expect(store.secondsOf('warmup', 35_000)).toBe(30);
    expect(store.secondsOf('steady', 35_000)).toBe(5);
    expect(store.secondsOf('steady', 20_000)).toBe(0);
  });

  it('refuses a threshold on a scenario the file does not have, or a tag the metric lacks', () => {
    expect(() =>
      validateScenarioOptions('two.ts', {
        ...options,
        thresholds: {
          'flush_duration{scenario:stedy}': ['p(95)<50'],
          'db_cpu{partition:1}': ['value<70'],
        },
      }),
    ).toThrow(
      /no scenario named stedy \(the file's: warmup, steady\)[\s\S]*db_cpu has no partition tag/,
    );
  });
});
