import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../catalogue/goal-catalogue.ts';
import type { BatchWriter } from '../buffer/batch-writer.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../buffer/flush-worker.ts';
import type { ProgressIncrement } from '../repository/progress-increment.ts';
import { startSut, type RunningSut } from '../service/sut-app.ts';

class RecordingWriter implements BatchWriter {
  readonly increments: ProgressIncrement[] = [];
  write(_p: number, batch: readonly ProgressIncrement[]) {
    this.increments.push(...batch);
    return Promise.resolve({ rowsUpdated: batch.length });
  }
  close() {
    return Promise.resolve();
  }
}

const event = (i: number, extra: Record<string, unknown> = {}) => ({
  eventId: `e${i}`,
  playerId: `p${i % 7}`,
  namespace: 'harness',
  type: 'stat',
  statCode: 'wins',
  delta: 2,
  ...extra,
});

let sut: RunningSut;
let writer: RecordingWriter;
beforeEach(async () => {
  writer = new RecordingWriter();
  sut = await startSut({
    host: '127.0.0.1',
    port: 0,
    partitions: 8,
    variant: 'join',
    flush: PRODUCTION_FLUSH_CONFIG,
    catalogue: await loadCatalogue(),
    writer,
    bodyLimitBytes: 64 * 1024,
  });
});
afterEach(async () => {
  await sut.stop();
});

const post = (body: string, contentType = 'application/json') =>
  fetch(`${sut.url}/events`, { method: 'POST', body, headers: { 'content-type': contentType } });

async function metric(name: string): Promise<string[]> {
  const text = await (await fetch(`${sut.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

describe('POST /events', () => {
  it('accepts a JSON array and NDJSON, and every accepted increment reaches the writer', async () => {
    const a = await post(JSON.stringify([event(1), event(2)]));
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({ accepted: 2, rejected: 0 });
    const b = await post(
      [event(3), event(4, { type: 'login', statCode: undefined, delta: undefined })]
        .map((e) => JSON.stringify(e))
        .join('\n'),
      'application/x-ndjson',
    );
    expect(await b.json()).toEqual({ accepted: 2, rejected: 0 });
    expect(await sut.stop()).toBe(0);
    // three stat events x 10 "wins" goals x delta 2, one login x 10 login goals x 1
    expect(writer.increments.reduce((s, i) => s + i.delta, 0)).toBe(3 * 10 * 2 + 10);
  });

  it.each([
    ['malformed JSON', '[{"eventId": ', 400, /malformed JSON/, 'malformed_body'],
    [
      'malformed NDJSON',
      `${JSON.stringify(event(1))}\n{nope}`,
      400,
      /malformed NDJSON on line 2/,
      'malformed_body',
    ],
    [
      'an unknown event type',
      JSON.stringify([event(1), event(2, { type: 'purchase' })]),
      400,
      /event 1: type "purchase" is not one of login, stat/,
      'unknown_event_type',
    ],
    [
      'a missing player id',
      JSON.stringify([event(1, { playerId: undefined })]),
      400,
      /event 0: playerId must be a non-empty string/,
      'invalid_event',
    ],
    [
      'an oversize id',
      JSON.stringify([event(1, { eventId: 'x'.repeat(101) })]),
      400,
      /eventId is longer than 100 characters/,
      'invalid_event',
    ],
    [
      'a fractional delta',
      JSON.stringify([event(1, { delta: 1.5 })]),
      400,
      /delta must be an integer/,
      'invalid_event',
    ],
    [
      'a body over the limit',
      JSON.stringify(Array.from({ length: 2000 }, (_, i) => event(i))),
      413,
      /larger than the limit of 65536 bytes/,
      'body_too_large',
    ],
  ])(
    '%s: status %s naming the problem, counted, nothing applied',
    async (_label, body, status, message, reason) => {
      const res = await post(body);
      expect(res.status).toBe(status);
      const answer = (await res.json()) as { error: string; problems?: string[] };
      expect([answer.error, ...(answer.problems ?? [])].join('\n')).toMatch(message);
      expect((await metric('harness_events_rejected_total')).join('\n')).toContain(
        `reason="${reason}"`,
      );
      expect(await metric('harness_events_accepted_total')).toEqual([]);
      await sut.stop();
      expect(writer.increments).toEqual([]);
    },
  );

  it('serves /healthz and answers unknown routes with 404', async () => {
    expect(await (await fetch(`${sut.url}/healthz`)).json()).toEqual({
      ok: true,
      variant: 'join',
      partitions: 8,
      source: 'http',
    });
    expect((await fetch(`${sut.url}/nope`)).status).toBe(404);
    expect((await fetch(`${sut.url}/events`)).status).toBe(405);
  });
});
