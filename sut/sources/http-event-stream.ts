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
  /** A stream that sends nothing for this long while it is read is cut, and what it held given back. */
  readonly idleTimeoutMs: number;
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
  /** The batch being read: its lines so far, and whether and why it is refused whole. */
  private lines: string[] = [];
  private lineCount = 0;
  private batchBytes = 0;
  private refusal: ReadBatch['refusal'];
  /** Bytes of the batch being read held against the service's bound, as they are read. */
  private held = 0;
  /** The line being read, when a chunk ended inside it: its pieces (unless refused) and length. */
  private partial: Buffer[] = [];
  private lineBytes = 0;
  private lineFirstByte = 0;
  private nextSeq = 0;
  private applying = 0;
  private readonly waiting: ReadBatch[] = [];
  private answers: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastReadAt = Date.now();
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
    // The connection closes after the answers end: a stream is never followed by a request.
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
      connection: 'close',
    });
    res.flushHeaders();
    req.on('data', (chunk: Buffer) => {
      this.lastReadAt = Date.now();
      this.read(chunk);
    });
    this.watchIdle(options.idleTimeoutMs);
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

  /**
   * The service is stopping: the batches read so far are answered (503 from here on), then
   * the stream ends. What the sender writes after is read and dropped rather than left
   * unread, so closing the connection does not reset it before the last answers arrive.
   */
  close(): Promise<void> {
    if (!this.inputDone) {
      this.inputDone = true;
      this.stopIdleWatch();
      this.dropBatchBeingRead();
      this.req.resume();
      this.maybeFinish();
    }
    return this.finished;
  }

  /**
   * Looks again in `waitMs` whether the sender has sent anything within the idle timeout. One
   * timer a stream, not one a chunk: a busy stream reads thousands of chunks a second. While
   * batches of the stream wait or are being applied, the silence may be the service's own (it
   * does not read, or the sender waits for answers to send more) and does not count.
   */
  private watchIdle(waitMs: number): void {
    if (this.inputDone || this.options.idleTimeoutMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.waiting.length > 0 || this.applying > 0) this.lastReadAt = Date.now();
      const silentMs = Date.now() - this.lastReadAt;
      if (silentMs >= this.options.idleTimeoutMs) this.cutIdle();
      else this.watchIdle(this.options.idleTimeoutMs - silentMs);
    }, waitMs);
    this.idleTimer.unref();
  }

  /**
   * The sender has been silent past the idle timeout: the batch it left half-sent is dropped
   * and its bytes given back, the batches it completed are answered, and the connection goes.
   */
  private cutIdle(): void {
    if (this.inputDone) return;
    this.inputDone = true;
    if (this.lineCount > 0 || this.lineBytes > 0) this.options.metrics.rejected('slow_body');
    this.dropBatchBeingRead();
    // The sender may still be writing: the connection goes once the last answer is out.
    this.res.once('finish', () => {
      this.req.socket.destroy();
    });
    this.maybeFinish();
  }

  private read(chunk: Buffer): void {
    if (this.inputDone) return;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline < 0) {
        if (start < chunk.length) this.take(chunk, start, chunk.length);
        break;
      }
      if (this.lineBytes === 0) this.wholeLine(chunk, start, newline);
      else {
        this.take(chunk, start, newline);
        this.endLine();
      }
      start = newline + 1;
    }
    if (this.waiting.length > 0) this.req.pause();
  }

  /** A line that begins and ends in this chunk: the common case, read without copying. */
  private wholeLine(chunk: Buffer, start: number, newline: number): void {
    let end = newline;
    if (end > start && chunk[end - 1] === CARRIAGE_RETURN) end--;
    if (end === start) {
      this.endBatch();
      return;
    }
    this.lineCount++;
    if (this.admit(newline - start + 1)) this.lines.push(chunk.toString('utf8', start, end));
  }

  /** Part of a line that goes on in a later chunk. */
  private take(chunk: Buffer, start: number, end: number): void {
    if (end === start) return;
    if (this.lineBytes === 0) this.lineFirstByte = chunk[start] as number;
    this.lineBytes += end - start;
    if (this.admit(end - start)) this.partial.push(chunk.subarray(start, end));
  }

  /** The end of a line read in pieces. */
  private endLine(): void {
    const blank =
      this.lineBytes === 0 || (this.lineBytes === 1 && this.lineFirstByte === CARRIAGE_RETURN);
    const pieces = this.partial;
    this.partial = [];
    this.lineBytes = 0;
    if (blank) {
      this.endBatch();
      return;
    }
    this.lineCount++;
    if (!this.admit(1)) return;
    const line = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    const end = line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    this.lines.push(line.toString('utf8', 0, end));
  }

  /**
   * Counts bytes of the batch being read and holds them against the service's bound; false
   * once the batch is refused (over the size limit, or no room), and its lines are dropped.
   */
  private admit(bytes: number): boolean {
    if (this.refusal !== undefined) return false;
    this.batchBytes += bytes;
    if (this.batchBytes > this.options.batchLimitBytes) {
      this.refuse('too_large');
      return false;
    }
    if (!this.options.hold(bytes)) {
      this.refuse('overloaded');
      return false;
    }
    this.held += bytes;
    return true;
  }

  private refuse(refusal: 'too_large' | 'overloaded'): void {
    this.refusal = refusal;
    this.lines = [];
    this.partial = [];
    this.options.release(this.held);
    this.held = 0;
  }

  private endBatch(): void {
    if (this.lineCount === 0) {
      this.dropBatchBeingRead();
      return;
    }
    this.waiting.push({
      seq: this.nextSeq++,
      lines: this.lines,
      lineCount: this.lineCount,
      refusal: this.refusal,
      held: this.held,
    });
    this.resetBatch();
    this.applyWaiting();
  }

  /** Forgets the batch being read (empty, or never to be applied), releasing what it held. */
  private dropBatchBeingRead(): void {
    this.options.release(this.held);
    this.partial = [];
    this.lineBytes = 0;
    this.resetBatch();
  }

  private resetBatch(): void {
    this.lines = [];
    this.lineCount = 0;
    this.batchBytes = 0;
    this.refusal = undefined;
    this.held = 0;
  }

  private endOfInput(): void {
    if (this.inputDone) return;
    // A last line without its newline, and a last batch without its blank line, still count.
    if (this.lineBytes > 0) this.endLine();
    this.endBatch();
    this.inputDone = true;
    this.stopIdleWatch();
    this.maybeFinish();
  }

  private stopIdleWatch(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
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
    this.stopIdleWatch();
    for (const batch of this.waiting.splice(0)) this.options.release(batch.held);
    if (!this.inputDone) this.dropBatchBeingRead();
    this.inputDone = true;
    this.maybeFinish();
  }
}
