import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  echo,
  parsePlayerEvent,
  type PlayerEvent,
  type RejectionReason,
} from '../events/player-event.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import type { IngestPort } from './ingest-ports.ts';
import type { EventSource } from './event-source.ts';

/** Bodies above this are refused with 413 (a batch of ~40,000 typical events). */
export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
/**
 * Request bodies held in memory at once, all requests together: beyond it a request is
 * answered 503 with Retry-After instead of read, so many large concurrent posts cannot take
 * the service's memory (eight bodies at the size limit).
 */
export const DEFAULT_IN_FLIGHT_LIMIT_BYTES = 8 * DEFAULT_BODY_LIMIT_BYTES;
const PROBLEMS_SHOWN = 10;
/** What an error answer quotes of a malformed body at most. */
const QUOTE_LIMIT = 240;

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

function cut(text: string): string {
  return text.length <= QUOTE_LIMIT ? text : `${text.slice(0, QUOTE_LIMIT)}...`;
}

type Decoded = { ok: true; values: unknown[] } | { ok: false; problem: string };

/** A JSON array of events, or NDJSON (one event per line); detected by the first character. */
function decodeBody(text: string): Decoded {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const values: unknown = JSON.parse(trimmed);
      return Array.isArray(values)
        ? { ok: true, values }
        : { ok: false, problem: 'the body must be a JSON array of events or NDJSON' };
    } catch (error) {
      return { ok: false, problem: `malformed JSON: ${cut((error as Error).message)}` };
    }
  }
  const values: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      return {
        ok: false,
        problem: `malformed NDJSON on line ${i + 1}: ${cut((error as Error).message)}`,
      };
    }
  }
  return { ok: true, values };
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

  constructor(
    private readonly metrics: SutMetrics,
    private readonly bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES,
    private readonly inFlightLimitBytes = DEFAULT_IN_FLIGHT_LIMIT_BYTES,
  ) {}

  start(sink: IngestPort): Promise<void> {
    this.sink = sink;
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    await Promise.all([...this.inFlight]);
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
    const type = mediaType(req.headers['content-type']);
    if (!(ACCEPTED_MEDIA_TYPES as readonly string[]).includes(type)) {
      this.metrics.rejected('unsupported_media_type');
      res.setHeader('connection', 'close');
      reply(res, 415, {
        error: `content-type ${echo(req.headers['content-type'] ?? '(none)')} is not accepted; send ${ACCEPTED_MEDIA_TYPES.join(' or ')}`,
      });
      req.resume();
      return;
    }
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
    const decoded = decodeBody(body.text);
    if (!decoded.ok) {
      this.metrics.rejected('malformed_body');
      reply(res, 400, { error: decoded.problem });
      return;
    }
    const receivedAt = Date.now();
    const events: PlayerEvent[] = [];
    const problems: string[] = [];
    let firstReason: RejectionReason | undefined;
    for (let i = 0; i < decoded.values.length; i++) {
      const parsed = parsePlayerEvent(decoded.values[i], receivedAt);
      if (parsed.ok) events.push(parsed.event);
      else {
        firstReason ??= parsed.reason;
        if (problems.length < PROBLEMS_SHOWN) problems.push(`event ${i}: ${parsed.problem}`);
        else if (problems.length === PROBLEMS_SHOWN) problems.push('...');
      }
    }
    this.metrics.received(decoded.values.length);
    if (firstReason !== undefined) {
      this.metrics.rejected(firstReason, decoded.values.length);
      reply(res, 400, {
        error: 'invalid events; nothing from this request was applied',
        problems,
        accepted: 0,
        rejected: decoded.values.length,
      });
      return;
    }
    const sink = this.sink;
    if (sink === undefined) {
      this.metrics.rejected('shutting_down', events.length);
      reply(res, 503, {
        error: 'the service is shutting down',
        accepted: 0,
        rejected: events.length,
      });
      return;
    }
    const result = await sink.ingest(events);
    reply(res, result.error === undefined ? 200 : 503, result);
  }
}
