import { describe, expect, it } from 'vitest';
import {
  histogramQuantile,
  mergeInstanceSamples,
  parsePrometheusText,
  sampleDelta,
  sumOf,
} from './prometheus-text.ts';

const text = `# HELP h a histogram
# TYPE h histogram
h_bucket{le="0.1",partition="0"} 10
h_bucket{le="0.2",partition="0"} 30
h_bucket{le="+Inf",partition="0"} 40
h_bucket{le="0.1",partition="1"} 10
h_bucket{le="0.2",partition="1"} 10
h_bucket{le="+Inf",partition="1"} 10
h_sum{partition="0"} 9
h_count{partition="0"} 40
c_total{reason="a b",variant="join"} 3
c_total{reason="x",variant="join"} 4
`;

describe('Prometheus text', () => {
  const samples = parsePrometheusText(text);

  it('parses samples with labels', () => {
    expect(samples).toContainEqual({
      name: 'c_total',
      labels: { reason: 'a b', variant: 'join' },
      value: 3,
    });
    expect(sumOf(samples, 'c_total')).toBe(7);
    expect(sumOf(samples, 'c_total', { reason: 'x' })).toBe(4);
  });

  it.each([
    [0.2, 0.05], // rank 10 of 50: halfway through the 20 in [0, 0.1]
    [0.5, 0.125], // rank 25: 5 of the 20 in (0.1, 0.2]
    [0.8, 0.2],
    [0.99, 0.2], // in +Inf: the highest finite bound
  ])('histogram_quantile(%d) over both partitions = %d', (q, expected) => {
    expect(histogramQuantile(samples, 'h', q)).toBeCloseTo(expected, 10);
  });

  it('filters series and is NaN when empty', () => {
    expect(histogramQuantile(samples, 'h', 0.5, { partition: '1' })).toBeCloseTo(0.05, 10);
    expect(histogramQuantile(samples, 'nope', 0.5)).toBeNaN();
  });

  it('subtracts an earlier scrape, series by series', () => {
    const later = parsePrometheusText(
      text.replace('c_total{reason="x",variant="join"} 4', 'c_total{reason="x",variant="join"} 10'),
    );
    const delta = sampleDelta(later, samples);
    expect(sumOf(delta, 'c_total', { reason: 'x' })).toBe(6);
    expect(sumOf(delta, 'c_total', { reason: 'a b' })).toBe(0);
  });

  it("merges several services' scrapes as one service's: sums, the largest max and quantile", () => {
    const a = parsePrometheusText(
      'c_total{partition="0"} 3\nc_total{partition="1"} 4\nharness_buffer_depth{partition="0"} 10\nlag_max 7\ns{quantile="0.99"} 2\nharness_build_info 1\n',
    );
    const b = parsePrometheusText(
      'c_total{partition="1"} 6\nc_total{partition="2"} 1\nharness_buffer_depth{partition="0"} 5\nlag_max 3\ns{quantile="0.99"} 9\nharness_build_info 1\n',
    );
    const merged = mergeInstanceSamples([a, b]);
    expect(sumOf(merged, 'c_total', { partition: '0' })).toBe(3);
    expect(sumOf(merged, 'c_total', { partition: '1' })).toBe(10);
    expect(sumOf(merged, 'c_total', { partition: '2' })).toBe(1);
    expect(sumOf(merged, 'harness_buffer_depth')).toBe(15);
    expect(sumOf(merged, 'harness_build_info')).toBe(1);
    expect(sumOf(merged, 'lag_max')).toBe(7);
    expect(sumOf(merged, 's')).toBe(9);
    expect(merged.filter((s) => s.name === 'c_total')).toHaveLength(3);
  });
});
