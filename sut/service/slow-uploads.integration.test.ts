import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startRecordingSut, winsEvent } from '../../scripts/testing/recording-sut.ts';
import type { BodyPace } from '../sources/body-pace.ts';

/** The service's own body limit: each slow upload declares the largest body it would take. */
const DECLARED_BYTES = 8 * 1024 * 1024;
const DRIP_EVERY_MS = 1_000;
/** How long the test waits for every slow upload to be cut, past its limit, before failing. */
const CUT_WAIT_MS = 12_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SlowUpload {
  readonly socket: Socket;
  /** What the service answered before it closed the connection, if anything. */
  readonly openedAt: number;
  answer: string;
  closedAt: number | undefined;
}

/**
 * An upload that declares `DECLARED_BYTES` and sends one byte every second: it never
 * finishes, and costs its sender almost nothing.
 */
function openSlowUpload(port: number, path: string, contentLength: boolean): SlowUpload {
  const socket = connect(port, '127.0.0.1');
  const upload: SlowUpload = { socket, openedAt: Date.now(), answer: '', closedAt: undefined };
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => (upload.answer += text));
  // A cut connection makes the next drip fail: that is the outcome the test waits for.
  socket.on('error', () => undefined);
  socket.on('close', () => (upload.closedAt ??= Date.now()));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n` +
      (contentLength
        ? `Content-Length: ${DECLARED_BYTES}\r\n\r\n`
        : 'Transfer-Encoding: chunked\r\n\r\n'),
  );
  return upload;
}

/**
 * Opens connections 32 at a time, each group once connected: hundreds of connects in one
 * instant overflow the listen queue, and the ones that overflow are reset before the service
 * sees them.
 */
async function openInGroups(count: number, open: () => SlowUpload): Promise<SlowUpload[]> {
  const uploads: SlowUpload[] = [];
  while (uploads.length < count) {
    const group = Array.from({ length: Math.min(32, count - uploads.length) }, open);
    await Promise.all(
      group.map(
        (u) =>
          new Promise<void>((resolve, reject) => {
            u.socket.once('connect', resolve);
            u.socket.once('error', reject);
          }),
      ),
    );
    uploads.push(...group);
    // Connected is not yet accepted: the service is given a moment to take the group in.
    await sleep(20);
  }
  return uploads;
}

function drip(uploads: readonly SlowUpload[], chunked: boolean): NodeJS.Timeout {
  return setInterval(() => {
    for (const u of uploads)
      if (u.closedAt === undefined && !u.socket.destroyed)
        u.socket.write(chunked ? '1\r\n{\r\n' : '{');
  }, DRIP_EVERY_MS);
}

/** A well-behaved sender: a batch of events every 100 ms, on its own connections. */
function steadySender(url: string) {
  const answers: { status: number; at: number }[] = [];
  let accepted = 0;
  let next = 0;
  const state = { running: true };
  let failure: Error | undefined;
  const done = (async () => {
    while (state.running) {
      const events = Array.from({ length: 10 }, () => winsEvent(next++));
      const res = await fetch(`${url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      answers.push({ status: res.status, at: Date.now() });
      if (res.status === 200) accepted += ((await res.json()) as { accepted: number }).accepted;
      else await res.body?.cancel();
      await sleep(100);
    }
  })().catch((error: unknown) => (failure = error as Error));
  return {
    answers,
    accepted: () => accepted,
    async stop() {
      state.running = false;
      await done;
      if (failure !== undefined) throw failure;
    },
  };
}

