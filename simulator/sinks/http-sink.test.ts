import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { DEFAULT_HTTP_SINK, HttpSink } from './http-sink.ts';
import { DELIVERY, DeliveryLedger } from '../delivery-ledger.ts';
import type { RunningSut } from '../../sut/service/sut-app.ts';
import { RecordingWriter, startRecordingSut } from '../../scripts/testing/recording-sut.ts';

/** The stand-ins below answer `POST /events` requests: the sink is told to send those. */
const REQUESTS = { ...DEFAULT_HTTP_SINK, transport: 'requests' } as const;

let server: Server | undefined;

/** Starts the stand-in on a free port (closed after each test); its base URL. */
async function serve(handler: RequestListener): Promise<string> {
  const started = createServer(handler);
  server = started;
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(started.address() as AddressInfo).port}`;
}

/** A `POST /events` that takes every line of its body. */
function acceptEveryLine(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const n = body.split('\n').length;
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"accepted":${n}}`);
  });
}

afterEach(() => {
  server?.close();
  server = undefined;
});

/** A stand-in for the service (or a proxy in front of it) that answers every request the same way. */
async function answering(status: number, body: string, type = 'application/json'): Promise<string> {
  return await serve((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': type }).end(body);
    });
  });
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
  const sink = new HttpSink({ ...REQUESTS, url, partitions: 1, maxBatch: 10 });
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
    const url = await serve((req, res) => {
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
    const sink = new HttpSink({ ...REQUESTS, url, partitions: 8, maxBatch: 10 });
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
  // Partitions 0, 1 and 2 of one batch: 0 taken, 1 refused (backpressure), 2 half taken.
  const answer = {
    accepted: 4,
    rejected: 5,
    error: 'backpressure',
    parts: [
      { partition: 0, accepted: 3, rejected: 0 },
      { partition: 1, accepted: 0, rejected: 3 },
      { partition: 2, accepted: 1, rejected: 2 },
    ],
  };

  /** Answers a request with a 503, and a stream's batch with a 503 line, both with `answer`. */
  async function answeringBoth(): Promise<string> {
    return await serve((req, res) => {
      if (req.url === '/events') {
        req.resume();
        req.on('end', () => {
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      let text = '';
      let seq = 0;
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        text += chunk;
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          res.write(`${JSON.stringify({ batch: seq++, status: 503, ...answer })}\n`);
          text = text.slice(end + 2);
        }
      });
      req.on('end', () => res.end());
    });
  }

  it.each(['requests', 'stream'] as const)(
    '%s: acknowledges the parts taken whole, refuses the parts refused whole, leaves the rest unknown',
    async (transport) => {
      const url = await answeringBoth();
      const ledger = new DeliveryLedger(9);
      const sink = new HttpSink({
        ...DEFAULT_HTTP_SINK,
        transport,
        url,
        partitions: 3,
        maxBatch: 9,
        ledger,
      });
      for (let i = 0; i < 9; i++) sink.offer(event(i), i % 3, i);
      await sink.close();
      expect([...ledger.states]).toEqual(
        Array.from({ length: 9 }, (_, i) =>
          i % 3 === 0 ? DELIVERY.acknowledged : i % 3 === 1 ? DELIVERY.refused : DELIVERY.unknown,
        ),
      );
      expect(sink.stats()).toMatchObject({ delivered: 4, rejected: 5, failed: 0 });
      expect(sink.stats().errors[0]).toBe('HTTP 503: backpressure');
    },
  );
});

