import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { generatePlayerIds } from '../db/player-ids.ts';
import {
  LOAD_TEST_STAT_CODES,
  loadCatalogue,
  type GoalCatalogue,
} from '../catalogue/goal-catalogue.ts';
import { GoalRouter } from '../catalogue/goal-router.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../buffer/flush-worker.ts';
import { readProgressRows } from '../db/progress-table.ts';
import { seedProgress } from '../db/seeder.ts';
import type { PlayerEvent } from '../events/player-event.ts';
import { applyIncrementsToModel } from '../model/progress-model.ts';
import { rowKey, toPgTimestamp, type ProgressRow } from '../model/progress-row.ts';
import { PostgresBatchWriter } from '../repository/postgres-batch-writer.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';
import { loadVariant } from '../sql/variant-registry.ts';
import { startSut } from './sut-app.ts';
import { startChildSut } from './child-sut.ts';
import { parsePrometheusText, sumOf } from '../../results/stats/prometheus-text.ts';

const PLAYERS = 40;
const SEED = 11;
let db: TestDatabase;
let catalogue: GoalCatalogue;
beforeAll(async () => {
  db = await createTestDatabase();
  catalogue = await loadCatalogue();
});
afterAll(async () => {
  await db.drop();
});

async function seed(): Promise<Map<string, ProgressRow>> {
  await seedProgress(db.client, {
    players: PLAYERS,
    goalsPerPlayer: 60,
    seed: SEED,
    catalogue,
    shares: { inactive: 0.1, claimed: 0.1, completed: 0.1, dailyToday: 0.5 },
  });
  return readProgressRows(db.client);
}

/** Stat events for every player plus one login each (a login is daily: one per player keeps flush boundaries irrelevant). */
function makeEvents(count: number): PlayerEvent[] {
  const players = generatePlayerIds(PLAYERS, SEED);
  const now = Date.now();
  const events: PlayerEvent[] = players.map((playerId, i) => ({
    eventId: `login-${i}`,
    playerId,
    namespace: catalogue.namespace,
    type: 'login',
    delta: 1,
    intendedAt: now,
  }));
  for (let i = 0; i < count; i++) {
    events.push({
      eventId: `stat-${i}`,
      playerId: players[(i * 7) % PLAYERS] as string,
      namespace: catalogue.namespace,
      type: 'stat',
      statCode: LOAD_TEST_STAT_CODES[i % LOAD_TEST_STAT_CODES.length],
      delta: 1 + (i % 4),
      intendedAt: now,
    });
  }
  return events;
}

/** What the table must look like: every event's increments, summed per key, applied to the seeded state. */
function expectedState(
  before: Map<string, ProgressRow>,
  events: readonly PlayerEvent[],
): Map<string, ProgressRow> {
  const router = new GoalRouter(catalogue);
  const sums = new Map<string, ProgressIncrement>();
  for (const e of events) {
    for (const g of router.goalsFor(e)) {
      const key = rowKey(e.playerId, g.goalId);
      const prior = sums.get(key);
      sums.set(key, {
        userId: e.playerId,
        goalId: g.goalId,
        challengeId: g.challengeId,
        namespace: e.namespace,
        delta: (prior?.delta ?? 0) + e.delta,
        targetValue: g.targetValue,
        isDaily: g.daily,
      });
    }
  }
  return applyIncrementsToModel(before, [...sums.values()], () => toPgTimestamp(Date.now())).rows;
}

/** Compares what flush boundaries cannot change: progress, status, whether completed_at is set, untouched rows whole. */
function expectSameOutcome(
  actual: Map<string, ProgressRow>,
  expected: Map<string, ProgressRow>,
  before: Map<string, ProgressRow>,
) {
  expect(actual.size).toBe(expected.size);
  let touched = 0;
  for (const [key, want] of expected) {
    const got = actual.get(key) as ProgressRow;
    const was = before.get(key) as ProgressRow;
    expect({
      key,
      progress: got.progress,
      status: got.status,
      completed: got.completedAt !== null,
    }).toEqual({
      key,
      progress: want.progress,
      status: want.status,
      completed: want.completedAt !== null,
    });
    if (was.completedAt !== null) expect(got.completedAt).toBe(was.completedAt);
    if (want.updatedAt === was.updatedAt) expect(got).toEqual(was);
    else touched++;
  }
  expect(touched).toBeGreaterThan(0);
}

