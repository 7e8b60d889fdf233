import type { IncomingMessage, ServerResponse } from 'node:http';
import { echo } from '../events/player-event.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import type { IngestPort } from './ingest-ports.ts';
import type { EventSource } from './event-source.ts';
import { applyBatch, decodeBody } from './event-batch.ts';
import { HttpEventStream } from './http-event-stream.ts';

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
  /** Body bytes held by requests being read or decoded now. */
  private heldBytes = 0;

  private readonly streams = new Set<HttpEventStream>();
  /** Set by stop(): a new stream is refused at once instead of kept open. */
  private stopping = false;

  constructor(
    private readonly metrics: SutMetrics,
    private readonly bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES,
    private readonly inFlightLimitBytes = DEFAULT_IN_FLIGHT_LIMIT_BYTES,
    private readonly streamAnswerEveryMs = DEFAULT_STREAM_ANSWER_EVERY_MS,
  ) {}

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
      hold: (bytes) => {
        if (this.heldBytes + bytes > this.inFlightLimitBytes) return false;
        this.heldBytes += bytes;
        return true;
      },
      release: (bytes) => (this.heldBytes -= bytes),
      answerEveryMs: this.streamAnswerEveryMs,
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
   * Reads the body, holding its bytes against the in-flight bound while it does: 'too_large'
   * past the body limit, 'overloaded' when all requests together would pass the bound.
   */
  private readBody(
    req: IncomingMessage,
    hold: (bytes: number) => boolean,
  ): Promise<{ readonly text: string } | { readonly refused: 'too_large' | 'overloaded' }> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > this.bodyLimitBytes) {
        resolve({ refused: 'too_large' });
        return;
      }
      // A declared length is held up front: refused before a byte of it is read.
      if (declared > 0 && !hold(declared)) {
        resolve({ refused: 'overloaded' });
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      let refused: 'too_large' | 'overloaded' | undefined;
      req.on('data', (chunk: Buffer) => {
        if (refused !== undefined) return;
        length += chunk.length;
        if (length > this.bodyLimitBytes) refused = 'too_large';
        else if (length > declared && !hold(chunk.length)) refused = 'overloaded';
        if (refused !== undefined) {
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        resolve(
          refused === undefined ? { text: Buffer.concat(chunks).toString('utf8') } : { refused },
        );
      });
      req.on('error', reject);
    });
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.refusedMediaType(req, res)) return;
    let held = 0;
    const hold = (bytes: number) => {
      if (this.heldBytes + bytes > this.inFlightLimitBytes) return false;
      this.heldBytes += bytes;
      held += bytes;
      return true;
    };
    try {
      await this.receiveBody(req, res, hold);
    } finally {
      this.heldBytes -= held;
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
