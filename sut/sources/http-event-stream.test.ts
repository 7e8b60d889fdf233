import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSut } from '../service/sut-app.ts';
import {
  RecordingWriter,
  startRecordingSut,
  winsEvent,
} from '../../scripts/testing/recording-sut.ts';

const event = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify(winsEvent(i, extra));
/** A batch on the stream: its events' lines, then the blank line that ends it. */
const batch = (...lines: string[]) => `${lines.join('\n')}\n\n`;

interface Answer {
  batch: number;
  status: number;
  accepted?: number;
  rejected?: number;
  error?: string;
  problems?: string[];
}

let sut: RunningSut | undefined;
let writer: RecordingWriter;
afterEach(async () => {
  await sut?.stop();
  sut = undefined;
});

async function service(streamAnswerEveryMs = 0): Promise<RunningSut> {
  ({ sut, writer } = await startRecordingSut({ bodyLimitBytes: 4 * 1024, streamAnswerEveryMs }));
  return sut;
}

/** A raw `POST /events/stream`: what is written goes out as it is, the answers are collected. */
function openStream(url: string, contentType = 'application/x-ndjson') {
  const req = request(new URL('/events/stream', url), {
    method: 'POST',
    headers: { 'content-type': contentType },
  });
  const chunks: string[] = [];
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  const ended = response.then(
    (res) =>
      new Promise<number>((resolve) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => chunks.push(c));
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      }),
  );
  const answers = (): Answer[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Answer);
  return {
    write: (text: string | Buffer) =>
      new Promise<void>((resolve, reject) => {
        req.write(text, (error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
    end: () => req.end(),
    destroy: () => req.destroy(),
    chunks,
    answers,
    ended,
    /** Waits until `count` answers have come. */
    async answered(count: number): Promise<Answer[]> {
      const started = Date.now();
      while (answers().length < count && Date.now() - started < 5000)
        await new Promise((r) => setTimeout(r, 5));
      return answers();
    },
  };
}

describe('POST /events/stream', () => {
  it('applies each batch as a request of its own would be, answering each by its number', async () => {
    const { url } = await service();
    const stream = openStream(url);
    await stream.write(batch(event(1), event(2)));
    await stream.write(batch(event(3), event(4, { type: 'purchase' })));
    await stream.write(batch('{nope'));
    await stream.write(batch(event(5)));
    stream.end();
    expect(await stream.ended).toBe(200);
    const answers = stream.answers().sort((a, b) => a.batch - b.batch);
    expect(answers.map((a) => [a.batch, a.status, a.accepted, a.rejected])).toEqual([
      [0, 200, 2, 0],
      [1, 400, 0, 2],
      [2, 400, undefined, undefined],
      [3, 200, 1, 0],
    ]);
    expect(answers[1]?.problems).toEqual(['event 1: type "purchase" is not one of login, stat']);
    expect(answers[2]?.error).toMatch(/malformed NDJSON on line 1/);
    expect(await sut?.stop()).toBe(0);
    // Batches 0 and 3 only: three stat events x 10 "wins" goals x delta 2.
    expect(writer.increments.reduce((s, i) => s + i.delta, 0)).toBe(3 * 10 * 2);
  });

  it('reads lines cut anywhere by the network, even inside a character, and a last batch without its blank line', async () => {
    const { url } = await service();
    const stream = openStream(url);
    const text = Buffer.from(
      batch(event(1, { playerId: '😀'.repeat(3) }), event(2)) + `${event(3)}\r\n`,
    );
    // One byte at a time: every cut, including between the bytes of an emoji and of \r\n.
    for (let i = 0; i < text.length; i++) await stream.write(text.subarray(i, i + 1));
    stream.end();
    expect(await stream.ended).toBe(200);
    expect(stream.answers().map((a) => [a.batch, a.status, a.accepted])).toEqual([
      [0, 200, 2],
      [1, 200, 1],
    ]);
    await sut?.stop();
    expect(writer.increments.some((i) => i.userId === '😀😀😀')).toBe(true);
  });

  it('refuses a batch over the size limit with 413 counting its lines, and takes the next one', async () => {
    const { url } = await service();
    const stream = openStream(url);
    const big = Array.from({ length: 60 }, (_, i) => event(i));
    // A line longer than the limit, sent in pieces: never held whole.
    const giant = event(1, { statCode: 'x'.repeat(10_000) });
    await stream.write(batch(...big));
    await stream.write(giant.slice(0, 3000));
    await stream.write(giant.slice(3000));
    await stream.write('\n\n');
    await stream.write(batch(event(7)));
    stream.end();
    await stream.ended;
    expect(stream.answers().map((a) => [a.batch, a.status, a.accepted, a.rejected])).toEqual([
      [0, 413, 0, 60],
      [1, 413, 0, 1],
      [2, 200, 1, 0],
    ]);
    expect(stream.answers()[0]?.error).toMatch(/larger than the limit of 4096 bytes/);
  });

  it('ends a batch at a CRLF blank line cut between its bytes, even after a batch over the limit', async () => {
    const { url } = await service();
    const stream = openStream(url);
    const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;
    const big = crlf(...Array.from({ length: 60 }, (_, i) => event(i)));
    await stream.write(big.slice(0, -1));
    await stream.write(big.slice(-1) + crlf(event(60)));
    await stream.write(crlf(event(61), event(62)));
    stream.end();
    await stream.ended;
    expect(stream.answers().map((a) => [a.batch, a.status, a.accepted, a.rejected])).toEqual([
      [0, 413, 0, 60],
      [1, 200, 1, 0],
      [2, 200, 2, 0],
    ]);
  });

  it("holds a batch's bytes against the service's bound as they are read, and gives them back when its connection is lost", async () => {
    ({ sut, writer } = await startRecordingSut({
      bodyLimitBytes: 6 * 1024,
      inFlightLimitBytes: 8 * 1024,
      streamAnswerEveryMs: 0,
    }));
    const lines = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => event(from + i));
    // Stream a: 5 KB of a batch, not ended yet.
    const a = openStream(sut.url);
    const unfinished = `${lines(0, 55).join('\n')}\n`;
    expect(unfinished.length).toBeGreaterThan(5 * 1024);
    await a.write(unfinished);
    await new Promise((r) => setTimeout(r, 50));
    // Stream b: a 4 KB batch does not fit beside it.
    const b = openStream(sut.url);
    await b.write(batch(...lines(100, 35)));
    expect((await b.answered(1)).map((x) => [x.status, x.rejected])).toEqual([[503, 35]]);
    // Stream a's connection is lost: what it held is free again, and the same batch fits.
    a.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await b.write(batch(...lines(100, 35)));
    expect((await b.answered(2)).map((x) => [x.batch, x.status, x.accepted])).toEqual([
      [0, 503, 0],
      [1, 200, 35],
    ]);
    b.end();
    await b.ended;
  });

  it('sends the answers of batches that came close together in one write', async () => {
    const { url } = await service(200);
    const stream = openStream(url);
    for (let i = 0; i < 5; i++) await stream.write(batch(event(i)));
    const answers = await stream.answered(5);
    expect(answers.map((a) => a.batch)).toEqual([0, 1, 2, 3, 4]);
    expect(stream.chunks).toHaveLength(1);
    stream.end();
    await stream.ended;
  });

  it('when the service stops: what was read is answered, then the stream ends; a stream opened meanwhile is refused, not waited for', async () => {
    const running = await service();
    const stream = openStream(running.url);
    await stream.write(batch(event(1)));
    await stream.answered(1);
    const stopped = running.stop();
    // The sender opens a new stream as soon as its old one ends.
    const late = openStream(running.url);
    void late.write(batch(event(2))).catch(() => undefined);
    expect(await stream.ended).toBe(200);
    expect(stream.answers().map((a) => [a.batch, a.status])).toEqual([[0, 200]]);
    const outcome = await Promise.race([
      stopped.then(() => 'stopped'),
      new Promise((r) =>
        setTimeout(() => {
          r('still stopping after 3 s');
        }, 3000),
      ),
    ]);
    expect(outcome).toBe('stopped');
    expect(await stopped).toBe(0);
    expect(writer.increments.length).toBeGreaterThan(0);
    const status = await late.ended.catch((error: unknown) => (error as Error).message);
    expect(String(status)).toMatch(/^(503|connect ECONNREFUSED .*)$/);
  });

  it('refuses a body that is not NDJSON or JSON with 415', async () => {
    const { url } = await service();
    const stream = openStream(url, 'text/plain');
    await stream.write(batch(event(1)));
    stream.end();
    expect(await stream.ended).toBe(415);
    expect((JSON.parse(stream.chunks.join('')) as { error: string }).error).toMatch(
      /content-type "text\/plain" is not accepted/,
    );
  });
});

describe('a stream that goes silent', () => {
  it('is ended after its idle timeout, its finished batches answered and its half-sent batch given back', async () => {
    ({ sut, writer } = await startRecordingSut({
      bodyLimitBytes: 6 * 1024,
      inFlightLimitBytes: 8 * 1024,
      streamAnswerEveryMs: 0,
      streamIdleTimeoutMs: 300,
    }));
    const lines = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => event(from + i));
    const a = openStream(sut.url);
    await a.write(batch(...lines(0, 2)));
    expect((await a.answered(1)).map((x) => [x.batch, x.status])).toEqual([[0, 200]]);
    // 5 KB of a batch that is never finished, then nothing.
    await a.write(`${lines(10, 55).join('\n')}\n`);
    expect(await a.ended).toBe(200);
    expect(a.answers().map((x) => [x.batch, x.status])).toEqual([[0, 200]]);
    // What it held is free: a 4 KB batch fits in the 8 KB bound again.
    const b = openStream(sut.url);
    await b.write(batch(...lines(100, 35)));
    expect((await b.answered(1)).map((x) => [x.status, x.accepted])).toEqual([[200, 35]]);
    b.end();
    await b.ended;
    const metrics = await (await fetch(`${sut.url}/metrics`)).text();
    expect(metrics).toMatch(/harness_events_rejected_total\{[^}]*reason="slow_body"[^}]*\} 1$/m);
  });
});
