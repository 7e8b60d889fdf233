import { describe, expect, it } from 'vitest';
import { histogramQuantile, parsePrometheusText } from './prometheus-text.ts';
import {
  bucketHistogram,
  bucketQuantile,
  totalCounts,
  weightedBuckets,
} from './bucket-histogram.ts';

const scrape = parsePrometheusText(
  [
    'h_bucket{le="0.01",partition="0"} 2',
    'h_bucket{le="0.05",partition="0"} 5',
    'h_bucket{le="+Inf",partition="0"} 6',
    'h_bucket{le="0.01",partition="1"} 0',
    'h_bucket{le="0.05",partition="1"} 3',
    'h_bucket{le="+Inf",partition="1"} 3',
    'h_count{partition="0"} 6',
  ].join('\n'),
);

describe('bucketHistogram', () => {
  const h = bucketHistogram(scrape, 'h', 'ms', 1000);

  it('keeps per-partition, per-bucket counts and scales the bounds', () => {
    expect(h).toEqual({
      unit: 'ms',
      bounds: [10, 50],
      partitions: [
        { partition: 0, counts: [2, 3, 1] },
        { partition: 1, counts: [0, 3, 0] },
      ],
    });
    expect(totalCounts(h)).toEqual([2, 6, 1]);
  });

  it('reads the same quantiles as histogram_quantile on the scrape', () => {
    for (const q of [0, 0.25, 0.5, 0.9, 0.99, 1]) {
      expect(bucketQuantile(h, q)).toBeCloseTo(histogramQuantile(scrape, 'h', q) * 1000, 9);
    }
  });

  it('weights bucket midpoints by their counts', () => {
    expect(weightedBuckets(h)).toEqual([
      { value: 5, weight: 2 },
      { value: 30, weight: 6 },
      { value: 50, weight: 1 },
    ]);
  });

  it('is empty (NaN quantiles) when nothing was observed', () => {
    const empty = bucketHistogram([], 'h', 'ms', 1000);
    expect(empty.partitions).toEqual([]);
    expect(bucketQuantile(empty, 0.5)).toBeNaN();
  });
});
