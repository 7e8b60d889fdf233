import { bucketHistogram } from '../../results/stats/bucket-histogram.ts';
import type { PromSample } from '../../results/stats/prometheus-text.ts';

/** The service's histograms kept in a run's results, in the units reports and comparisons use. */
export function runHistograms(samples: readonly PromSample[]) {
  return {
    flushSizeRows: bucketHistogram(samples, 'harness_flush_size_rows', 'rows', 1),
    flushDurationMs: bucketHistogram(samples, 'harness_flush_duration_seconds', 'ms', 1000),
    eventToCommitMs: bucketHistogram(samples, 'harness_event_to_commit_seconds', 'ms', 1000),
  };
}
