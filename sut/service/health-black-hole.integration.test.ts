import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { health, healthUntil } from '../../scripts/testing/health-poll.ts';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { startPgLinkProxy, type PgLinkProxy } from '../../scenarios/faults/pg-link-proxy.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../buffer/flush-worker.ts';
import { LOAD_TEST_STAT_CODES, loadCatalogue } from '../catalogue/goal-catalogue.ts';
import { generatePlayerIds } from '../db/player-ids.ts';
import { seedProgress } from '../db/seeder.ts';
import { PostgresBatchWriter } from '../repository/postgres-batch-writer.ts';
import { loadVariant } from '../sql/variant-registry.ts';
import { startSut } from './sut-app.ts';

const PLAYERS = 20;
const SEED = 5;
let db: TestDatabase;
let proxy: PgLinkProxy;
beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startPgLinkProxy(db.url);
});
afterAll(async () => {
  await proxy.close();
  await db.drop();
});

describe('/healthz with the database link black-holed', () => {
  it('answers 503 naming the hung and overdue flushes while the link swallows them, and 200 again once it is back', async () => {
    const catalogue = await loadCatalogue();
    await seedProgress(db.client, {
      players: PLAYERS,
      goalsPerPlayer: 20,
      seed: SEED,
      catalogue,
      shares: { inactive: 0, claimed: 0, completed: 0, dailyToday: 0 },
    });
    const players = generatePlayerIds(PLAYERS, SEED);
    const sut = await startSut({
      host: '127.0.0.1',
      port: 0,
      partitions: 2,
      variant: 'join',
      catalogue,
      flush: { ...PRODUCTION_FLUSH_CONFIG, intervalMs: 50 },
      health: { flushOverdueMs: 1_000, flushRunningMs: 1_000 },
      writer: new PostgresBatchWriter({
        url: proxy.url,
        variant: await loadVariant('join'),
        prepared: false,
      }),
    });
    let n = 0;
    const send = async () => {
      const res = await fetch(`${sut.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          players.map((playerId) => ({
            eventId: `e-${n++}`,
            playerId,
            namespace: catalogue.namespace,
            type: 'stat',
            statCode: LOAD_TEST_STAT_CODES[0],
            delta: 1,
          })),
        ),
      });
      expect(res.status).toBe(200);
    };
    const sending = { on: true };
    const sender = (async () => {
      while (sending.on) {
        await send();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 500));
      const before = await health(sut.url);
      expect(before.status).toBe(200);
      expect(before.body.problems).toEqual([]);

      // The link swallows everything, with no error and no reply: flushes hang, none fail.
      const hole = proxy.blackHole(4_000);
      // Overdue (nothing flushed since the last tick before the hole) can come first; the
      // hung flush reaches its limit a tick later.
      const degraded = await healthUntil(
        sut.url,
        (h) => h.status === 503 && h.body.problems.some((p) => p.check === 'flush_running_long'),
        3_500,
      );
      expect(degraded.body.ok).toBe(false);
      const checks = degraded.body.problems.map((p) => p.check);
      expect(checks).toContain('flush_running_long');
      expect(degraded.body.reason).toMatch(
        /a flush has been running for \d+\.\d s on [12] of 2 partitions \(limit 1\.0 s\)/,
      );
      expect(checks).not.toContain('flushes_failing');

      await hole;
      const recovered = await healthUntil(sut.url, (h) => h.status === 200, 10_000);
      expect(recovered.body).toMatchObject({ ok: true, problems: [] });
    } finally {
      sending.on = false;
      await sender;
      expect(await sut.stop()).toBe(0);
    }
  }, 60_000);
});