/** A well-behaved stream: a batch every 100 ms on one `POST /events/stream`, its answers read. */
function steadyStream(url: string) {
  const req = request(new URL('/events/stream', url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
  });
  const answers: { status: number; at: number }[] = [];
  let accepted = 0;
  let partial = '';
  req.on('response', (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter((l) => l !== '')) {
        const answer = JSON.parse(line) as { status: number; accepted: number };
        answers.push({ status: answer.status, at: Date.now() });
        accepted += answer.accepted;
      }
    });
  });
  let failure: Error | undefined;
  req.on('error', (error) => (failure ??= error));
  const ended = new Promise<void>((resolve) => {
    req.on('response', (res) => {
      res.on('end', resolve);
    });
    req.on('close', resolve);
  });
  let next = 1_000_000;
  const timer = setInterval(() => {
    const lines = Array.from({ length: 10 }, () => JSON.stringify(winsEvent(next++)));
    req.write(`${lines.join('\n')}\n\n`);
  }, 100);
  return {
    answers,
    accepted: () => accepted,
    async stop() {
      clearInterval(timer);
      req.end();
      await ended;
      if (failure !== undefined) throw failure;
    },
    /** After a failure: the connection goes, so the service can stop. */
    destroy() {
      clearInterval(timer);
      req.destroy();
    },
  };
}

describe.each<[number, string, BodyPace]>([
  [8, 'the body timeout', { bodyTimeoutMs: 3_000, minBytesPerSecond: 0, graceMs: 0 }],
  [64, 'the minimum rate', { bodyTimeoutMs: 60_000, minBytesPerSecond: 100, graceMs: 2_000 }],
  [512, 'the body timeout', { bodyTimeoutMs: 3_000, minBytesPerSecond: 100, graceMs: 60_000 }],
])('%i slow uploads declaring 8 MiB each, dripping a byte a second', (count, limit, bodyPace) => {
  it(`leave other senders served, on POST /events and on a stream, and are cut by ${limit}`, async () => {
    const streamIdleTimeoutMs = 3_000;
    const { sut, writer } = await startRecordingSut({ bodyPace, streamIdleTimeoutMs });
    const port = Number(new URL(sut.url).port);
    const cutAfterMs = Math.min(bodyPace.bodyTimeoutMs, bodyPace.graceMs);
    const startedAt = Date.now();
    const uploads = await openInGroups(count, () => openSlowUpload(port, '/events', true));
    // Streams that send a byte of a batch and then nothing: cut by the stream's idle timeout.
    const silentStreams = Array.from({ length: 8 }, () =>
      openSlowUpload(port, '/events/stream', false),
    );
    const dripping = drip(uploads, false);
    for (const s of silentStreams) s.socket.write('1\r\n{\r\n');
    const sender = steadySender(sut.url);
    const stream = steadyStream(sut.url);
    try {
      const waitUntil = startedAt + Math.max(cutAfterMs, streamIdleTimeoutMs) + CUT_WAIT_MS;
      while (
        [...uploads, ...silentStreams].some((u) => u.closedAt === undefined) &&
        Date.now() < waitUntil
      )
        await sleep(100);
      await sender.stop();
      await stream.stop();

      expect(sender.answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(stream.answers.filter((a) => a.status !== 200)).toEqual([]);
      // Both were served while every slow upload still held its connection.
      const firstCut = Math.min(...uploads.map((u) => u.closedAt ?? Infinity));
      expect(sender.answers.filter((a) => a.at < firstCut).length).toBeGreaterThan(3);
      expect(stream.answers.filter((a) => a.at < firstCut).length).toBeGreaterThan(3);

      const open = uploads.filter((u) => u.closedAt === undefined).length;
      expect({ open, of: count }).toEqual({ open: 0, of: count });
      // None was cut before its limit; each that got an answer got a 408.
      const early = uploads.filter((u) => (u.closedAt as number) - u.openedAt < cutAfterMs - 200);
      expect(early.length).toBe(0);
      const answers = new Set(uploads.map((u) => u.answer.split('\r\n', 1)[0] ?? ''));
      answers.delete('');
      expect([...answers]).toEqual(['HTTP/1.1 408 Request Timeout']);
      expect(silentStreams.filter((s) => s.closedAt === undefined).length).toBe(0);

      // Every accepted event reached the flush: 10 "wins" goals of 2 each per event.
      const accepted = sender.accepted() + stream.accepted();
      expect(await sut.stop()).toBe(0);
      expect(writer.increments.reduce((sum, i) => sum + i.delta, 0)).toBe(accepted * 10 * 2);
    } finally {
      clearInterval(dripping);
      for (const u of [...uploads, ...silentStreams]) u.socket.destroy();
      stream.destroy();
      await sender.stop();
      await sut.stop();
    }
  });
});
