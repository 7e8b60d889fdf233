import type { Kafka } from 'kafkajs';
import type pg from 'pg';

/** Each partition's end (the offset after its last record) now. */
export async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map(
      (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until PostgreSQL's stored offsets reach `ends` for every partition: every record
 * produced so far is applied. A Kafka run ends here before it stops the service, since the
 * log keeps what the service has not consumed yet and the audit would call it lost.
 */
export async function waitForStoredOffsets(
  client: pg.ClientBase,
  scope: { group: string; topic: string },
  ends: Map<number, number>,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let behind = '';
  while (Date.now() < deadline) {
    const { rows } = await client.query<{ partition: number; next_offset: string | null }>(
      'SELECT partition, next_offset FROM kafka_offsets WHERE consumer_group = $1 AND topic = $2',
      [scope.group, scope.topic],
    );
    const stored = new Map(rows.map((r) => [r.partition, Number(r.next_offset ?? 0)]));
    const lagging = [...ends].filter(([p, end]) => end > 0 && (stored.get(p) ?? 0) < end);
    if (lagging.length === 0) return;
    behind = lagging.map(([p, end]) => `${p}: ${stored.get(p) ?? 'none'}/${end}`).join(', ');
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `stored offsets did not reach the topic's end within ${timeoutMs} ms (${behind})`,
  );
}
