import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResultSchema } from '../../results/schema/result-schema.ts';
import { kafkaForTests } from '../testing/kafka-test-support.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness } from '../testing/run-harness.ts';

const broker = await kafkaForTests();
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'harness-run-kafka-'));

describe.skipIf(broker.skip !== undefined)('harness run with harness.transport kafka', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the scenario through the broker and records which broker in the results', async () => {
    const scenario = fileURLToPath(
      new URL('../../scenarios/engine/fixtures/tiny-kafka.ts', import.meta.url),
    );
    const output = join(dir, 'run.json');
    const run = await runHarness(['run', scenario, '--output', output], {
      DATABASE_URL: db.url,
    });
    expect(run.code, run.stderr).toBe(0);
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    const brokers = broker.skip === undefined ? broker.brokers.join(',') : '';
    expect(result.env.kafka).toBe(
      `brokers ${brokers} (named by KAFKA_BROKERS or --kafka-brokers; npm run kafka:start runs Kafka 3.9.1)`,
    );
    expect(result.config.kafka).toEqual({ provisionedBy: 'brokers', brokers: brokers.split(',') });
    expect(result.metrics.values.events_sent?.count).toBe(150);
    expect(result.metrics.values.rejected_events?.count).toBe(0);
    expect(result.metrics.histograms?.flushSizeRows.partitions.length).toBeGreaterThan(0);
  });

  it('--generators 2: two producer processes into one topic, one merged result, every increment once', async () => {
    const scenario = fileURLToPath(
      new URL('../../scenarios/engine/fixtures/tiny-kafka.ts', import.meta.url),
    );
    const output = join(dir, 'two.json');
    const run = await runHarness(['run', scenario, '--generators', '2', '--output', output], {
      DATABASE_URL: db.url,
    });
    expect(run.code, run.stderr).toBe(0);
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(result.metrics.values.events_sent?.count).toBe(150);
    expect(result.metrics.generators?.map((g) => g.shard)).toEqual(['0/2', '1/2']);
    expect(result.metrics.generators?.reduce((n, g) => n + g.delivered, 0)).toBe(150);
    expect(result.metrics.audit?.events.acknowledged).toBe(150);
    expect(result.metrics.audit?.lost).toBe(0);
    expect(result.metrics.audit?.doubled).toBe(0);
  });
});
