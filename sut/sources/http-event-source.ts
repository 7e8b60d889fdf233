import type { IncomingMessage, ServerResponse } from 'node:http';
import { echo } from '../events/player-event.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import type { IngestPort } from './ingest-ports.ts';
import type { EventSource } from './event-source.ts';
import { applyBatch, decodeBody } from './event-batch.ts';
import { HttpEventStream } from './http-event-stream.ts';
import {
  DEFAULT_BODY_PACE,
  slowBodyMessage,
  watchBodyPace,
  type BodyPace,
  type SlowBody,
} from './body-pace.ts';
import { InFlightBytes } from './in-flight-bytes.ts';

/** Bodies above this are refused with 413 (a batch of ~40,000 typical events). */
export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
/**
 * Request bodies held in memory at once, all requests together: beyond it a request is
 * answered 503 with Retry-After instead of read, so many large concurrent posts cannot take
 * the service's memory (eight bodies at the size limit).
 */
export const DEFAULT_IN_FLIGHT_LIMIT_BYTES = 8 * DEFAULT_BODY_LIMIT_BYTES;
/** A stream's answers go out together this often: its sender wakes 20 times a second for them, not once a batch. */
export const DEFAULT_STREAM_ANSWER_EVERY_MS = 50;
/**
 * A stream that sends nothing for this long is cut: the simulator sends a batch at least every
 * few milliseconds under load and ends a stream after 30 s, so a minute of silence is a sender
 * that is gone or holding the connection.
 */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60_000;
/** Batches of one stream applied at once: the simulator's default requests in flight. */
const STREAM_CONCURRENT_BATCHES = 16;

/**
 * The media types `POST /events` takes: JSON (an array of events) and NDJSON (one event per
 * line). Anything else, a form or text/plain in particular, which a web page may post across
 * origins without asking, is refused with 415.
 */
export const ACCEPTED_MEDIA_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
] as const;

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The embedded transport: `POST /events` with a batch of events (a JSON array or NDJSON).
 * A request is all or nothing for bad input: if any event is invalid, none is applied and
 * the answer is 400 naming the problems. It answers 200 `{accepted, rejected}`, or 503 with
 * an `error` when backpressure timed out or the service is stopping.
 */
export class HttpEventSource implements EventSource {
  readonly name = 'http';
  private sink: IngestPort | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Body bytes held by requests and streams being read or decoded now. */
  private readonly bytes: InFlightBytes;

  private readonly streams = new Set<HttpEventStream>();
  /** Set by stop(): a new stream is refused at once instead of kept open. */
  private stopping = false;

  constructor(
    private readonly metrics: SutMetrics,
    private readonly bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES,
    private readonly inFlightLimitBytes = DEFAULT_IN_FLIGHT_LIMIT_BYTES,
    private readonly streamAnswerEveryMs = DEFAULT_STREAM_ANSWER_EVERY_MS,
    private readonly bodyPace: BodyPace = DEFAULT_BODY_PACE,
    private readonly streamIdleTimeoutMs = DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  ) {
    this.bytes = new InFlightBytes(inFlightLimitBytes);
  }

  start(sink: IngestPort): Promise<void> {
    this.sink = sink;
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    this.stopping = true;
    // A sender may open a new stream while the old ones close: each round closes what is open.
    while (this.streams.size > 0) await Promise.all([...this.streams].map((s) => s.close()));
    await Promise.all([...this.inFlight]);
  }

  /** `POST /events/stream`: batches of events on one long request (see HttpEventStream). */
  handleStream(req: IncomingMessage, res: ServerResponse): void {
    if (this.refusedMediaType(req, res)) return;
    if (this.stopping) {
      this.metrics.rejected('shutting_down');
      res.setHeader('connection', 'close');
      reply(res, 503, { error: 'the service is shutting down' });
      req.resume();
      return;
    }
    const stream = new HttpEventStream(req, res, {
      metrics: this.metrics,
      sink: () => this.sink,
      batchLimitBytes: this.bodyLimitBytes,
      inFlightLimitBytes: this.inFlightLimitBytes,
      hold: (bytes) => this.bytes.hold(bytes),
      release: (bytes) => {
        this.bytes.release(bytes);
      },
      answerEveryMs: this.streamAnswerEveryMs,
      idleTimeoutMs: this.streamIdleTimeoutMs,
      concurrentBatches: STREAM_CONCURRENT_BATCHES,
    });
    this.streams.add(stream);
    void stream.finished.then(() => this.streams.delete(stream));
  }