describe('the service against a real PostgreSQL', () => {
  it('applies posted events exactly as the reference model, and its metrics agree with what was sent', async () => {
    const before = await seed();
    const events = makeEvents(600);
    const sut = await startSut({
      host: '127.0.0.1',
      port: 0,
      partitions: 4,
      variant: 'join',
      catalogue,
      flush: { ...PRODUCTION_FLUSH_CONFIG, intervalMs: 20 },
      writer: new PostgresBatchWriter({
        url: db.url,
        variant: await loadVariant('join'),
        prepared: false,
      }),
    });
    for (let i = 0; i < events.length; i += 100) {
      const res = await fetch(`${sut.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events.slice(i, i + 100)),
      });
      expect(await res.json()).toEqual({ accepted: Math.min(100, events.length - i), rejected: 0 });
    }
    const metricsText = await (await fetch(`${sut.url}/metrics`)).text();
    expect(await sut.stop()).toBe(0);
    expectSameOutcome(await readProgressRows(db.client), expectedState(before, events), before);

    const total = (name: string) =>
      [...metricsText.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
        (s, m) => s + Number(m[1]),
        0,
      );
    expect(total('harness_events_received_total')).toBe(events.length);
    expect(total('harness_events_accepted_total')).toBe(events.length);
    expect(total('harness_increments_buffered_total')).toBe(events.length * 10);
    // Flushes may still be running when /metrics is read; the final figures come from the stopped service.
    const finalText = await sut.metrics.registry.metrics();
    const final = (name: string) =>
      [...finalText.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
        (s, m) => s + Number(m[1]),
        0,
      );
    expect(final('harness_event_to_commit_seconds_count')).toBe(events.length);
    expect(final('harness_flush_updated_rows_sum')).toBeGreaterThan(0);
    expect(final('harness_flush_updated_rows_sum')).toBeLessThanOrEqual(
      final('harness_flush_size_rows_sum'),
    );
    expect(final('harness_flush_size_rows_count')).toBe(final('harness_flushes_total'));
  });

  it('harness sut flushes everything on SIGTERM and exits 0', async () => {
    const before = await seed();
    const events = makeEvents(300);
    const bin = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));
    // A long interval: nothing is flushed before the signal, so shutdown must write it all.
    const child = spawn(
      process.execPath,
      [bin, 'sut', '--port', '0', '--skip-seed', '--partitions', '8', '--flush-interval', '60000'],
      {
        env: { ...process.env, DATABASE_URL: db.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^listening on (\S+)/.exec(line);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      child.once('exit', (code) => {
        reject(new Error(`harness sut exited with ${String(code)}: ${stderr}`));
      });
    });
    const res = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: events.map((e) => JSON.stringify(e)).join('\n'),
    });
    expect(await res.json()).toEqual({ accepted: events.length, rejected: 0 });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    expectSameOutcome(await readProgressRows(db.client), expectedState(before, events), before);
  });

  describe('harness sut on its own', () => {
    async function postAndRead(url: string, events: PlayerEvent[]) {
      const res = await fetch(`${url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: events.map((e) => JSON.stringify(e)).join('\n'),
      });
      expect(res.status).toBe(200);
      // A few intervals: every partition has flushed what it was given.
      await new Promise((r) => setTimeout(r, 400));
      return parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    }

    it('seeds its table first with the run defaults it is given, so posted events update rows', async () => {
      await db.client.query('TRUNCATE user_goal_progress');
      const sut = await startChildSut(
        [
          '--players',
          String(PLAYERS),
          '--goals',
          '60',
          '--seed',
          String(SEED),
          '--flush-interval',
          '50',
        ],
        { DATABASE_URL: db.url, HARNESS_LOG_LEVEL: 'warn' },
      );
      try {
        const { rows } = await db.client.query<{ n: string }>(
          'SELECT count(*) AS n FROM user_goal_progress',
        );
        expect(Number(rows[0]?.n)).toBe(PLAYERS * 60);
        const samples = await postAndRead(sut.url, makeEvents(200));
        const sent = sumOf(samples, 'harness_flush_size_rows_sum');
        expect(sent).toBeGreaterThan(0);
        expect(sumOf(samples, 'harness_flush_updated_rows_sum')).toBeGreaterThan(sent / 2);
        expect(sumOf(samples, 'harness_increments_unmatched_total')).toBe(
          sent - sumOf(samples, 'harness_flush_updated_rows_sum'),
        );
      } finally {
        expect(await sut.stop()).toBe(0);
      }
    });

    it('--skip-seed on an empty table: every increment is counted as unmatched', async () => {
      await db.client.query('TRUNCATE user_goal_progress');
      const sut = await startChildSut(['--skip-seed', '--flush-interval', '50'], {
        DATABASE_URL: db.url,
        HARNESS_LOG_LEVEL: 'warn',
      });
      try {
        const samples = await postAndRead(sut.url, makeEvents(100));
        const sent = sumOf(samples, 'harness_flush_size_rows_sum');
        expect(sent).toBeGreaterThan(0);
        expect(sumOf(samples, 'harness_flush_updated_rows_sum')).toBe(0);
        expect(sumOf(samples, 'harness_increments_unmatched_total')).toBe(sent);
      } finally {
        expect(await sut.stop()).toBe(0);
      }
    });
  });
});
