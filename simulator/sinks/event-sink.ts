import type { PlayerEvent } from '../../sut/events/player-event.ts';

export interface SinkStats {
  /** Events the target confirmed it accepted. */
  readonly delivered: number;
  /** Events the target refused (its answer said rejected). */
  readonly rejected: number;
  /** Events lost to failed requests: errors, timeouts, non-2xx answers. Never retried. */
  readonly failed: number;
  /** Batches sent: requests, batches on a stream, or produce calls. */
  readonly requests: number;
  /** Failure messages, the first few. */
  readonly errors: readonly string[];
  /** HTTP sink: how its batches went at the end (`stream`, or `requests` after a fallback). */
  readonly transport?: 'stream' | 'requests';
}

/**
 * Where the simulator's events go: memory, the service over HTTP, or Kafka. `offer` never
 * blocks: it takes the event or says no at once, so a slow target shows up as dropped events
 * and never as a slower schedule (no coordinated omission).
 */
export interface EventSinkTarget {
  readonly name: string;
  /**
   * Takes an event for `partition`; false when the sink cannot hold more right now. `index`
   * is the event's place in the run (its ledger entry, when the sink keeps one).
   */
  offer(event: PlayerEvent, partition: number, index: number): boolean;
  /**
   * How the sink batches, when it does (a producer's linger.ms and batch size): it holds an
   * event up to `lingerMs` before sending it, or sends as soon as `maxBatch` are queued. A
   * runner that hands events over in groups, each when its first event's linger runs out or
   * when it would fill a batch, then calls sendQueued(), puts them on the wire when the sink's
   * own rules would have, with one wake-up a group instead of one per due event and one per
   * linger.
   */
  readonly batching?: { readonly lingerMs: number; readonly maxBatch: number };
  /** Sends what is queued now instead of waiting out the linger. */
  sendQueued?(): void;
  /** Sends what is buffered and waits for every request in flight. */
  drain(): Promise<void>;
  close(): Promise<void>;
  stats(): SinkStats;
}
