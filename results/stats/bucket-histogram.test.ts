import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.ts';
import { bucketHistogram, totalCounts } from './bucket-histogram.ts';

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

  it('is empty when nothing was observed', () => {
    const empty = bucketHistogram([], 'h', 'ms', 1000);
    expect(empty.partitions).toEqual([]);
    expect(totalCounts(empty)).toEqual([0]);
  });
});
