import { describe, expect, it } from 'vitest';
import { SutMetrics } from '../../sut/metrics/sut-metrics.ts';
import type { IntervalHistogram } from '../../sut/metrics/interval-recorder.ts';
import { parsePrometheusText } from '../../results/stats/prometheus-text.ts';
import { LatencyStore } from './latency-store.ts';
import { metricReaders } from './run-metrics.ts';
import { metricLines, metricValues } from './run-summary.ts';

/** The value at rank ceil(q * n) of the sorted values: the nearest-rank percentile HdrHistogram reports. */
function nearestRank(sorted: readonly number[], percentile: number): number {
  // (percentile * n) / 100, not (percentile / 100) * n: 99.9 / 100 is a hair above 0.999.
  const rank = Math.max(1, Math.ceil((percentile * sorted.length) / 100));
  return sorted[rank - 1] as number;
}

/** A deterministic spread of latencies in ms: a log-normal-like body and a tail, none below 25 ms. */
function latenciesMs(n: number): number[] {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => {
    const body = 27.3 + 40 * random() ** 3;
    return i % 97 === 0 ? body + 300 * random() : body;
  });
}

/**
 * HdrHistogram with three significant digits keeps each value within 1/2048 of itself
 * (its stated precision: the values that share a bucket differ by less than 0.1 %).
 */
const closeTo = (actual: number | null | undefined, expected: number) =>
  actual !== null && actual !== undefined && Math.abs(actual - expected) <= expected / 1000 + 0.001;

const ASKED = [
  ['min', 0],
  ['med', 50],
  ['p(90)', 90],
  ['p(95)', 95],
  ['p(99)', 99],
  ['p(99.9)', 99.9],
  ['max', 100],
] as const;

async function recordAndRead(valuesMs: readonly number[]) {
  const metrics = new SutMetrics('join', 2);
  valuesMs.forEach((ms, i) => {
    const partition = metrics.partition(i % 2);
    partition.flushDuration.observe(ms / 1000);
    // An event intended ms * 3 before the commit.
    partition.eventsCommitted(1_800_000_000_000, [1_800_000_000_000 - ms * 3]);
  });
  // What the harness receives over HTTP: the closed seconds, as JSON.
  const intervals = JSON.parse(
    JSON.stringify(metrics.intervals.since(0, true)),
  ) as IntervalHistogram[];
  const store = new LatencyStore([{ name: 'steady', startMs: -3_600_000, endMs: 3_600_000 }]);
  store.startLoad();
  store.add(intervals);
  const samples = parsePrometheusText(await metrics.registry.metrics());
  return {
    exact: metricValues(
      metricReaders(samples, undefined, 10, undefined, undefined, {
        latency: store,
        variant: 'join',
      }),
      [{ key: 'flush_duration{partition:1}', metric: 'flush_duration', filter: { partition: 1 } }],
    ),
    bucketed: metricValues(metricReaders(samples, undefined, 10, undefined)),
  };
}

describe('exact latencies: the service records, the summary reports', () => {
  const values = latenciesMs(20_000);
  const sorted = [...values].sort((a, b) => a - b);

  it('reports min, med, max and p(90)..p(99.9) of known latencies within HdrHistogram precision', async () => {
    const { exact } = await recordAndRead(values);
    for (const [name, percentile] of ASKED) {
      const expected = nearestRank(sorted, percentile);
      expect(closeTo(exact.flush_duration?.[name], expected), `flush_duration ${name}`).toBe(true);
      expect(closeTo(exact.event_to_commit?.[name], expected * 3), `event_to_commit ${name}`).toBe(
        true,
      );
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(closeTo(exact.flush_duration?.avg, mean)).toBe(true);
  });

  it('a sub-metric reads only its own samples (partition 1: every second value)', async () => {
    const { exact } = await recordAndRead(values);
    const odd = values.filter((_, i) => i % 2 === 1).sort((a, b) => a - b);
    for (const [name, percentile] of ASKED)
      expect(
        closeTo(exact['flush_duration{partition:1}']?.[name], nearestRank(odd, percentile)),
      ).toBe(true);
  });

  it('the summary line prints those exact values', async () => {
    const { exact } = await recordAndRead(values);
    const line = metricLines(exact, [])
      .split('\n')
      .find((l) => l.includes('flush_duration.'));
    const min = Number(/min=([\d.,]+) ms/.exec(line ?? '')?.[1]?.replace(/,/g, ''));
    expect(closeTo(min, sorted[0] as number)).toBe(true);
    expect(line).toContain('p(99.9)=');
  });

  it('the Prometheus buckets would not pass this test (their min is a bucket edge)', async () => {
    const { bucketed } = await recordAndRead(values);
    const wrong = ASKED.filter(
      ([name, percentile]) =>
        !closeTo(bucketed.event_to_commit?.[name], nearestRank(sorted, percentile) * 3),
    );
    expect(wrong.map(([name]) => name)).toEqual(expect.arrayContaining(['min', 'p(99)']));
  });
});
