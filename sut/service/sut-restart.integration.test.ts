import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.ts';
import { parsePrometheusText, sumOf } from '../../results/stats/prometheus-text.ts';
import { provisionPostgres } from '../../scripts/db/provision-postgres.ts';
import { loadCatalogue } from '../catalogue/goal-catalogue.ts';
import { generatePlayerIds } from '../db/player-ids.ts';
import type { PlayerEvent } from '../events/player-event.ts';
import { METRIC_NAMES } from '../metrics/metric-names.ts';
import { startChildSut } from './child-sut.ts';

const PLAYERS = 40;
const SEED = 5;

async function post(url: string, events: readonly PlayerEvent[]): Promise<number> {
  const res = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  });
  return res.status;
}

async function rowsUpdated(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return sumOf(parsePrometheusText(text), `${METRIC_NAMES.flushUpdatedRows}_sum`);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('an idle service and a PostgreSQL restart', () => {
  it('harness sut idle through a fast and an immediate restart: still up, and the next events land', async () => {
    // A server of this test's own: restarting the run's shared one would cut every other file.
    const db = await provisionPostgres({
      source: 'embedded',
      logger: silentLogger,
      durability: 'relaxed',
    });
    const control = db.control;
    if (control === undefined) throw new Error('an embedded server has a control');
    const catalogue = await loadCatalogue();
    const players = generatePlayerIds(PLAYERS, SEED);
    let batch = 0;
    const logins = (): PlayerEvent[] =>
      players.map((playerId, i) => ({
        eventId: `login-${batch}-${i}`,
        playerId,
        namespace: catalogue.namespace,
        type: 'login',
        delta: 1,
        intendedAt: Date.now(),
      }));
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
      { DATABASE_URL: db.url, HARNESS_LOG_LEVEL: 'error' },
    );
    try {
      expect(await post(sut.url, logins())).toBe(200);
      await eventually(async () => (await rowsUpdated(sut.url)) > 0);
      for (const mode of ['fast', 'immediate'] as const) {
        const before = await rowsUpdated(sut.url);
        // Idle while the server goes away and comes back: its connections die unused.
        await control.restart(mode);
        await new Promise((r) => setTimeout(r, 500));
        expect(sut.child.exitCode, `harness sut after a ${mode} restart`).toBeNull();
        batch += 1;
        expect(await post(sut.url, logins())).toBe(200);
        await eventually(async () => (await rowsUpdated(sut.url)) > before);
        const health = await fetch(`${sut.url}/healthz`);
        expect(health.status).toBe(200);
      }
    } finally {
      expect(await sut.stop()).toBe(0);
      await db.stop();
    }
  });
});
