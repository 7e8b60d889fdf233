import { KafkaJSNonRetriableError, type Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaEventSource } from './kafka-event-source.ts';
import type { OffsetStore } from '../repository/offset-store.ts';
import { SutMetrics } from '../metrics/sut-metrics.ts';

/** A source over a consumer whose pause() fails as given: what stop() does with it. */
function sourceWithPause(pause: () => void): KafkaEventSource {
  const kafka = {
    consumer: () => ({ pause }),
    producer: () => ({}),
    admin: () => ({}),
  } as unknown as Kafka;
  return new KafkaEventSource({
    kafka,
    offsets: { scope: { group: 'g', topic: 't' } } as unknown as OffsetStore,
    connect: () => Promise.reject(new Error('not used')),
    metrics: new SutMetrics('join', 1),
  });
}

describe('KafkaEventSource.stop', () => {
  it('stops while kafkajs restarts a crashed consumer (no group to pause yet)', async () => {
    const source = sourceWithPause(() => {
      throw new KafkaJSNonRetriableError(
        'Consumer group was not initialized, consumer#run must be called first',
      );
    });
    await expect(source.stop()).resolves.toBeUndefined();
  });

  it('lets any other refusal to pause through', async () => {
    const source = sourceWithPause(() => {
      throw new Error('something else');
    });
    await expect(source.stop()).rejects.toThrow('something else');
  });
});
