/** The Kafka consumer as /healthz sees it. */
export interface ConsumerHealthState {
  /** When the last fetch completed (or the consumer joined its group). */
  readonly lastFetchAt: number;
  /**
   * Records behind the log's end at the last fetch, summed over the assigned partitions;
   * undefined when a fetch has gone out since and not been answered (a broker away), so
   * nobody can say.
   */
  readonly lag: number | undefined;
}
