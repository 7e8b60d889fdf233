import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import {
  conservationAfterCatchUp,
  expectExactlyOnce,
  kafkaForTests,
  progressByKey,
  readTopic,
  seedMovingRows,
  topicEnds,
  uniqueName,
  waitForStoredOffsets,
} from '../../scripts/testing/kafka-test-support.ts';
import { perPartition, produceSimulated, startKafkaSut } from '../../scripts/testing/kafka-sut.ts';
import { generatePlayerIds } from '../db/player-ids.ts';
import { loadCatalogue, type GoalCatalogue } from '../catalogue/goal-catalogue.ts';
import { deadLetterTopicOf, ensureTopic } from '../kafka/topic.ts';
import { UsageError } from '../../lib/errors.ts';

const PLAYERS = 300;
const SEED = 7;
/** Every row moves: inactive and claimed rows never do, and would blur the conservation check. */

const broker = await kafkaForTests();
let db: TestDatabase;
let catalogue: GoalCatalogue;

describe.skipIf(broker.skip !== undefined)('Kafka transport against a real broker', () => {
  const kafka = broker.skip === undefined ? broker.kafka : (undefined as never);

  beforeAll(async () => {
    db = await createTestDatabase();
    catalogue = await loadCatalogue();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function seed(): Promise<Map<string, number>> {
    return seedMovingRows(db.client, catalogue, PLAYERS, SEED);
  }

  it('simulator -> Kafka -> service -> PostgreSQL applies every regular increment exactly once, per Kafka partition', async () => {
    const before = await seed();
    const topic = uniqueName('events');
    const group = uniqueName('group');
    const sut = await startKafkaSut({ databaseUrl: db.url, kafka, topic, group, catalogue });
    try {
      const { sink } = await produceSimulated({
        kafka,
        topic,
        players: PLAYERS,
        seed: SEED,
        rate: 1500,
        seconds: 4,
      });
      const produced = sink.stats();
      expect(produced.failed).toBe(0);
      expect(produced.delivered).toBe(6000);
      const check = await conservationAfterCatchUp({
        kafka,
        client: db.client,
        scope: { group, topic },
        before,
        catalogue,
      });
      expectExactlyOnce(check, produced.delivered);
      // The service's partition p is Kafka's partition p: its counts are the producer's.
      expect(await perPartition(sut, 'harness_events_accepted_total')).toEqual(produced.partitions);
      expect(produced.partitions.every((n) => n > 0)).toBe(true);
    } finally {
      expect(await sut.stop()).toBe(0);
    }
  });

  it('sends a record that is not an event to the dead-letter topic with its reason, counts it, and goes on with its partition', async () => {
    const before = await seed();
    const topic = uniqueName('events');
    const group = uniqueName('group');
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopic(admin, topic, 8);
    await admin.disconnect();
    const player = generatePlayerIds(PLAYERS, SEED)[0] as string;
    const at = Date.now();
    const event = (eventId: string, delta: number) =>
      JSON.stringify({
        eventId,
        playerId: player,
        namespace: catalogue.namespace,
        type: 'stat',
        statCode: 'enemy_kills',
        delta,
        intendedAt: at,
      });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: player, partition: 3, value: event('e1', 2) },
        { key: player, partition: 3, value: '{not json' },
        { key: player, partition: 3, value: event('e2', -5) },
        { key: player, partition: 3, value: JSON.stringify({ type: 'teleport' }) },
        { key: player, partition: 3, value: event('e3', 3) },
      ],
    });
    await producer.disconnect();
    const sut = await startKafkaSut({ databaseUrl: db.url, kafka, topic, group, catalogue });
    try {
      await waitForStoredOffsets(db.client, { group, topic }, await topicEnds(kafka, topic));
      const dead = await readTopic(kafka, deadLetterTopicOf(topic));
      expect(
        dead.map((r) => ({
          reason: r.headers['dlq-reason']?.toString(),
          source: r.headers['dlq-source']?.toString(),
        })),
      ).toEqual([
        { reason: 'malformed_json', source: `${topic}/3/1` },
        { reason: 'invalid_event', source: `${topic}/3/2` },
        { reason: 'unknown_event_type', source: `${topic}/3/3` },
      ]);
      expect(dead.map((r) => r.value?.toString())).toEqual([
        '{not json',
        event('e2', -5),
        JSON.stringify({ type: 'teleport' }),
      ]);
      expect(dead[0]?.headers['dlq-problem']?.toString()).toMatch(/malformed JSON/);
      const counted =
        (await sut.metrics.registry.getSingleMetric('harness_dead_letters_total')?.get())?.values ??
        [];
      expect(Object.fromEntries(counted.map((v) => [v.labels.reason, v.value]))).toEqual({
        empty_value: 0,
        database_refused: 0,
        malformed_json: 1,
        invalid_event: 1,
        unknown_event_type: 1,
      });
      // The valid events before and after the bad ones were both applied.
      const after = await progressByKey(db.client);
      const kills = catalogue.goals.filter((g) => g.source === 'enemy_kills' && !g.daily);
      const moved = kills
        .map((g) => `${player}\u0000${g.goalId}`)
        .filter((key) => before.has(key))
        .map((key) => (after.get(key) ?? 0) - (before.get(key) ?? 0));
      expect(moved.length).toBeGreaterThan(0);
      expect(new Set(moved)).toEqual(new Set([5]));
    } finally {
      expect(await sut.stop()).toBe(0);
    }
  });

  it('refuses a topic that exists with another partition count, naming it', async () => {
    const topic = uniqueName('events');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      await expect(ensureTopic(admin, topic, 8)).rejects.toThrow(
        new RegExp(`Kafka topic "${topic}" exists with 3 partitions; the harness needs 8`),
      );
      await expect(ensureTopic(admin, topic, 8)).rejects.toBeInstanceOf(UsageError);
    } finally {
      await admin.disconnect();
    }
  });

  it('two service instances in one group split the partitions and together apply everything once', async () => {
    const before = await seed();
    const topic = uniqueName('events');
    const group = uniqueName('group');
    const first = await startKafkaSut({ databaseUrl: db.url, kafka, topic, group, catalogue });
    const second = await startKafkaSut({ databaseUrl: db.url, kafka, topic, group, catalogue });
    try {
      const { sink } = await produceSimulated({
        kafka,
        topic,
        players: PLAYERS,
        seed: SEED,
        rate: 1500,
        seconds: 5,
      });
      expect(sink.stats().failed).toBe(0);
      const check = await conservationAfterCatchUp({
        kafka,
        client: db.client,
        scope: { group, topic },
        before,
        catalogue,
      });
      expect(check.problems).toEqual([]);
      const a = await perPartition(first, 'harness_events_accepted_total');
      const b = await perPartition(second, 'harness_events_accepted_total');
      // Both took part; a partition may have moved during the join, never with its events applied twice.
      expect(a.some((n) => n > 0)).toBe(true);
      expect(b.some((n) => n > 0)).toBe(true);
    } finally {
      expect(await first.stop()).toBe(0);
      expect(await second.stop()).toBe(0);
    }
  });
});