  /** Anything but JSON or NDJSON is answered 415 and the connection closed. */
  private refusedMediaType(req: IncomingMessage, res: ServerResponse): boolean {
    const type = mediaType(req.headers['content-type']);
    if ((ACCEPTED_MEDIA_TYPES as readonly string[]).includes(type)) return false;
    this.metrics.rejected('unsupported_media_type');
    res.setHeader('connection', 'close');
    reply(res, 415, {
      error: `content-type ${echo(req.headers['content-type'] ?? '(none)')} is not accepted; send ${ACCEPTED_MEDIA_TYPES.join(' or ')}`,
    });
    req.resume();
    return true;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const work = this.receive(req, res).catch((error: unknown) => {
      reply(res, 500, { error: `internal error: ${(error as Error).message}` });
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Reads the body, holding its bytes against the in-flight bound as they arrive (never as
   * declared: a client that announces 8 MiB and sends a byte holds a byte): 'too_large' past
   * the body limit, 'overloaded' when all requests together would pass the bound, 'timeout' or
   * 'too_slow' when the body does not arrive at the pace asked, 'gone' when the client left.
   */
  private readBody(
    req: IncomingMessage,
    hold: (bytes: number) => boolean,
  ): Promise<
    { readonly text: string } | { readonly refused: 'too_large' | 'overloaded' | SlowBody | 'gone' }
  > {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > this.bodyLimitBytes) {
        resolve({ refused: 'too_large' });
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      let refused: 'too_large' | 'overloaded' | undefined;
      let settled = false;
      const settle = (
        outcome:
          | { readonly text: string }
          | { readonly refused: 'too_large' | 'overloaded' | SlowBody | 'gone' },
      ) => {
        if (settled) return;
        settled = true;
        pace.stop();
        chunks.length = 0;
        resolve(outcome);
      };
      const pace = watchBodyPace(this.bodyPace, (why) => {
        settle({ refused: why });
      });
      req.on('data', (chunk: Buffer) => {
        pace.received(chunk.length);
        if (refused !== undefined || settled) return;
        length += chunk.length;
        if (length > this.bodyLimitBytes) refused = 'too_large';
        else if (!hold(chunk.length)) refused = 'overloaded';
        if (refused !== undefined) {
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        settle(
          refused === undefined ? { text: Buffer.concat(chunks).toString('utf8') } : { refused },
        );
      });
      req.on('close', () => {
        if (!req.complete) settle({ refused: 'gone' });
      });
      req.on('error', (error) => {
        if (settled) return;
        settled = true;
        pace.stop();
        reject(error);
      });
    });
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.refusedMediaType(req, res)) return;
    const held = this.bytes.forRequest();
    try {
      await this.receiveBody(req, res, (bytes) => held.hold(bytes));
    } finally {
      held.release();
    }
  }

  private async receiveBody(
    req: IncomingMessage,
    res: ServerResponse,
    hold: (bytes: number) => boolean,
  ): Promise<void> {
    const body = await this.readBody(req, hold);
    if ('refused' in body && body.refused === 'too_large') {
      this.metrics.rejected('body_too_large');
      res.setHeader('connection', 'close');
      reply(res, 413, {
        error: `the body is larger than the limit of ${this.bodyLimitBytes} bytes; send smaller batches`,
      });
      req.resume();
      return;
    }
    if ('refused' in body && body.refused === 'gone') return;
    if ('refused' in body && (body.refused === 'timeout' || body.refused === 'too_slow')) {
      this.metrics.rejected('slow_body');
      // The rest of a slow body is not waited for: the connection goes once the 408 is out.
      res.setHeader('connection', 'close');
      res.on('finish', () => req.socket.destroy());
      reply(res, 408, { error: slowBodyMessage(this.bodyPace, body.refused) });
      return;
    }
    if ('refused' in body) {
      this.metrics.rejected('overloaded');
      res.setHeader('connection', 'close');
      res.setHeader('retry-after', '1');
      reply(res, 503, {
        error: `the service holds ${this.inFlightLimitBytes} bytes of request bodies at most and has no room for this one now; retry after a second`,
      });
      req.resume();
      return;
    }
    const answer = await applyBatch(decodeBody(body.text), this.sink, this.metrics);
    reply(res, answer.status, answer.body);
  }
}
