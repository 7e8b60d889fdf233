import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSut } from '../service/sut-app.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../buffer/flush-worker.ts';
import { defaultHealthThresholds } from '../service/health-evaluation.ts';
import {
  RecordingWriter,
  startRecordingSut,
  winsEvent,
} from '../../scripts/testing/recording-sut.ts';

const event = winsEvent;

let sut: RunningSut;
let writer: RecordingWriter;
beforeEach(async () => {
  ({ sut, writer } = await startRecordingSut({ bodyLimitBytes: 64 * 1024 }));
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
      'an id of 101 emoji',
      JSON.stringify([event(1, { playerId: '😀'.repeat(101) })]),
      400,
      /playerId is longer than 100 characters/,
      'invalid_event',
    ],
    [
      'a 50 KB event type, quoted back cut short',
      JSON.stringify([event(1, { type: 'x'.repeat(50_000) })]),
      400,
      /event 0: type "x{100,}\.\.\. \(50,002 characters\) is not one of/,
      'unknown_event_type',
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
      expect((await metric('harness_events_accepted_total')).every((l) => l.endsWith(' 0'))).toBe(
        true,
      );
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
      problems: [],
      thresholds: defaultHealthThresholds(PRODUCTION_FLUSH_CONFIG.intervalMs),
    });
    expect((await fetch(`${sut.url}/nope`)).status).toBe(404);
    expect((await fetch(`${sut.url}/events`)).status).toBe(405);
  });

  it.each([
    `quote'd`,
    'double"quote',
    'back\\slash',
    '{braces,comma}',
    'NULL',
    'new\nline',
    "'); DROP TABLE user_goal_progress; --",
    'tab\there',
    '漢字-é',
  ])('a hostile player id lands exactly as sent: %j', async (playerId) => {
    const res = await post(JSON.stringify([event(1, { playerId })]));
    expect(res.status).toBe(200);
    expect(await sut.stop()).toBe(0);
    expect(new Set(writer.increments.map((i) => i.userId))).toEqual(new Set([playerId]));
  });

  it('takes an id of 100 emoji: VARCHAR(100) counts characters, not UTF-16 units', async () => {
    const res = await post(JSON.stringify([event(1, { playerId: '😀'.repeat(100) })]));
    expect(res.status).toBe(200);
  });

  it('answers a bad value with at most a short quote of it', async () => {
    const res = await post(JSON.stringify([event(1, { delta: 'y'.repeat(40_000) })]));
    expect(res.status).toBe(400);
    expect((await res.text()).length).toBeLessThan(1000);
  });

  it.each([
    ['text/plain', 415],
    ['text/plain;charset=UTF-8', 415],
    ['application/x-www-form-urlencoded', 415],
    ['multipart/form-data; boundary=x', 415],
    ['', 415],
    ['application/json; charset=utf-8', 200],
    ['APPLICATION/X-NDJSON', 200],
    ['application/ndjson', 200],
  ])('content-type %j: %s', async (contentType, status) => {
    const res = await fetch(`${sut.url}/events`, {
      method: 'POST',
      body: JSON.stringify(event(1)),
      headers: contentType === '' ? {} : { 'content-type': contentType },
    });
    // fetch adds text/plain to a string body that names no type of its own.
    expect(res.status).toBe(status);
    if (status === 415) {
      expect(((await res.json()) as { error: string }).error).toMatch(
        /is not accepted; send application\/json or application\/x-ndjson/,
      );
      expect((await metric('harness_events_rejected_total')).join('\n')).toMatch(
        /reason="unsupported_media_type".* 1$/m,
      );
    }
  });
});

describe('the bound on request bodies held at once', () => {
  it('answers 503 with Retry-After when concurrent bodies would pass it, and takes the next once room is back', async () => {
    const { sut: small } = await startRecordingSut({
      bodyLimitBytes: 64 * 1024,
      inFlightLimitBytes: 48 * 1024,
    });
    const url = new URL(`${small.url}/events`);
    const body = JSON.stringify(Array.from({ length: 300 }, (_, i) => event(i)));
    const size = Buffer.byteLength(body);
    expect(size).toBeGreaterThan(24 * 1024);
    expect(size).toBeLessThan(48 * 1024);
    // The first request declares its length and sends all but its last 100 bytes: they are held.
    const slow = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': size },
    });
    const slowAnswer = new Promise<number>((resolve) => {
      slow.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
    });
    slow.write(body.slice(0, -100));
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /holds 49152 bytes of request bodies at most/,
    );
    slow.end(body.slice(-100));
    expect(await slowAnswer).toBe(200);
    const next = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(next.status).toBe(200);
    await small.stop();
  });
});

describe('bytes held as they arrive, not as declared', () => {
  it('lets a request that declares the largest body and sends a few bytes hold only those', async () => {
    const { sut: small } = await startRecordingSut({
      bodyLimitBytes: 64 * 1024,
      inFlightLimitBytes: 64 * 1024,
    });
    const url = new URL(`${small.url}/events`);
    const slow = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': 64 * 1024 },
    });
    slow.on('error', () => undefined);
    slow.write('[');
    await new Promise((r) => setTimeout(r, 100));
    const body = JSON.stringify(Array.from({ length: 300 }, (_, i) => event(i)));
    expect(Buffer.byteLength(body)).toBeGreaterThan(24 * 1024);
    const answer = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ accepted: 300, rejected: 0 });
    slow.destroy();
    await small.stop();
  });
});

describe('a body slower than the pace asked', () => {
  it('is answered 408 naming the limit and its connection closed, and what it held is given back', async () => {
    const { sut: paced } = await startRecordingSut({
      bodyLimitBytes: 64 * 1024,
      inFlightLimitBytes: 40 * 1024,
      bodyPace: { bodyTimeoutMs: 60_000, minBytesPerSecond: 200_000, graceMs: 300 },
    });
    const slow = request(new URL(`${paced.url}/events`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': 64 * 1024 },
    });
    slow.on('error', () => undefined);
    const answered = new Promise<{ status: number; text: string; closed: Promise<void> }>(
      (resolve) => {
        slow.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          const closed = new Promise<void>((done) => {
            res.socket.once('close', () => {
              done();
            });
          });
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, text, closed });
          });
        });
      },
    );
    // 30 KB held at once, then nothing: a body of 24 KB or more no longer fits beside it.
    slow.write(`[${' '.repeat(30 * 1024)}`);
    const { status, text, closed } = await answered;
    expect(status).toBe(408);
    expect(text).toMatch(/less than 200000 bytes\/s after 300 ms; the request is cut/);
    await closed;
    const body = JSON.stringify(Array.from({ length: 300 }, (_, i) => event(i)));
    expect(Buffer.byteLength(body)).toBeGreaterThan(24 * 1024);
    const after = await fetch(`${paced.url}/events`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(after.status).toBe(200);
    const metrics = await (await fetch(`${paced.url}/metrics`)).text();
    expect(metrics).toMatch(/harness_events_rejected_total\{[^}]*reason="slow_body"[^}]*\} 1$/m);
    await paced.stop();
  });
});
