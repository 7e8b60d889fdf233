import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue, type GoalCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { createKafka } from '../../sut/kafka/kafka-client.ts';
import {
  conservationAfterCatchUp,
  expectExactlyOnce,
  ownBrokerRunnable,
  seedMovingRows,
  startOwnBroker,
  uniqueName,
} from '../testing/kafka-test-support.ts';
import { produceSimulated, startKafkaSut } from '../testing/kafka-sut.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import {
  brokersOf,
  cleanBroker,
  startBroker,
  stopBroker,
  type BrokerLayout,
} from './kafka-broker.ts';

const PLAYERS = 300;
const SEED = 5;

/**
 * This test runs a broker of its own (it restarts it), from the cached jars. CI always runs
 * it (.ci/run has fetched the jars); elsewhere it needs them fetched once.
 */
const runIt = ownBrokerRunnable('broker restart test');

let db: TestDatabase;
let catalogue: GoalCatalogue;
let layout: BrokerLayout;

describe.skipIf(!runIt)('Kafka transport: the broker restarted mid-run', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    catalogue = await loadCatalogue();
    layout = await startOwnBroker('harness-kafka-restart-');
  });
  afterAll(async () => {
    await cleanBroker(layout);
    await db.drop();
  });

  it('no increment is lost or doubled across a controlled broker restart', async () => {
    const before = await seedMovingRows(db.client, catalogue, PLAYERS, SEED);
    const kafka = createKafka([brokersOf(layout)], 'harness-restart-test');
    const topic = uniqueName('events');
    const group = uniqueName('group');
    const sut = await startKafkaSut({ databaseUrl: db.url, kafka, topic, group, catalogue });
    try {
      const producing = produceSimulated({
        kafka,
        topic,
        players: PLAYERS,
        seed: SEED,
        rate: 1000,
        seconds: 14,
      });
      await new Promise((r) => setTimeout(r, 4000));
      expect(await stopBroker(layout)).toBe(true);
      await startBroker(layout);
      const { sink } = await producing;
      const produced = sink.stats();
      expect(produced.failed).toBe(0);
      const check = await conservationAfterCatchUp({
        kafka,
        client: db.client,
        scope: { group, topic },
        before,
        catalogue,
      });
      expectExactlyOnce(check, produced.delivered);
    } finally {
      expect(await sut.stop()).toBe(0);
    }
  });
});
