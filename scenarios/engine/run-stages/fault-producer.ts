import type { Kafka, Producer } from 'kafkajs';
import type { CleanupStack, Deferred } from '../../../lib/cleanup-stack.ts';

export interface FaultProducerStage {
  readonly producer: Producer;
  readonly disconnect: Deferred<void>;
}

/**
 * Stage `fault-producer`: the producer of the poison faults' events on a Kafka run,
 * connected before the load starts.
 */
export async function connectFaultProducer(
  stack: CleanupStack,
  kafka: Kafka | undefined,
): Promise<FaultProducerStage | undefined> {
  if (kafka === undefined) return undefined;
  const producer = kafka.producer();
  await producer.connect();
  return { producer, disconnect: stack.defer('the fault producer', () => producer.disconnect()) };
}
