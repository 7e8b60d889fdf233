import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import { applyBatch, decodeLines, type BatchAnswer } from './event-batch.ts';
import type { IngestPort } from './ingest-ports.ts';

export interface EventStreamOptions {
  readonly metrics: SutMetrics;
  /** The service's ingest side; undefined once the service is stopping. */
  readonly sink: () => IngestPort | undefined;
  /** A batch above this many bytes is refused whole with 413. */
  readonly batchLimitBytes: number;
  /** Takes a batch's bytes against the service's bound on bodies held at once; false when there is no room. */
  readonly hold: (bytes: number) => boolean;
  readonly release: (bytes: number) => void;
  /** What a 503 for want of room says the bound is. */
  readonly inFlightLimitBytes: number;
  /** Answers wait this long to go out together; 0 writes each at once. */
  readonly answerEveryMs: number;
  /** Batches being applied at once at most, as many as concurrent requests would be; beyond it the stream is not read. */
  readonly concurrentBatches: number;
}

interface ReadBatch {
  readonly seq: number;
  readonly lines: string[];
  readonly lineCount: number;
  readonly refusal: 'too_large' | 'overloaded' | undefined;
  /** Bytes held against the service's bound while the batch waits and is applied. */
  readonly held: number;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;

/**
 * One `POST /events/stream`: a long request whose body is NDJSON events in batches, each
 * ended by a blank line, answered by a response of NDJSON lines `{batch, status, accepted,
 * rejected, ...}` (batches count from 0; `status` and the rest are what `POST /events` would
 * have answered for that batch). Each batch is applied as a request of its own would be (all
 * or nothing for bad input, a 413 above the size limit, a 503 without room or when stopping),
 * up to `concurrentBatches` at once, so a partition waiting for room does not hold up the
 * others. A sender that posts a batch every few milliseconds pays for one write per batch
 * instead of a whole request and its answer; the answers go out together every
 * `answerEveryMs`, so it also wakes for them a few times a second instead of once a batch.
 */
export class HttpEventStream {
  private leftover: Buffer | undefined;
  /** The over-long line being read is dropped up to its newline. */
  private skippingLine = false;
  private lines: string[] = [];
  private bytes = 0;
  private lineCount = 0;
  private tooLarge = false;
  private nextSeq = 0;
  private applying = 0;
  private readonly waiting: ReadBatch[] = [];
  private answers: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** No more batches will come: the request ended, or the service is stopping. */
  private inputDone = false;
  /** The connection is gone: nothing more can be answered. */
  private gone = false;
  private done = false;
  private resolveFinished!: () => void;
  /** Settles once every batch read has been answered (or the connection is gone). */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly options: EventStreamOptions,
  ) {
    // Closed after the answers end: the request's unread rest (when stopping) is not drained.
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
      connection: 'close',
    });
    res.flushHeaders();
    req.on('data', (chunk: Buffer) => {
      this.read(chunk);
    });
    req.on('end', () => {
      this.endOfInput();
    });
    req.on('error', () => {
      this.lose();
    });
    res.on('close', () => {
      if (!res.writableFinished) this.lose();
    });
  }

  /** The service is stopping: the batches read so far are answered (503 from here on), then the stream ends. */
  close(): Promise<void> {
    if (!this.inputDone) {
      this.inputDone = true;
      this.req.pause();
      this.maybeFinish();
    }
    return this.finished;
  }

  private read(chunk: Buffer): void {
    if (this.inputDone) return;
    let buffer = chunk;
    let start = 0;
    if (this.skippingLine) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) return;
      this.skippingLine = false;
      start = newline + 1;
    } else if (this.leftover !== undefined) {
      buffer = Buffer.concat([this.leftover, chunk]);
      this.leftover = undefined;
    }
    for (;;) {
      const newline = buffer.indexOf(NEWLINE, start);
      if (newline < 0) break;
      this.line(buffer, start, newline);
      start = newline + 1;
    }
    if (start < buffer.length) {
      if (this.bytes + (buffer.length - start) > this.options.batchLimitBytes) {
        // A line longer than what is left of the limit is never held whole.
        this.lineCount++;
        this.overLimit();
        this.skippingLine = true;
      } else this.leftover = buffer.subarray(start);
    }
    if (this.waiting.length > 0) this.req.pause();
  }

  private line(buffer: Buffer, start: number, newline: number): void {
    let end = newline;
    if (end > start && buffer[end - 1] === CARRIAGE_RETURN) end--;
    if (end === start) {
      this.endBatch();
      return;
    }
    this.lineCount++;
    this.bytes += newline - start + 1;
    if (this.tooLarge) return;
    if (this.bytes > this.options.batchLimitBytes) this.overLimit();
    else this.lines.push(buffer.toString('utf8', start, end));
  }

  private overLimit(): void {
    this.tooLarge = true;
    this.lines = [];
  }

  private endBatch(): void {
    if (this.lineCount === 0) return;
    let refusal: ReadBatch['refusal'] = this.tooLarge ? 'too_large' : undefined;
    let held = 0;
    if (refusal === undefined) {
      if (this.options.hold(this.bytes)) held = this.bytes;
      else refusal = 'overloaded';
    }
    this.waiting.push({
      seq: this.nextSeq++,
      lines: refusal === undefined ? this.lines : [],
      lineCount: this.lineCount,
      refusal,
      held,
    });
    this.lines = [];
    this.bytes = 0;
    this.lineCount = 0;
    this.tooLarge = false;
    this.applyWaiting();
  }

  private endOfInput(): void {
    if (this.inputDone) return;
    if (this.leftover !== undefined) {
      const rest = this.leftover;
      this.leftover = undefined;
      this.line(Buffer.concat([rest, Buffer.from('\n')]), 0, rest.length);
    }
    this.endBatch();
    this.inputDone = true;
    this.maybeFinish();
  }

  private applyWaiting(): void {
    while (this.applying < this.options.concurrentBatches && this.waiting.length > 0) {
      const batch = this.waiting.shift() as ReadBatch;
      this.applying++;
      void this.apply(batch);
    }
    if (this.waiting.length === 0 && !this.inputDone && !this.gone) this.req.resume();
  }

  private async apply(batch: ReadBatch): Promise<void> {
    let answer: BatchAnswer;
    try {
      answer = await this.answerFor(batch);
    } catch (error) {
      answer = { status: 500, body: { error: `internal error: ${(error as Error).message}` } };
    } finally {
      this.options.release(batch.held);
      this.applying--;
    }
    this.answer(batch.seq, answer);
    this.applyWaiting();
    this.maybeFinish();
  }

  private answerFor(batch: ReadBatch): Promise<BatchAnswer> | BatchAnswer {
    const { metrics } = this.options;
    if (batch.refusal === 'too_large') {
      metrics.rejected('body_too_large');
      return {
        status: 413,
        body: {
          error: `the batch is larger than the limit of ${this.options.batchLimitBytes} bytes; send smaller batches`,
          accepted: 0,
          rejected: batch.lineCount,
        },
      };
    }
    if (batch.refusal === 'overloaded') {
      metrics.rejected('overloaded');
      return {
        status: 503,
        body: {
          error: `the service holds ${this.options.inFlightLimitBytes} bytes of request bodies at most and has no room for this batch now`,
          accepted: 0,
          rejected: batch.lineCount,
        },
      };
    }
    return applyBatch(decodeLines(batch.lines), this.options.sink(), metrics);
  }

  private answer(seq: number, answer: BatchAnswer): void {
    if (this.gone) return;
    this.answers.push(JSON.stringify({ batch: seq, status: answer.status, ...answer.body }));
    if (this.options.answerEveryMs <= 0) this.writeAnswers();
    else
      this.timer ??= setTimeout(() => {
        this.writeAnswers();
      }, this.options.answerEveryMs);
  }

  private writeAnswers(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.answers.length === 0 || this.gone) return;
    this.res.write(`${this.answers.join('\n')}\n`);
    this.answers = [];
  }

  private maybeFinish(): void {
    if (this.done || !this.inputDone || this.applying > 0 || this.waiting.length > 0) return;
    this.done = true;
    if (!this.gone) {
      this.writeAnswers();
      this.res.end();
    }
    this.resolveFinished();
  }

  /** The connection broke: what waits is dropped unapplied, what is being applied finishes unanswered. */
  private lose(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const batch of this.waiting.splice(0)) this.options.release(batch.held);
    this.leftover = undefined;
    this.inputDone = true;
    this.maybeFinish();
  }
}
