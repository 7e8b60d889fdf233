import { bucketHistogram } from '../../results/stats/bucket-histogram.ts';
import type { PromSample } from '../../results/stats/prometheus-text.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';

/** The service's histograms kept in a run's results, in the units reports and comparisons use. */
export function runHistograms(samples: readonly PromSample[]) {
  return {
    flushSizeRows: bucketHistogram(samples, METRIC_NAMES.flushSizeRows, 'rows', 1),
    flushDurationMs: bucketHistogram(samples, METRIC_NAMES.flushDurationSeconds, 'ms', 1000),
    eventToCommitMs: bucketHistogram(samples, METRIC_NAMES.eventToCommitSeconds, 'ms', 1000),
  };
}
