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

  it('--services 2: one consumer group; one service stopped and the other killed mid-run, every increment once, all 8 partitions in the merged table', async () => {
    const scenario = fileURLToPath(
      new URL('../../scenarios/engine/fixtures/services-kafka.ts', import.meta.url),
    );
    const output = join(dir, 'services.json');
    const run = await runHarness(['run', scenario, '--services', '2', '--output', output], {
      DATABASE_URL: db.url,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /2 services \(variant join\) in consumer group \S+ at http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(run.stdout).toMatch(/services: 2 instances of harness sut in one consumer group/);
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(result.config.services).toBe(2);
    // Two instances, each started again after the fault that named it.
    expect(result.metrics.serviceLives).toBe(4);
    expect(result.metrics.faults?.map((f) => [f.action, f.detail, f.ok])).toEqual([
      ['stop-service', 'stop-service, restart after 4s', true],
      ['kill-service', 'kill-service of service 1, restart after 1s', true],
    ]);
    const audit = result.metrics.audit;
    expect(audit?.events.acknowledged).toBe(9000);
    expect(audit?.lost).toBe(0);
    expect(audit?.doubled).toBe(0);
    expect(result.metrics.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(result.metrics.partitions.every((p) => p.flushes > 0)).toBe(true);
    // Each service's own flushes: while the first was down, the second flushed its partitions
    // too, so some partition shows on both; together they cover every partition.
    const services = result.metrics.services ?? [];
    expect(services.map((x) => [x.instance, x.lives])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    const flushed = services.map(
      (x) => new Set(Object.keys(x.flushes).filter((p) => (x.flushes[p] ?? 0) > 0)),
    );
    const [first = new Set<string>(), second = new Set<string>()] = flushed;
    expect(new Set([...first, ...second]).size).toBe(8);
    expect([...first].some((p) => second.has(p))).toBe(true);
    expect(run.stdout).toMatch(/│ Service │ Processes │ +Flushes │ Flushes by partition/);
  });

  it('--services 2 with a scenario over HTTP is refused, exit 2', async () => {
    const run = await runHarness(['run', 'smoke', '--services', '2'], { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--services 2: several services share the load through a Kafka consumer group, and scenario \S+smoke\.ts runs over http/,
    );
  });
});
