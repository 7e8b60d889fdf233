import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokersOf,
  cleanBroker,
  startBroker,
  stopBroker,
  type BrokerLayout,
} from '../../scripts/kafka/kafka-broker.ts';
import { startKafkaSut } from '../../scripts/testing/kafka-sut.ts';
import {
  ownBrokerRunnable,
  seedMovingRows,
  startOwnBroker,
  uniqueName,
} from '../../scripts/testing/kafka-test-support.ts';
import { healthUntil } from '../../scripts/testing/health-poll.ts';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { loadCatalogue } from '../catalogue/goal-catalogue.ts';
import { createKafka } from '../kafka/kafka-client.ts';

const PLAYERS = 200;
const SEED = 9;

// A broker of the test's own, since it is stopped: needs the cached Kafka jars (CI has them).
const runIt = ownBrokerRunnable('broker-stop health test');

let db: TestDatabase;
let layout: BrokerLayout;

describe.skipIf(!runIt)('/healthz with the Kafka broker stopped', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    layout = await startOwnBroker('harness-kafka-health-');
  }, 180_000);
  afterAll(async () => {
    await cleanBroker(layout);
    await db.drop();
  });

  it('answers 503 naming the consumer that cannot fetch while the broker is away, and 200 once it is back', async () => {
    const catalogue = await loadCatalogue();
    await seedMovingRows(db.client, catalogue, PLAYERS, SEED);
    const kafka = createKafka([brokersOf(layout)], 'harness-health-test');
    const sut = await startKafkaSut({
      databaseUrl: db.url,
      kafka,
      topic: uniqueName('events'),
      group: uniqueName('group'),
      catalogue,
      health: { fetchOverdueMs: 2_000 },
      onError: () => undefined,
    });
    try {
      const before = await healthUntil(sut.url, (h) => h.status === 200, 10_000);
      expect(before.body.problems).toEqual([]);

      expect(await stopBroker(layout)).toBe(true);
      const degraded = await healthUntil(sut.url, (h) => h.status === 503, 30_000);
      expect(degraded.body.problems.map((p) => p.check)).toContain('consumer_not_fetching');
      expect(degraded.body.reason).toMatch(/the Kafka consumer has not fetched for \d+\.\d s/);

      await startBroker(layout);
      const recovered = await healthUntil(sut.url, (h) => h.status === 200, 90_000);
      expect(recovered.body.problems).toEqual([]);
    } finally {
      expect(await sut.stop()).toBe(0);
    }
  }, 240_000);
});