describe('HttpSink paced by its caller', () => {
  it('sendQueued() sends what is queued at once instead of after the linger', async () => {
    let requests = 0;
    const url = await serve((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":3}');
      });
    });
    const sink = new HttpSink({ ...REQUESTS, url, partitions: 1, lingerMs: 60_000 });
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

describe('HttpSink on a stream (POST /events/stream)', () => {
  let sut: RunningSut | undefined;
  afterEach(async () => {
    await sut?.stop();
    sut = undefined;
  });

  async function service(): Promise<{ sut: RunningSut; writer: RecordingWriter }> {
    const started = await startRecordingSut();
    sut = started.sut;
    return started;
  }

  /**
   * A stand-in for a service's stream end: `answer` is called with each batch (its number and
   * lines) and the response, and writes what it likes; `streams` counts the streams opened.
   */
  async function streamServer(
    answer: (seq: number, lines: string[], res: ServerResponse) => void,
  ): Promise<{ url: string; streams: () => number }> {
    let streams = 0;
    const url = await serve((req, res) => {
      streams++;
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.flushHeaders();
      let text = '';
      let seq = 0;
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        text += chunk;
        let end = text.indexOf('\n\n');
        while (end >= 0) {
          answer(seq++, text.slice(0, end).split('\n'), res);
          text = text.slice(end + 2);
          end = text.indexOf('\n\n');
        }
      });
      req.on('end', () => res.end());
    });
    return {
      url,
      streams: () => streams,
    };
  }

  it("delivers every partition's events on one stream, each batch acknowledged by its answer", async () => {
    const {
      sut: { url },
      writer,
    } = await service();
    const ledger = new DeliveryLedger(24);
    const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 8, maxBatch: 10, ledger });
    for (let i = 0; i < 24; i++) sink.offer(event(i), i % 8, i);
    await sink.close();
    expect(sink.stats()).toMatchObject({ delivered: 24, rejected: 0, failed: 0, requests: 3 });
    expect(ledger.count(DELIVERY.acknowledged)).toBe(24);
    await sut?.stop();
    // login events: 10 login goals each.
    expect(writer.increments).toHaveLength(24 * 10);
  });

  it.each([
    [
      'an answer for a batch never sent',
      (_seq: number, _l: string[], res: ServerResponse) => res.write('{"batch":99,"status":200}\n'),
      /an answer for a batch not waiting for one/,
    ],
    [
      'an unreadable answer',
      (_seq: number, _l: string[], res: ServerResponse) => res.write('<html>\n'),
      /an unreadable answer on the stream: <html>/,
    ],
    [
      'a stream ended before its answers',
      (_seq: number, _l: string[], res: ServerResponse) => res.end(),
      /the service ended the stream before answering these events/,
    ],
    [
      'a connection cut',
      (_seq: number, _l: string[], res: ServerResponse) => res.socket?.destroy(),
      /^the stream's connection broke \((aborted|socket hang up|read ECONNRESET)\)$/,
    ],
  ])(
    '%s: every event the stream carried unanswered failed, none left hanging',
    async (_l, answer, reason) => {
      const { url } = await streamServer(answer);
      const ledger = new DeliveryLedger(10);
      const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 1, maxBatch: 10, ledger });
      for (let i = 0; i < 10; i++) sink.offer(event(i), 0, i);
      await sink.close();
      expect(sink.stats()).toMatchObject({ delivered: 0, failed: 10 });
      expect(sink.stats().errors[0]).toMatch(reason);
      expect(ledger.count(DELIVERY.unknown)).toBe(10);
    },
  );

  it('a stream never answered fails its events after timeoutMs', async () => {
    const { url } = await streamServer(() => undefined);
    const sink = new HttpSink({
      ...DEFAULT_HTTP_SINK,
      url,
      partitions: 1,
      timeoutMs: 200,
    });
    for (let i = 0; i < 5; i++) sink.offer(event(i), 0, i);
    const started = Date.now();
    await sink.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sink.stats()).toMatchObject({ delivered: 0, failed: 5 });
    expect(sink.stats().errors).toEqual(['no answer within 200 ms']);
  });

  it('a stream whose answers keep coming is not cut, however long its last batches wait', async () => {
    // One answer every 100 ms: the tenth batch waits a second, past the 300 ms timeout.
    let answered = Promise.resolve();
    const { url } = await streamServer((seq, lines, res) => {
      answered = answered.then(async () => {
        await new Promise((r) => setTimeout(r, 100));
        res.write(`${JSON.stringify({ batch: seq, status: 200, accepted: lines.length })}\n`);
      });
    });
    const sink = new HttpSink({
      ...DEFAULT_HTTP_SINK,
      url,
      partitions: 1,
      maxBatch: 1,
      timeoutMs: 300,
    });
    for (let i = 0; i < 10; i++) sink.offer(event(i), 0, i);
    await sink.close();
    expect(sink.stats()).toMatchObject({ delivered: 10, failed: 0, requests: 10 });
    expect(sink.stats().transport).toBe('stream');
  });

  it('a service without streams (404): auto sends the batches as requests and loses none; stream fails them', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/events/stream') {
        req.resume();
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":"no route POST /events/stream"}');
        return;
      }
      acceptEveryLine(req, res);
    });
    const ledger = new DeliveryLedger(25);
    const auto = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 1, maxBatch: 10, ledger });
    for (let i = 0; i < 25; i++) auto.offer(event(i), 0, i);
    await auto.close();
    expect(auto.stats()).toMatchObject({ delivered: 25, failed: 0, transport: 'requests' });
    expect(ledger.count(DELIVERY.acknowledged)).toBe(25);
    const strict = new HttpSink({
      ...DEFAULT_HTTP_SINK,
      transport: 'stream',
      url,
      partitions: 1,
      maxBatch: 10,
    });
    for (let i = 0; i < 10; i++) strict.offer(event(i), 0, i);
    await strict.close();
    expect(strict.stats()).toMatchObject({ delivered: 0, failed: 10 });
    expect(strict.stats().errors[0]).toBe('HTTP 404: no route POST /events/stream');
  });

  it('auto: a stream whose response never starts (a proxy buffering bodies) is given up for requests', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/events/stream') req.resume();
      else acceptEveryLine(req, res);
    });
    const ledger = new DeliveryLedger(6);
    const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url, partitions: 1, timeoutMs: 200, ledger });
    for (let i = 0; i < 3; i++) sink.offer(event(i), 0, i);
    await sink.drain();
    for (let i = 3; i < 6; i++) sink.offer(event(i), 0, i);
    await sink.close();
    // The stream's events may have reached the service through the proxy or not: unknown,
    // never sent again.
    expect([...ledger.states]).toEqual([1, 1, 1, 2, 2, 2]);
    expect(sink.stats()).toMatchObject({ delivered: 3, failed: 3, transport: 'requests' });
    expect(sink.stats().errors[0]).toMatch(
      /not even its start .* a request per batch from here on/,
    );
  });

  it('ends a stream that has lived streamLifetimeMs and goes on with a new one, losing nothing', async () => {
    const { url, streams } = await streamServer((seq, lines, res) => {
      res.write(`${JSON.stringify({ batch: seq, status: 200, accepted: lines.length })}\n`);
    });
    const sink = new HttpSink({
      ...DEFAULT_HTTP_SINK,
      url,
      partitions: 1,
      streamLifetimeMs: 20,
    });
    for (let i = 0; i < 6; i++) {
      sink.offer(event(i), 0, i);
      sink.sendQueued();
      await new Promise((r) => setTimeout(r, 15));
    }
    await sink.close();
    expect(sink.stats()).toMatchObject({ delivered: 6, failed: 0, requests: 6 });
    expect(streams()).toBeGreaterThanOrEqual(3);
  });

  it('the service stopping mid-run: what it answered is delivered, the rest failed, no hang', async () => {
    const { sut: running } = await service();
    const sink = new HttpSink({ ...DEFAULT_HTTP_SINK, url: running.url, partitions: 8 });
    for (let i = 0; i < 10; i++) sink.offer(event(i), i % 8, i);
    await sink.drain();
    expect(sink.stats().delivered).toBe(10);
    await running.stop();
    for (let i = 10; i < 20; i++) sink.offer(event(i), i % 8, i);
    await sink.close();
    expect(sink.stats()).toMatchObject({ delivered: 10, failed: 10 });
  });
});
