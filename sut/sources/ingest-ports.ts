import type { LogFlushListener } from '../buffer/flush-worker.ts';
import type { PlayerEvent } from '../events/player-event.ts';

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  /** Set when ingest stopped early: backpressure timed out or the service is stopping. */
  readonly error?: string;
  /**
   * A batch for several partitions that was not taken whole: what each partition's part
   * took, so a sender can tell which of its events were accepted (a partition is FNV-1a of
   * the player id, which the sender can compute too).
   */
  readonly parts?: readonly PartResult[];
}

export interface PartResult {
  readonly partition: number;
  readonly accepted: number;
  readonly rejected: number;
}

/**
 * What a source (sut/sources) delivers events to: the service's ingest side, implemented by
 * FlushService. The simulator's sinks are the other end of the wire: they send, these receive.
 */
export interface IngestPort {
  /**
   * Buffers events. `partition` is given when the transport already partitioned them
   * (a Kafka partition); otherwise the service partitions by FNV-1a of the player id.
   */
  ingest(events: readonly PlayerEvent[], partition?: number): Promise<IngestResult>;
}

/** Where a log transport (Kafka) delivers: per partition, in log order, with positions. */
export interface LogIngestPort {
  appendFromLog(
    partition: number,
    event: PlayerEvent | undefined,
    nextOffset: number,
    keepWaiting: () => boolean,
  ): Promise<boolean>;
  discardPartition(partition: number): number;
  listenToLog(listener: LogFlushListener): void;
  readonly partitions: number;
}
