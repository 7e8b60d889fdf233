import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildSut } from '../service/child-sut.ts';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import {
  conservationAfterCatchUp,
  expectExactlyOnce,
  kafkaForTests,
  seedMovingRows,
  uniqueName,
} from '../../scripts/testing/kafka-test-support.ts';
import { produceSimulated } from '../../scripts/testing/kafka-sut.ts';
import { loadCatalogue, type GoalCatalogue } from '../catalogue/goal-catalogue.ts';

const PLAYERS = 300;
const SEED = 9;

const broker = await kafkaForTests();
let db: TestDatabase;
let catalogue: GoalCatalogue;

async function appliedOffsets(group: string, topic: string): Promise<number> {
  const { rows } = await db.client.query<{ total: string | null }>(
    'SELECT sum(next_offset) AS total FROM kafka_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return Number(rows[0]?.total ?? 0);
}

describe.skipIf(broker.skip !== undefined)('Kafka transport: the service killed mid-run', () => {
  const kafka = broker.skip === undefined ? broker.kafka : (undefined as never);

  beforeAll(async () => {
    db = await createTestDatabase();
    catalogue = await loadCatalogue();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('SIGKILL between flushes and Kafka commits, then a restart: every increment applied exactly once', async () => {
    const before = await seedMovingRows(db.client, catalogue, PLAYERS, SEED);
    const topic = uniqueName('events');
    const group = uniqueName('group');
    const args = [
      '--source',
      'kafka',
      '--topic',
      topic,
      '--group',
      group,
      '--db',
      'url',
      '--skip-seed',
    ];
    const env = { DATABASE_URL: db.url, HARNESS_LOG_LEVEL: 'error' };
    const first = await startChildSut(args, env);
    const producing = produceSimulated({
      kafka,
      topic,
      players: PLAYERS,
      seed: SEED,
      rate: 1500,
      seconds: 10,
    });
    // Kill it once it has committed some flushes, while events keep arriving.
    const deadline = Date.now() + 30_000;
    while ((await appliedOffsets(group, topic)) < 2000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const appliedBeforeKill = await appliedOffsets(group, topic);
    expect(appliedBeforeKill).toBeGreaterThanOrEqual(2000);
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    expect(await exited).toBe(null);
    const second = await startChildSut(args, env);
    try {
      const { sink } = await producing;
      expect(sink.stats().failed).toBe(0);
      const check = await conservationAfterCatchUp({
        kafka,
        client: db.client,
        scope: { group, topic },
        before,
        catalogue,
      });
      expectExactlyOnce(check, 15_000);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
