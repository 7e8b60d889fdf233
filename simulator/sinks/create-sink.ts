import { createKafka, type KafkaLog } from '../../sut/kafka/kafka-client.ts';
import type { EventSinkTarget } from './event-sink.ts';
import { DEFAULT_HTTP_SINK, HttpSink, type HttpTransport } from './http-sink.ts';
import { DEFAULT_KAFKA_SINK, KafkaSink, type KafkaCompression } from './kafka-sink.ts';
import { MemorySink } from './memory-sink.ts';
import type { DeliveryLedger } from '../delivery-ledger.ts';

/** Where the simulator sends its events, and how it batches them on the way. */
export type SinkChoice =
  | { readonly kind: 'memory' }
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly transport?: HttpTransport;
      readonly partitions: number;
      readonly lingerMs: number;
      readonly maxBatch?: number;
      readonly maxInFlight: number;
      readonly ledger?: DeliveryLedger;
    }
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      readonly topic: string;
      readonly partitions: number;
      readonly lingerMs: number;
      readonly maxBatch?: number;
      readonly compression: KafkaCompression;
      readonly log?: KafkaLog;
      readonly ledger?: DeliveryLedger;
    };

/** A sink ready to take events: the Kafka sink has connected and checked its topic. */
export async function createSink(choice: SinkChoice): Promise<EventSinkTarget> {
  switch (choice.kind) {
    case 'memory':
      return new MemorySink();
    case 'http':
      return new HttpSink({
        ...DEFAULT_HTTP_SINK,
        url: choice.url,
        transport: choice.transport ?? DEFAULT_HTTP_SINK.transport,
        partitions: choice.partitions,
        lingerMs: choice.lingerMs,
        maxBatch: choice.maxBatch ?? DEFAULT_HTTP_SINK.maxBatch,
        maxInFlight: choice.maxInFlight,
        ...(choice.ledger === undefined ? {} : { ledger: choice.ledger }),
      });
    case 'kafka':
      return KafkaSink.connect({
        ...DEFAULT_KAFKA_SINK,
        kafka: createKafka(choice.brokers, `harness-simulate-${process.pid}`, choice.log),
        topic: choice.topic,
        partitions: choice.partitions,
        lingerMs: choice.lingerMs,
        maxBatch: choice.maxBatch ?? DEFAULT_KAFKA_SINK.maxBatch,
        compression: choice.compression,
        ...(choice.ledger === undefined ? {} : { ledger: choice.ledger }),
      });
  }
}
