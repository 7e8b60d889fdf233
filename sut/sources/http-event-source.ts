import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  parsePlayerEvent,
  type PlayerEvent,
  type RejectionReason,
} from '../events/player-event.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import type { EventSink } from '../service/flush-service.ts';
import type { EventSource } from './event-source.ts';

/** Bodies above this are refused with 413 (a batch of ~40,000 typical events). */
export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const PROBLEMS_SHOWN = 10;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
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
      return { ok: false, problem: `malformed JSON: ${(error as Error).message}` };
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
        problem: `malformed NDJSON on line ${i + 1}: ${(error as Error).message}`,
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
  private sink: EventSink | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly metrics: SutMetrics,
    private readonly bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES,
  ) {}

  start(sink: EventSink): Promise<void> {
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

  private readBody(req: IncomingMessage): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > this.bodyLimitBytes) {
        resolve(undefined);
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        if (tooLarge) return;
        length += chunk.length;
        if (length > this.bodyLimitBytes) {
          tooLarge = true;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8'));
      });
      req.on('error', reject);
    });
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.readBody(req);
    if (body === undefined) {
      this.metrics.rejected('body_too_large');
      res.setHeader('connection', 'close');
      reply(res, 413, {
        error: `the body is larger than the limit of ${this.bodyLimitBytes} bytes; send smaller batches`,
      });
      req.resume();
      return;
    }
    const decoded = decodeBody(body);
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
