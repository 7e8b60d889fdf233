import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { flushSizeMetrics } from './fixtures/flush-size-metrics.ts';
import { parsePrometheusText } from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { LatencyStore } from './latency-store.ts';
import { evaluate, metricReaders, parseThresholds } from './run-metrics.ts';
import type { SeriesPoint } from './run-plan.ts';
import { metricValues } from './run-summary.ts';
import { validateScenarioOptions } from './scenario-options.ts';

const metrics = flushSizeMetrics;

const options = (thresholds: Record<string, string[]>) =>
  validateScenarioOptions('test', {
    scenarios: { s: { executor: 'constant-arrival-rate', rate: 10, duration: '1s' } },
    thresholds,
  });

describe('thresholds over the harness metrics', () => {
  it('evaluates trends, counters and gauges with k6 meaning', () => {
    const readers = metricReaders(parsePrometheusText(metrics(50, 80)), undefined, 10, 42);
    const outcome = evaluate(
      parseThresholds(
        options({
          flush_size: ['avg<60', 'max<50'],
          rejected_events: ['count==0', 'rate<1'],
          db_cpu: ['value<70'],
        }),
        () => 0,
      ),
      readers,
    );
    expect(outcome.map((o) => [o.metric, o.expression, o.value, o.ok])).toEqual([
      ['flush_size', 'avg<60', 50, true],
      // Without the exact histograms, a maximum is the bound of its bucket (the service's
      // max gauge holds the last minute's, not the run's).
      ['flush_size', 'max<50', 100, false],
      ['rejected_events', 'count==0', 3, false],
      ['rejected_events', 'rate<1', 0.3, true],
      ['db_cpu', 'value<70', 42, true],
    ]);
  });

  it('a metric without a value fails its threshold, as in k6', () => {
    const outcome = evaluate(
      parseThresholds(options({ event_to_commit: ['p(95)<100'] }), () => 0),
      metricReaders([], undefined, 1, undefined),
    );
    expect(outcome[0]).toMatchObject({ value: null, ok: false });
  });

  it('events_per_second is a gauge of the load: its value the last 5 s of it, with its lowest and highest', () => {
    // a warm-up at 300 events/s, a ramp, 1,200 held to the end with seconds swinging either
    // side of a scrape; then the final flushes
    const rates = [300, 300, 300, 600, 900, 1200, 1130, 1270, 1150, 1250];
    const series = [...rates, 40, 0].map((r, i) => point(i + 1, r));
    const readers = metricReaders(
      [],
      sim({ elapsedMs: 10_000, sent: 7405 }),
      12,
      20,
      undefined,
      {
        latency: new LatencyStore([{ name: 's', startMs: 0, endMs: 10_000 }]),
        variant: 'join',
      },
      series,
    );
    expect(metricValues(readers).events_per_second).toEqual({ value: 1200, min: 300, max: 1200 });
    const outcome = evaluate(
      parseThresholds(options({ events_per_second: ['value>1100'] }), () => 0),
      readers,
    );
    expect(outcome[0]).toMatchObject({ value: 1200, ok: true });
  });

  it("after an abort, every rate divides by the time the load ran, a scenario's by its own", () => {
    // steady planned for 60 s from 10 s, stopped 15 s into the load: 1,379 events in all
    const store = new LatencyStore([
      { name: 'warmup', startMs: 0, endMs: 40_000, runEndMs: 10_000 },
      { name: 'steady', startMs: 10_000, endMs: 100_000, runEndMs: 70_000 },
    ]);
    const stopped = sim({
      elapsedMs: 15_000,
      sent: 1379,
      scenarios: [
        { name: 'warmup', scheduled: 1000, sent: 1000, dropped: 0, lagHdr: '' },
        { name: 'steady', scheduled: 379, sent: 379, dropped: 0, lagHdr: '' },
      ],
    });
    const readers = metricReaders([], stopped, 15, 20, undefined, {
      latency: store,
      variant: 'join',
    });
    expect(readers.events_sent({ kind: 'rate' })).toBeCloseTo(1379 / 15, 6);
    expect(readers.events_sent({ kind: 'rate' }, { scenario: 'steady' })).toBeCloseTo(379 / 5, 6);
    expect(readers.events_sent({ kind: 'rate' }, { scenario: 'warmup' })).toBeCloseTo(100, 6);
    expect(readers.events_per_second({ kind: 'value' })).toBeCloseTo(1379 / 15, 6);
  });
});

function point(t: number, eventsPerSecond: number): SeriesPoint {
  return {
    t,
    targetRate: eventsPerSecond,
    eventsPerSecond,
    flushP95Ms: null,
    eventToCommitP99Ms: null,
    bufferDepth: 0,
    errors: 0,
  };
}

/** What the simulator reports, as far as the readers look: sent events and the time it ran. */
function sim(over: Partial<RunStats> & { elapsedMs: number; sent: number }): RunStats {
  const noLag = hdr.build();
  const lagHdr = hdr.encodeIntoCompressedBase64(noLag);
  noLag.destroy();
  return {
    scheduled: over.sent,
    dropped: 0,
    targetRate: 0,
    achievedRate: (over.sent / over.elapsedMs) * 1000,
    lag: { p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 },
    lagHdr,
    partitions: [],
    scenarios: [{ name: 's', scheduled: over.sent, sent: over.sent, dropped: 0, lagHdr }],
    ...over,
  };
}
