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
export async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  waitMs = TOPIC_READY_WAIT_MS,
): Promise<void> {
  const existing = await admin.listTopics();
  if (!existing.includes(topic)) {
    // false when another process created it between the list and the create: checked below.
    // Not waitForLeaders: kafkajs gives up on the first "does not host this topic-partition",
    // which a broker answers while the new topic's metadata is still on its way to its cache
    // (seen right after a KRaft broker started); the wait below takes that as "not yet".
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: false,
    });
  }
  const found = await partitionsWithLeaders(admin, topic, waitMs);
  if (found !== partitions)
    throw new UsageError(
      `Kafka topic "${topic}" exists with ${found} partitions; the harness needs ${partitions}. Use another topic (--topic) or delete this one`,
    );
}

/** How long a topic may take to have a leader for every partition once it exists. */
export const TOPIC_READY_WAIT_MS = 30_000;
/** Kafka's answers that mean "not yet" for a topic just created. */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Whether an error is Kafka saying "not yet" for a topic just created: the error itself, or
 * the last one kafkajs got before its own retries ran out (kept as `cause`).
 */
function notYet(error: unknown): boolean {
  for (let e = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && NOT_YET.has(type)) return true;
  }
  return false;
}

/** The topic's partition count, once every partition has a leader. */
async function partitionsWithLeaders(admin: Admin, topic: string, waitMs: number): Promise<number> {
  const deadline = Date.now() + waitMs;
  let last = 'no metadata yet';
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const found = metadata.topics[0]?.partitions ?? [];
      if (found.length > 0 && found.every((p) => p.leader >= 0)) return found.length;
      last = `${found.filter((p) => p.leader < 0).length} of ${found.length} partitions without a leader`;
    } catch (error) {
      if (!notYet(error)) throw error;
      last = (error as Error).message;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `Kafka topic "${topic}" is not ready ${waitMs / 1000} s after it was created: ${last}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
