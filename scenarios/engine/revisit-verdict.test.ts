import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { flushSizeMetrics } from './fixtures/flush-size-metrics.ts';
import { parsePrometheusText } from '../../results/stats/prometheus-text.ts';
import { INTERVAL_HISTOGRAM } from '../../sut/metrics/interval-recorder.ts';
import { planScenarios } from '../../simulator/simulation.ts';
import { countAtLeast, flushSizesOf } from './flush-size-count.ts';
import { judgedLoad } from './judge-run.ts';
import { LatencyStore } from './latency-store.ts';
import { revisitVerdict } from './revisit-verdict.ts';
import { metricReaders } from './run-metrics.ts';
import { runSettings, scenarioWindows, type SeriesPoint } from './run-plan.ts';
import { validateScenarioOptions } from './scenario-options.ts';

const metrics = flushSizeMetrics;

/** A run's exact flush sizes as the service reports them, and the verdict's view of them. */
function flushesOf(sizes: readonly number[]) {
  const h = hdr.build(INTERVAL_HISTOGRAM);
  for (const rows of sizes) h.recordValue(rows);
  const store = new LatencyStore([{ name: 'steady', startMs: 0, endMs: 3_600_000 }]);
  store.startLoad(1_800_000_000_000);
  store.add([
    {
      seq: 1,
      second: 1_800_000_010,
      partition: 0,
      metric: 'flushRows',
      hdr: hdr.encodeIntoCompressedBase64(h),
    },
  ]);
  h.destroy();
  const readers = metricReaders([], undefined, 60, 20, undefined, {
    latency: store,
    variant: 'join',
  });
  const counted = flushSizesOf(store.encode());
  const verdict = revisitVerdict(readers, 'join', undefined, 70, undefined, {
    flushesAtLeast: (rows) => countAtLeast(counted, rows),
  });
  counted.destroy();
  return verdict;
}

/**
 * A file of a warm-up at 300 events/s, a ramp, then a hold: the service's per-second series
 * as the plan has it (each second accepts what the schedule sent in it), and the verdict.
 */
function rampVerdict(hold: number, holdSeconds: number) {
  const options = validateScenarioOptions('ramp.ts', {
    scenarios: {
      warmup: { executor: 'constant-arrival-rate', rate: 300, duration: '10s' },
      main: {
        executor: 'ramping-arrival-rate',
        startRate: 300,
        startTime: '10s',
        stages: [
          { target: hold, duration: '10s' },
          { target: hold, duration: `${holdSeconds}s` },
        ],
      },
    },
  });
  const settings = runSettings(options);
  const plan = planScenarios(settings.scenarios);
  const series: SeriesPoint[] = [];
  let k = 0;
  for (let t = 1; t * 1000 <= plan.durationMs; t++) {
    const from = k;
    while (k < plan.totalEvents && plan.offsetMs(k) < t * 1000) k++;
    series.push({
      t,
      targetRate: plan.rateAt(t * 1000),
      eventsPerSecond: k - from,
      flushP95Ms: 5,
      eventToCommitP99Ms: 40,
      bufferDepth: 0,
      errors: 0,
    });
  }
  const window = scenarioWindows(settings).find((w) => w.name === 'main');
  const sent = plan.scenarios.reduce((n, s) => (s.name === 'main' ? n + s.plan.totalEvents : n), 0);
  const load = judgedLoad(
    series,
    {
      elapsedMs: plan.durationMs,
      scenarios: [
        { name: 'warmup', scheduled: 3000, sent: 3000, dropped: 0, lagHdr: '' },
        { name: 'main', scheduled: sent, sent, dropped: 0, lagHdr: '' },
      ],
    },
    settings,
  );
  expect(window?.startMs).toBe(10_000);
  return {
    load,
    verdict: revisitVerdict(
      metricReaders(parsePrometheusText(metrics(60, 90)), undefined, 1, 20),
      'join',
      undefined,
      70,
      undefined,
      { load },
    ),
  };
}

