import type { Admin } from 'kafkajs';
import { UsageError } from '../../lib/errors.ts';

/** The events topic's default name (Kafka partition p feeds the service's partition p). */
export const DEFAULT_TOPIC = 'player-events';

export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * Creates `topic` with `partitions` partitions when it is missing. A topic that exists with
 * another partition count is an error, not something to repair: the partition count is
 * what keeps a player's events in order on one consumer, and changing it moves players.
 */
export async function ensureTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  const existing = await admin.listTopics();
  if (!existing.includes(topic)) {
    // false when another process created it between the list and the create: checked below.
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const found = metadata.topics[0]?.partitions.length ?? 0;
  if (found !== partitions)
    throw new UsageError(
      `Kafka topic "${topic}" exists with ${found} partitions; the harness needs ${partitions}. Use another topic (--topic) or delete this one`,
    );
}
