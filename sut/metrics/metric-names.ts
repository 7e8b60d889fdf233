/**
 * The names of the service's Prometheus metrics: one definition for the service that exports
 * them and every reader (the run's scraper, the benchmarks, the Grafana dashboard's test).
 */
export const METRIC_NAMES = {
  buildInfo: 'harness_build_info',
  flushSizeRows: 'harness_flush_size_rows',
  flushUpdatedRows: 'harness_flush_updated_rows',
  flushDurationSeconds: 'harness_flush_duration_seconds',
  eventToCommitSeconds: 'harness_event_to_commit_seconds',
  flushSizeMaxRows: 'harness_flush_size_max_rows',
  flushDurationMaxSeconds: 'harness_flush_duration_max_seconds',
  flushesTotal: 'harness_flushes_total',
  eventsAcceptedTotal: 'harness_events_accepted_total',
  incrementsBufferedTotal: 'harness_increments_buffered_total',
  bufferDepth: 'harness_buffer_depth',
  backpressureWaitsTotal: 'harness_backpressure_waits_total',
  circuitBreakerRejectionsTotal: 'harness_circuit_breaker_rejections_total',
  flushErrorsTotal: 'harness_flush_errors_total',
  flushRetriesTotal: 'harness_flush_retries_total',
  incrementsUnmatchedTotal: 'harness_increments_unmatched_total',
  eventsReceivedTotal: 'harness_events_received_total',
  eventsRejectedTotal: 'harness_events_rejected_total',
  deadLettersTotal: 'harness_dead_letters_total',
  kafkaStaleFlushesTotal: 'harness_kafka_stale_flushes_total',
  kafkaCommitErrorsTotal: 'harness_kafka_commit_errors_total',
  unwrittenIncrements: 'harness_unwritten_increments',
  durableThroughSeconds: 'harness_durable_through_timestamp_seconds',
} as const;
