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

  it('says degraded while ingest refuses for backpressure, and ok once the buffer drains and the hold passes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const writer: BatchWriter = {
      write: async (_p, increments) => {
        await gate;
        return { rowsUpdated: increments.length, alreadyApplied: false, deadLetters: [] };
      },
      close: () => Promise.resolve(),
    };
    const sut = await startSut({
      host: '127.0.0.1',
      port: 0,
      partitions: 1,
      variant: 'join',
      flush: { ...PRODUCTION_FLUSH_CONFIG, bufferSize: 2, backpressureTimeoutMs: 100 },
      catalogue: await loadCatalogue(),
      writer,
      health: { refusalHoldMs: 300 },
    });
    const post = (id: string) =>
      fetch(`${sut.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          { eventId: id, playerId: `p-${id}`, namespace: 'harness', type: 'login' },
        ]),
      });
    try {
      // The first event's flush hangs; the second fills the buffer past the threshold.
      expect((await post('a')).status).toBe(200);
      expect((await post('b')).status).toBe(200);
      expect((await post('c')).status).toBe(503);
      const res = await fetch(`${sut.url}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { reason: string; problems: { check: string }[] };
      expect(body.problems.map((p) => p.check)).toEqual(['ingest_refusing']);
      expect(body.reason).toMatch(
        /^ingest under backpressure: 1 of 1 partitions at the backpressure threshold .*; events refused for backpressure_timeout within the last 0\.3 s$/,
      );
      release();
      await new Promise((r) => setTimeout(r, 600));
      expect((await fetch(`${sut.url}/healthz`)).status).toBe(200);
    } finally {
      release();
      await sut.stop();
    }
  });
});
