import type { Kafka } from 'kafkajs';
import { connectClient } from '../db/pool.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import { OffsetStore } from '../repository/offset-store.ts';
import { PostgresBatchWriter } from '../repository/postgres-batch-writer.ts';
import type { SqlVariant } from '../sql/variant-registry.ts';
import type { EventSource } from '../sources/event-source.ts';
import { KafkaEventSource } from '../sources/kafka-event-source.ts';

export interface KafkaTransportOptions {
  readonly databaseUrl: string;
  /** The harness's schema: the offsets table is there. */
  readonly schema: string;
  readonly variant: SqlVariant;
  readonly prepared: boolean;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly group: string;
  readonly onError?: (message: string) => void;
}

/**
 * The service's Kafka wiring: a writer that records offsets with each flush and the source
 * that claims and seeks from them, sharing one OffsetStore (its fencing state).
 */
export function kafkaTransport(options: KafkaTransportOptions): {
  writer: PostgresBatchWriter;
  source: (metrics: SutMetrics) => EventSource;
} {
  const offsets = new OffsetStore({ group: options.group, topic: options.topic });
  return {
    writer: new PostgresBatchWriter({
      url: options.databaseUrl,
      variant: options.variant,
      prepared: options.prepared,
      offsets,
      schema: options.schema,
      transport: 'kafka',
    }),
    source: (metrics) =>
      new KafkaEventSource({
        kafka: options.kafka,
        offsets,
        connect: () => connectClient(options.databaseUrl, options.schema),
        metrics,
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      }),
  };
}
