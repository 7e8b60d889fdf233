import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { DEFAULT_HTTP_SINK, HttpSink } from './http-sink.ts';
import { DELIVERY, DeliveryLedger } from '../delivery-ledger.ts';

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** A stand-in for the service (or a proxy in front of it) that answers every request the same way. */
async function answering(status: number, body: string, type = 'application/json'): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': type }).end(body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const event = (i: number): PlayerEvent => ({
  eventId: `e${i}`,
  playerId: `p${i}`,
  namespace: 'harness',
  type: 'login',
  delta: 1,
  intendedAt: Date.now(),
});

async function send(url: string, count: number) {
  const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 1, maxBatch: 10 });
  for (let i = 0; i < count; i++) sink.offer(event(i), 0, i);
  await sink.close();
  return sink.stats();
}

describe('HttpSink counts every event it could not deliver', () => {
  it.each([
    ['a 400 without counts', 400, '{"error":"bad"}', 'application/json'],
    ['a 413', 413, '{"error":"too large"}', 'application/json'],
    ['a 500', 500, '{"error":"internal error: x"}', 'application/json'],
    ["a proxy's 502 page", 502, '<html>Bad Gateway</html>', 'text/html'],
    ['a 200 that accounts for nothing', 200, '{}', 'application/json'],
  ])('%s: every event of the batch failed', async (_label, status, body, type) => {
    const stats = await send(await answering(status, body, type), 25);
    expect(stats.delivered + stats.rejected + stats.failed).toBe(25);
    expect(stats.failed).toBe(25);
    expect(stats.errors[0]).toMatch(new RegExp(`^HTTP ${status}`));
  });

  it('a 400 that names its counts: the rejected are rejected, nothing is failed twice', async () => {
    const stats = await send(
      await answering(400, '{"error":"invalid events","accepted":0,"rejected":10}'),
      10,
    );
    expect(stats).toMatchObject({ delivered: 0, rejected: 10, failed: 0 });
  });

  it('a 503 from backpressure that accounts for its events: counted as it says', async () => {
    const stats = await send(
      await answering(503, '{"error":"backpressure","accepted":4,"rejected":6}'),
      10,
    );
    expect(stats).toMatchObject({ delivered: 4, rejected: 6, failed: 0 });
  });
});

describe('HttpSink batches', () => {
  it("sends every partition's events in one request, as a producer does per broker", async () => {
    const bodies: string[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        bodies.push(body);
        const n = body.split('\n').length;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accepted: n, rejected: 0 }));
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 8, maxBatch: 10 });
    // 24 events over 8 partitions: two full batches at once, the last 4 after the linger.
    for (let i = 0; i < 24; i++) sink.offer(event(i), i % 8, i);
    await sink.close();
    expect(bodies.map((b) => b.split('\n').length)).toEqual([10, 10, 4]);
    expect(
      bodies
        .join('\n')
        .split('\n')
        .map((l) => (JSON.parse(l) as PlayerEvent).eventId),
    ).toEqual(Array.from({ length: 24 }, (_, i) => `e${i}`));
    expect(sink.stats()).toMatchObject({ delivered: 24, failed: 0, requests: 3 });
  });

  it('refuses an event only when its own partition holds maxQueued', () => {
    const sink = new HttpSink({
      ...DEFAULT_HTTP_SINK,
      url: 'http://127.0.0.1:9',
      partitions: 2,
      maxQueued: 2,
      maxInFlight: 0,
    });
    expect([0, 0, 0, 1, 1].map((p, i) => sink.offer(event(i), p, i))).toEqual([
      true,
      true,
      false,
      true,
      true,
    ]);
  });
});

describe('HttpSink and an answer per partition', () => {
  it('acknowledges the parts taken whole, refuses the parts refused whole, leaves the rest unknown', async () => {
    // Partitions 0, 1 and 2 of one request: 0 taken, 1 refused (backpressure), 2 half taken.
    const url = await answering(
      503,
      JSON.stringify({
        accepted: 4,
        rejected: 5,
        error: 'backpressure',
        parts: [
          { partition: 0, accepted: 3, rejected: 0 },
          { partition: 1, accepted: 0, rejected: 3 },
          { partition: 2, accepted: 1, rejected: 2 },
        ],
      }),
    );
    const ledger = new DeliveryLedger(9);
    const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 3, maxBatch: 9, ledger });
    for (let i = 0; i < 9; i++) sink.offer(event(i), i % 3, i);
    await sink.close();
    expect([...ledger.states]).toEqual(
      Array.from({ length: 9 }, (_, i) =>
        i % 3 === 0 ? DELIVERY.acknowledged : i % 3 === 1 ? DELIVERY.refused : DELIVERY.unknown,
      ),
    );
    expect(sink.stats()).toMatchObject({ delivered: 4, rejected: 5, failed: 0 });
  });
});

describe('HttpSink paced by its caller', () => {
  it('sendQueued() sends what is queued at once instead of after the linger', async () => {
    let requests = 0;
    server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":3}');
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 1, lingerMs: 60_000 });
    expect(sink.batching).toEqual({ lingerMs: 60_000, maxBatch: DEFAULT_HTTP_SINK.maxBatch });
    for (let i = 0; i < 3; i++) sink.offer(event(i), 0, i);
    sink.sendQueued();
    const started = Date.now();
    while (sink.stats().delivered < 3 && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 5));
    expect(sink.stats()).toMatchObject({ delivered: 3, requests: 1 });
    expect(requests).toBe(1);
    await sink.close();
  });
});
