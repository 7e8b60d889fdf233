/** One partition as /healthz sees it (clock times in ms). */
export interface PartitionHealthState {
  readonly partition: number;
  /** Keys buffered or in a flush not yet committed. */
  readonly unwrittenKeys: number;
  /**
   * Since when increments have waited with no flush of this partition completing: the later
   * of the last completed flush and the arrival of the oldest unwritten increment.
   */
  readonly waitingSince: number | undefined;
  /** When the flush attempt in progress started. */
  readonly flushStartedAt: number | undefined;
  /** Failed attempts in a row of the pending flush, since when, and the last error. */
  readonly failures: number;
  readonly failingSince: number;
  readonly lastError: string;
  /** The buffer is at the backpressure threshold: ingest waits for a flush, then refuses. */
  readonly atBackpressure: boolean;
}
