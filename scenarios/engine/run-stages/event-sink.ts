import type { Kafka } from 'kafkajs';
import type { CleanupStack, Deferred } from '../../../lib/cleanup-stack.ts';
import type { DeliveryLedger } from '../../../simulator/delivery-ledger.ts';
import type { EventSinkTarget } from '../../../simulator/sinks/event-sink.ts';
import { DEFAULT_HTTP_SINK, HttpSink } from '../../../simulator/sinks/http-sink.ts';
import { DEFAULT_KAFKA_SINK, KafkaSink } from '../../../simulator/sinks/kafka-sink.ts';

export interface EventSinkStage {
  readonly sink: EventSinkTarget;
  readonly close: Deferred<void>;
}

/**
 * Stage `event-sink`: where this process's load goes, the service's `POST /events` or the
 * run's topic. None when generator processes make the load: each has its own.
 */
export async function openEventSink(
  stack: CleanupStack,
  input: {
    readonly generators: number;
    readonly kafka: Kafka | undefined;
    readonly topic: string;
    readonly serviceUrl: string;
    readonly partitions: number;
    readonly ledger: DeliveryLedger;
  },
): Promise<EventSinkStage | undefined> {
  if (input.generators > 1) return undefined;
  const { ledger, partitions } = input;
  const sink: EventSinkTarget =
    input.kafka !== undefined
      ? await KafkaSink.connect({
          ...DEFAULT_KAFKA_SINK,
          kafka: input.kafka,
          topic: input.topic,
          partitions,
          ledger,
        })
      : new HttpSink({ ...DEFAULT_HTTP_SINK, url: input.serviceUrl, partitions, ledger });
  return { sink, close: stack.defer('the event sink', () => sink.close()) };
}
