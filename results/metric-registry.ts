/**
 * The metrics a run measures and judges, with their k6 kind and the tags their samples carry:
 * one registry for the scenario files' thresholds, the summary, the exports and the history.
 */

/** The tags a sample can carry, so a threshold can select a sub-metric (k6's `{tag:value}`). */
export const METRIC_TAGS = ['scenario', 'partition', 'variant'] as const;
export type MetricTag = (typeof METRIC_TAGS)[number];

export const HARNESS_METRICS = {
  flush_size: 'trend',
  rows_updated: 'trend',
  flush_duration: 'trend',
  event_to_commit: 'trend',
  schedule_lag: 'trend',
  events_per_second: 'gauge',
  events_sent: 'counter',
  dropped_events: 'counter',
  rejected_events: 'counter',
  flushes: 'counter',
  flush_errors: 'counter',
  db_cpu: 'gauge',
  /** The audit (after the run): increments acknowledged but missing, beyond what a crash explains. */
  lost_increments: 'counter',
  /** The audit: increments applied more often than they were sent. */
  doubled_increments: 'counter',
  /** The audit: increments lost with the buffer of a service that was killed (HTTP's known window). */
  lost_at_crash: 'counter',
} as const;
export type HarnessMetric = keyof typeof HARNESS_METRICS;

/**
 * The tags each metric's samples carry, so sub-metrics can select them. The service's exact
 * histograms know their partition and second (hence the scenario running then); the
 * simulator knows each event's scenario and partition; the rest are whole-run figures.
 */
export const METRIC_TAGS_OF: Readonly<Record<HarnessMetric, readonly MetricTag[]>> = {
  flush_size: ['scenario', 'partition', 'variant'],
  rows_updated: ['scenario', 'partition', 'variant'],
  flush_duration: ['scenario', 'partition', 'variant'],
  event_to_commit: ['scenario', 'partition', 'variant'],
  schedule_lag: ['scenario', 'partition', 'variant'],
  events_per_second: ['variant'],
  events_sent: ['scenario', 'partition', 'variant'],
  dropped_events: ['scenario', 'partition', 'variant'],
  rejected_events: ['variant'],
  flushes: ['scenario', 'partition', 'variant'],
  flush_errors: ['partition', 'variant'],
  db_cpu: ['variant'],
  lost_increments: ['variant'],
  doubled_increments: ['variant'],
  lost_at_crash: ['variant'],
};

/** Metrics known only once the run is over (the audit): never judged while it runs. */
export const END_OF_RUN_METRICS: ReadonlySet<HarnessMetric> = new Set([
  'lost_increments',
  'doubled_increments',
  'lost_at_crash',
]);