describe('the revisit verdict', () => {
  it('KEEP when no trigger fires; not evaluated checks are said so', () => {
    const v = revisitVerdict(
      metricReaders(parsePrometheusText(metrics(60, 120)), undefined, 1, 21),
      'join',
      undefined,
      70,
      undefined,
    );
    expect(v.result).toBe('KEEP');
    expect(v.checks.map((c) => c.fired)).toEqual([false, null, null, false]);
    expect(v.checks[2]?.measured).toMatch(/no sweep of join saved for this commit/);
  });

  it('REVISIT when flushes pass 500 rows or the database CPU its limit', () => {
    const big = revisitVerdict(
      metricReaders(parsePrometheusText(metrics(550, 620)), undefined, 1, 21),
      'join',
      undefined,
      70,
      undefined,
    );
    expect(big.result).toBe('REVISIT');
    expect(big.checks[0]).toMatchObject({
      fired: true,
      // Without the exact histograms the maximum is its bucket's bound (600), not the service's max gauge.
      measured: expect.stringMatching(/max 600 rows/) as unknown,
    });
    const hot = revisitVerdict(
      metricReaders(parsePrometheusText(metrics(60, 90)), undefined, 1, 85),
      'join',
      undefined,
      70,
      undefined,
    );
    expect(hot.checks[3]).toMatchObject({ fired: true, measured: '85.0 % of all cores' });
  });

  it('one straggler of 520 rows among 10,000 flushes of about 200 does not fire; a p95 at 500 does', () => {
    const about200 = Array.from({ length: 9_999 }, (_, i) => 190 + (i % 21));
    const one = flushesOf([...about200, 520]);
    expect(one.result).toBe('KEEP');
    expect(one.checks[0]).toMatchObject({
      fired: false,
      limit: 'p95 >= 500',
      measured:
        'p95 209 rows, p99 210 rows, max 520 rows; 1 of 10,000 flushes at 500+ rows (0.01 %)',
    });
    // just over 5 % of the flushes at 500 rows: the 95th percentile is 500
    const tail = flushesOf([
      ...Array.from({ length: 9_499 }, () => 200),
      ...Array.from({ length: 501 }, () => 500),
    ]);
    expect(tail.result).toBe('REVISIT');
    expect(tail.checks[0]).toMatchObject({
      fired: true,
      measured: expect.stringMatching(
        /^p95 500 rows, .*; 501 of 10,000 flushes at 500\+ rows \(5.01 %\)$/,
      ) as unknown,
    });
  });

  it('the rate trigger reads the scenario that starts last over 30 s: a hold at 1,200 fires it, at 900 not', () => {
    const high = rampVerdict(1200, 30);
    expect(high.load.scope).toBe('scenario main, 10s-50s; warmup left out');
    expect(high.load.sustained).toEqual({ windowSeconds: 30, peak: 1200, peakEndsAt: 50 });
    expect(high.verdict.result).toBe('REVISIT');
    expect(high.verdict.checks[1]).toMatchObject({
      trigger: '1,000+ events/s',
      fired: true,
      limit: '>= 1,000 over 30 s',
      measured:
        'peak 1,200.0 events/s over 30 s (to 50 s); main itself 1,087.5 events/s (43,500 sent in 40 s)',
      read: 'scenario main, 10s-50s; warmup left out, events accepted each second',
    });
    const low = rampVerdict(900, 30);
    expect(low.verdict.result).toBe('KEEP');
    expect(low.verdict.checks[1]).toMatchObject({ fired: false });
    expect(low.load.sustained.peak).toBe(900);
  });

  it('a judged scenario shorter than the window is read whole', () => {
    // 10 s of ramp from 300 and 15 s at 1,200: 25 s, averaging 1,020 events/s
    const short = rampVerdict(1200, 15);
    expect(short.load.sustained.windowSeconds).toBe(25);
    expect(short.load.sustained.peak).toBeCloseTo(1020, 0);
    expect(short.verdict.checks[1]).toMatchObject({
      fired: true,
      limit: '>= 1,000 over all 25 s of main (shorter than 30 s)',
    });
  });

  it('an aborted run: the judged scenario ran until the abort, and its rate is over that time', () => {
    const settings = runSettings(
      validateScenarioOptions('two.ts', {
        scenarios: {
          warmup: { executor: 'constant-arrival-rate', rate: 100, duration: '10s' },
          steady: {
            executor: 'constant-arrival-rate',
            rate: 200,
            duration: '60s',
            startTime: '10s',
          },
        },
      }),
    );
    const series = Array.from({ length: 15 }, (_, i) => ({
      t: i + 1,
      targetRate: i < 10 ? 100 : 200,
      eventsPerSecond: i < 10 ? 100 : 200,
      flushP95Ms: null,
      eventToCommitP99Ms: null,
      bufferDepth: 0,
      errors: 0,
    }));
    const load = judgedLoad(
      series,
      {
        elapsedMs: 15_000,
        scenarios: [
          { name: 'warmup', scheduled: 1000, sent: 1000, dropped: 0, lagHdr: '' },
          { name: 'steady', scheduled: 1000, sent: 1000, dropped: 0, lagHdr: '' },
        ],
      },
      settings,
    );
    expect(load).toMatchObject({
      scope: 'scenario steady, 10s-15s (stopped early); warmup left out',
      seconds: 5,
      sent: 1000,
      sustained: { windowSeconds: 5, peak: 200 },
    });
  });
});
