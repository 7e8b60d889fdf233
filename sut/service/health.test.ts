import { describe, expect, it } from 'vitest';
import type { BatchWriter } from '../buffer/batch-writer.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../buffer/flush-worker.ts';
import { loadCatalogue } from '../catalogue/goal-catalogue.ts';
import { startSut } from './sut-app.ts';

describe('/healthz', () => {
  it('says degraded (503, with the reason) while flushes keep failing, and ok once they pass again', async () => {
    let down = true;
    const writer: BatchWriter = {
      write: (_p, increments) =>
        down
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
          : Promise.resolve({
              rowsUpdated: increments.length,
              alreadyApplied: false,
              deadLetters: [],
            }),
      close: () => Promise.resolve(),
    };
    const sut = await startSut({
      host: '127.0.0.1',
      port: 0,
      partitions: 2,
      variant: 'join',
      flush: { ...PRODUCTION_FLUSH_CONFIG, intervalMs: 20, retryBaseMs: 20, retryMaxMs: 40 },
      catalogue: await loadCatalogue(),
      writer,
    });
    const health = async () => {
      const res = await fetch(`${sut.url}/healthz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect((await health()).status).toBe(200);
      const res = await fetch(`${sut.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          { eventId: 'e', playerId: 'p', namespace: 'harness', type: 'login' },
        ]),
      });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      const degraded = await health();
      expect(degraded.status).toBe(503);
      expect(degraded.body.ok).toBe(false);
      expect(String(degraded.body.reason)).toMatch(
        /flushes failing on 1 of 2 partitions: connect ECONNREFUSED/,
      );
      down = false;
      await new Promise((r) => setTimeout(r, 300));
      expect((await health()).status).toBe(200);
    } finally {
      await sut.stop();
    }
  });
});
