import type { ConsumerHealthState } from './consumer-health.ts';
import type { IngestPort, LogIngestPort } from './ingest-ports.ts';

/**
 * A transport that delivers events to the service: the embedded HTTP source, or Kafka.
 * `start` begins delivering into the sink; `stop` stops taking new events and returns once
 * every delivery in progress has reached the sink.
 */
export interface EventSource {
  readonly name: string;
  start(sink: IngestPort & LogIngestPort): Promise<void>;
  stop(): Promise<void>;
  /** After the service flushed everything: release what the source still holds (Kafka: acknowledge, leave the group). */
  close?(): Promise<void>;
  /** A consuming transport (Kafka): when it last fetched and how far behind it is, for /healthz. */
  consumerHealth?(): ConsumerHealthState;
}
