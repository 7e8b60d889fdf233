import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../scripts/db/free-port.ts';
import {
  brokersOf,
  cleanBroker,
  jarDir,
  startBroker,
  stopBroker,
  type BrokerLayout,
} from '../../scripts/kafka/kafka-broker.ts';
import { startKafkaSut } from '../../scripts/testing/kafka-sut.ts';
import { seedMovingRows, uniqueName } from '../../scripts/testing/kafka-test-support.ts';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { loadCatalogue } from '../catalogue/goal-catalogue.ts';
import { createKafka } from '../kafka/kafka-client.ts';
import type { RunningSut } from './sut-app.ts';

const PLAYERS = 200;
const SEED = 9;

// A broker of the test's own, since it is stopped: needs the cached Kafka jars (CI has them).
const jarsCached = existsSync(join(jarDir(), '.complete'));
const runIt = process.env.CI === 'true' || jarsCached;
if (!runIt)
  process.stderr.write(
    'broker-stop health test skipped: no Kafka jars cached yet; `npm run kafka:start` fetches them (Java 17 + Maven)\n',
  );

let db: TestDatabase;
let layout: BrokerLayout;

interface Health {
  status: number;
  body: { ok: boolean; reason?: string; problems: { check: string }[] };
}

async function healthUntil(
  sut: RunningSut,
  wanted: (h: Health) => boolean,
  withinMs: number,
): Promise<Health> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const res = await fetch(`${sut.url}/healthz`);
    const h = { status: res.status, body: (await res.json()) as Health['body'] };
    if (wanted(h)) return h;
    if (Date.now() > deadline)
      throw new Error(`/healthz did not change within ${withinMs} ms: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!runIt)('/healthz with the Kafka broker stopped', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    layout = {
      home: await mkdtemp(join(tmpdir(), 'harness-kafka-health-')),
      port: await findFreePort(),
      controllerPort: await findFreePort(),
    };
    await startBroker(layout);
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
      const before = await healthUntil(sut, (h) => h.status === 200, 10_000);
      expect(before.body.problems).toEqual([]);

      expect(await stopBroker(layout)).toBe(true);
      const degraded = await healthUntil(sut, (h) => h.status === 503, 30_000);
      expect(degraded.body.problems.map((p) => p.check)).toContain('consumer_not_fetching');
      expect(degraded.body.reason).toMatch(/the Kafka consumer has not fetched for \d+\.\d s/);

      await startBroker(layout);
      const recovered = await healthUntil(sut, (h) => h.status === 200, 90_000);
      expect(recovered.body.problems).toEqual([]);
    } finally {
      expect(await sut.stop()).toBe(0);
    }
  }, 240_000);
});
