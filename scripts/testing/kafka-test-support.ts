import { randomBytes } from 'node:crypto';
import type { Kafka, IHeaders } from 'kafkajs';
import type pg from 'pg';
import { PRODUCTION } from '../../sut/production-defaults.ts';
import { expect, inject } from 'vitest';
import { seedProgress } from '../../sut/db/seeder.ts';
import { GoalRouter } from '../../sut/catalogue/goal-router.ts';
import type { GoalCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { readProgressRows } from '../../sut/db/progress-table.ts';
import { decodeRecord } from '../../sut/kafka/event-codec.ts';
import { createKafka, parseBrokers } from '../../sut/kafka/kafka-client.ts';
import { rowKey } from '../../sut/model/progress-row.ts';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../db/free-port.ts';
import { jarDir, startBroker, waitUntilReady, type BrokerLayout } from '../kafka/kafka-broker.ts';
import { topicEnds, waitForStoredOffsets } from '../../scenarios/engine/kafka-catch-up.ts';

export { topicEnds, waitForStoredOffsets };
import { NO_BROKER_HELP } from '../kafka/provision-kafka.ts';

export type TestKafka =
  | { readonly brokers: string[]; readonly kafka: Kafka; readonly skip?: undefined }
  | { readonly skip: string };

/**
 * The broker the Kafka integration tests use: the one the test run's global setup started
 * (scripts/testing/kafka-global-setup.ts), or KAFKA_BROKERS. Without one that answers they
 * are skipped with the reason, except in CI (CI=true), where a missing broker fails the run:
 * a CI machine has Java, so its absence is a bug, not a choice.
 */
export async function kafkaForTests(): Promise<TestKafka> {
  // The run's global setup names the broker it started (or KAFKA_BROKERS), or why there is none.
  const value = process.env.KAFKA_BROKERS || inject('kafkaBrokers');
  const ci = process.env.CI === 'true';
  let problem: string | undefined;
  if (value === '') problem = inject('kafkaSkipReason') || 'KAFKA_BROKERS is not set';
  else {
    try {
      await waitUntilReady(value, ci ? 30_000 : 5000);
    } catch (error) {
      problem = `KAFKA_BROKERS=${value} does not answer: ${(error as Error).message}`;
    }
  }
  if (problem !== undefined) {
    if (ci) throw new Error(`CI=true and the Kafka tests have no broker: ${problem}`);
    const skip = `Kafka integration tests skipped: ${problem}; ${NO_BROKER_HELP}`;
    process.stderr.write(`${skip}\n`);
    return { skip };
  }
  const brokers = parseBrokers(value, 'KAFKA_BROKERS');
  return { brokers, kafka: createKafka(brokers, `harness-test-${process.pid}`) };
}

/** Topic and group names no other test (or earlier run on the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface TopicRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

/** Everything in `topic` now, read with a throwaway consumer up to each partition's end. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs = 60_000,
): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]),
  );
  await admin.disconnect();
  const records: TopicRecord[] = [];
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `reading ${topic}: partitions ${[...remaining].join(', ')} not read to the end within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    void consumer.run({
      eachMessage: ({ partition, message }) => {
        const offset = Number(message.offset);
        const end = ends.get(partition) ?? 0;
        if (offset < end)
          records.push({ partition, offset, value: message.value, headers: message.headers ?? {} });
        if (offset >= end - 1) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Sum of deltas per (player, regular goal) over the valid events among `records`. */
export function producedRegularSums(
  records: readonly TopicRecord[],
  catalogue: GoalCatalogue,
): Map<string, number> {
  const router = new GoalRouter(catalogue);
  const sums = new Map<string, number>();
  for (const r of records) {
    const decoded = decodeRecord(r.value, 0);
    if (!decoded.ok) continue;
    for (const goal of router.goalsFor(decoded.event)) {
      if (goal.daily) continue;
      const key = rowKey(decoded.event.playerId, goal.goalId);
      sums.set(key, (sums.get(key) ?? 0) + decoded.event.delta);
    }
  }
  return sums;
}

/** Progress of every row, to subtract a later reading from. */
export async function progressByKey(client: pg.ClientBase): Promise<Map<string, number>> {
  const rows = await readProgressRows(client);
  return new Map([...rows].map(([key, row]) => [key, row.progress]));
}

/**
 * The conservation check: for every existing row of a regular goal, progress gained equals
 * the deltas the topic holds for it (the seed must have no inactive or claimed rows, which
 * never move). Returns the mismatches, at most `limit`, and how many rows it compared.
 */
export function conservationProblems(
  produced: Map<string, number>,
  before: Map<string, number>,
  after: Map<string, number>,
  catalogue: GoalCatalogue,
  limit = 10,
): { problems: string[]; compared: number; total: number } {
  const regular = new Set(catalogue.goals.filter((g) => !g.daily).map((g) => g.goalId));
  const problems: string[] = [];
  let compared = 0;
  let total = 0;
  for (const [key, was] of before) {
    const goalId = key.slice(key.indexOf('\u0000') + 1);
    if (!regular.has(goalId)) continue;
    compared++;
    const gained = (after.get(key) ?? was) - was;
    const want = produced.get(key) ?? 0;
    total += want;
    if (gained !== want && problems.length < limit)
      problems.push(`${key}: produced ${want}, applied ${gained}`);
  }
  return { problems, compared, total };
}

/**
 * Once PostgreSQL's offsets reach the topic's end: the conservation check of everything the
 * topic holds against the progress gained since `before`.
 */
export async function conservationAfterCatchUp(options: {
  readonly kafka: Kafka;
  readonly client: pg.ClientBase;
  readonly scope: { group: string; topic: string };
  readonly before: Map<string, number>;
  readonly catalogue: GoalCatalogue;
}): Promise<{ problems: string[]; compared: number; total: number; records: TopicRecord[] }> {
  const { kafka, client, scope, before, catalogue } = options;
  await waitForStoredOffsets(client, scope, await topicEnds(kafka, scope.topic));
  const records = await readTopic(kafka, scope.topic);
  const check = conservationProblems(
    producedRegularSums(records, catalogue),
    before,
    await progressByKey(client),
    catalogue,
  );
  return { ...check, records };
}

/** Row states for conservation runs: every row can move (none inactive or claimed). */
export const MOVING_ROWS = { inactive: 0, claimed: 0, completed: 0.1, dailyToday: 0.3 };

/** Seeds `players` x 50 goal rows that can all move; returns every row's progress before the run. */
export async function seedMovingRows(
  client: pg.ClientBase,
  catalogue: GoalCatalogue,
  players: number,
  seed: number,
): Promise<Map<string, number>> {
  await seedProgress(client, {
    players,
    goalsPerPlayer: PRODUCTION.goalsPerPlayer,
    seed,
    catalogue,
    shares: MOVING_ROWS,
  });
  return progressByKey(client);
}

/** Every record the topic holds applied exactly once, and enough of them to mean something. */
export function expectExactlyOnce(
  check: { problems: string[]; total: number; records: TopicRecord[] },
  records: number,
): void {
  expect(check.records).toHaveLength(records);
  expect(check.problems).toEqual([]);
  expect(check.total).toBeGreaterThan(10_000);
}

/**
 * Whether a test may run a broker of its own (one it stops or restarts): CI always does
 * (.ci/run has fetched the jars); elsewhere the jars must have been fetched once. Says so
 * when not.
 */
export function ownBrokerRunnable(test: string): boolean {
  const runIt = process.env.CI === 'true' || existsSync(join(jarDir(), '.complete'));
  if (!runIt)
    process.stderr.write(
      `${test} skipped: no Kafka jars cached yet; \`npm run kafka:start\` fetches them (Java 17 + Maven)\n`,
    );
  return runIt;
}

/** A broker of the test's own, on free ports in a folder of its own, started. */
export async function startOwnBroker(prefix: string): Promise<BrokerLayout> {
  const layout = {
    home: await mkdtemp(join(tmpdir(), prefix)),
    port: await findFreePort(),
    controllerPort: await findFreePort(),
  };
  await startBroker(layout);
  return layout;
}
