import { Agent, request, type ClientRequest } from 'node:http';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import type { EventSinkTarget, SinkStats } from './event-sink.ts';
import type { DeliveryLedger } from '../delivery-ledger.ts';
import { EventJson } from './event-json.ts';

/**
 * How batches travel: `stream`, on one long `POST /events/stream` whose answers come back
 * together a few times a second; `requests`, a `POST /events` each, answered each; `auto`,
 * a stream unless the service has no such route (404 or 405), then requests.
 */
export type HttpTransport = 'auto' | 'stream' | 'requests';
export const HTTP_TRANSPORTS: readonly HttpTransport[] = ['auto', 'stream', 'requests'];

export interface HttpSinkOptions {
  /** The service's base URL; events go to `${url}/events/stream` or `${url}/events`. */
  readonly url: string;
  readonly transport: HttpTransport;
  readonly partitions: number;
  /** Send a batch this long after its first event was queued, like a Kafka producer's linger.ms. */
  readonly lingerMs: number;
  /** ...or as soon as the queue holds this many events. */
  readonly maxBatch: number;
  /**
   * Requests in flight at most; beyond, events wait in the queue. On a stream, events
   * unanswered at most: this many full batches' worth.
   */
  readonly maxInFlight: number;
  /** Events queued per partition at most; beyond, offer() says no and the event is dropped. */
  readonly maxQueued: number;
  /** A request, or a batch on a stream, unanswered for longer fails (and with it the stream). */
  readonly timeoutMs: number;
  /**
   * A stream is ended and a new one opened after this long: no request outlives a server's
   * request timeout (Node's is 5 minutes), and a connection gone quietly bad is left in time.
   */
  readonly streamLifetimeMs: number;
  /** Records what became of each event, for the audit. */
  readonly ledger?: DeliveryLedger;
}

export const DEFAULT_HTTP_SINK: Omit<HttpSinkOptions, 'url' | 'partitions' | 'ledger'> = {
  transport: 'auto',
  lingerMs: 5,
  maxBatch: 500,
  maxInFlight: 16,
  maxQueued: 20_000,
  timeoutMs: 10_000,
  streamLifetimeMs: 30_000,
};

const ERRORS_KEPT = 5;
/** How long close() waits for a stream's last answers before it cuts the connection. */
const STREAM_CLOSE_WAIT_MS = 2_000;

/** A batch sent and not answered yet. */
interface SentBatch {
  /** The events' lines, kept for a stream's batches: resent as requests if the service has no streams. */
  readonly lines: readonly string[];
  readonly count: number;
  readonly indices: readonly number[];
  readonly partitions: readonly number[];
  readonly sentAt: number;
}

/** What the service says about a batch (a request's body, or a line of a stream's answers). */
interface BatchAnswer {
  readonly accepted?: unknown;
  readonly rejected?: unknown;
  readonly error?: unknown;
  readonly parts?: unknown;
}

/** One `POST /events/stream` and the batches it carries that wait for an answer. */
interface OpenStream {
  readonly req: ClientRequest;
  readonly openedAt: number;
  readonly pending: Map<number, SentBatch>;
  nextSeq: number;
  /** Answer text received after the last whole line. */
  partial: string;
  over: boolean;
  /** The service's response has begun (it sends its headers at once). */
  responded: boolean;
  /** When the last answers came: a stream whose answers keep coming is not stuck. */
  answeredAt: number;
  readonly closed: Promise<void>;
  markClosed(): void;
}

/**
 * Batches events to the service as NDJSON, all partitions in one batch, as a Kafka producer
 * sends every partition's batch for a broker in one produce request: the service routes each
 * event to its partition itself. By default the batches go one after another on a long
 * `POST /events/stream`, as a producer pipelines produce requests on one connection, and
 * the service answers them together every 50 ms: a request and its answer per batch cost
 * each side about three times the CPU of the batch's events themselves at 5,000 events/s
 * (docs/findings.md). `transport: 'requests'` posts each batch to `POST /events` over
 * keep-alive connections instead. Failed batches are counted, never retried: a retry would
 * replay events with stale intended times and blur what the target really took.
 */
export class HttpSink implements EventSinkTarget {
  readonly name = 'http';
  /** Serialized events waiting to be sent, oldest first, with each one's run index and partition. */
  private queue: string[] = [];
  private indices: number[] = [];
  private partitionOfQueued: number[] = [];
  /** Where the queue's first unsent event is: the arrays' front is already sent. */
  private head = 0;
  /** Events queued per partition: the bound offer() keeps. */
  private readonly queuedBy: number[];
  private timer: NodeJS.Timeout | undefined;
  private lingerPending = false;
  /** A batch may go: the queue holds a full one, or the oldest event has lingered long enough. */
  private ready = false;
  private readonly agent: Agent;
  private readonly target: URL;
  /** How batches go now: `auto` starts as a stream. */
  private transport: 'stream' | 'requests';
  /** Requests, or batches on streams, awaiting their answer. */
  private inFlight = 0;
  /** Events in the batches in flight. */
  private inFlightEvents = 0;
  private readonly streamTarget: URL;
  /** The stream new batches go on; older ones stay in `streams` until their last answer. */
  private stream: OpenStream | undefined;
  private readonly streams = new Set<OpenStream>();
  private deadline: NodeJS.Timeout | undefined;
  private readonly idle: (() => void)[] = [];
  private delivered = 0;
  private rejected = 0;
  private failed = 0;
  private requests = 0;
  private readonly errors: string[] = [];
  private readonly json = new EventJson();

  constructor(private readonly options: HttpSinkOptions) {
    this.queuedBy = new Array<number>(options.partitions).fill(0);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight });
    this.target = new URL('/events', options.url);
    this.streamTarget = new URL('/events/stream', options.url);
    this.transport = options.transport === 'requests' ? 'requests' : 'stream';
  }

  get batching(): { lingerMs: number; maxBatch: number } {
    return { lingerMs: this.options.lingerMs, maxBatch: this.options.maxBatch };
  }

  sendQueued(): void {
    if (this.queued > 0) this.markReady();
  }

  offer(event: PlayerEvent, partition: number, index: number): boolean {
    if ((this.queuedBy[partition] as number) >= this.options.maxQueued) return false;
    this.queuedBy[partition] = (this.queuedBy[partition] as number) + 1;
    this.queue.push(this.json.line(event));
    this.indices.push(index);
    this.partitionOfQueued.push(partition);
    this.options.ledger?.sent(index);
    if (this.queued >= this.options.maxBatch) this.markReady();
    else this.lingerThenReady();
    return true;
  }

  /**
   * Starts the linger, at the end of this tick: a caller that hands over a group and then
   * calls sendQueued() in the same tick (the runner does) never needs the timer, and a timer
   * set and cleared for every group costs more than the check.
   */
  private lingerThenReady(): void {
    if (this.ready || this.timer !== undefined || this.lingerPending) return;
    this.lingerPending = true;
    process.nextTick(() => {
      this.lingerPending = false;
      if (this.ready || this.queued === 0 || this.timer !== undefined) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.markReady();
      }, this.options.lingerMs);
    });
  }

  private markReady(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.ready = true;
    this.pump();
  }

  /** Events queued and not yet taken by a request. */
  private get queued(): number {
    return this.queue.length - this.head;
  }

  /** Room for another batch: a request slot, or on a stream room in its bound and its socket. */
  private canSend(): boolean {
    if (this.transport === 'requests') return this.inFlight < this.options.maxInFlight;
    return (
      this.inFlightEvents < this.options.maxInFlight * this.options.maxBatch &&
      this.stream?.req.writableNeedDrain !== true
    );
  }

  private pump(): void {
    while (this.ready && this.queued > 0 && this.canSend()) {
      const from = this.head;
      const to = Math.min(this.queue.length, from + this.options.maxBatch);
      const batch = this.queue.slice(from, to);
      const indices = this.indices.slice(from, to);
      const partitions = this.partitionOfQueued.slice(from, to);
      for (const p of partitions) this.queuedBy[p] = (this.queuedBy[p] as number) - 1;
      this.head = to;
      // The taken front is dropped once it is most of the arrays, so a long backlog is
      // copied now and then rather than shifted on every request.
      if (this.head > 4096 && this.head * 2 > this.queue.length) this.compact();
      // What is left is sent at once when it makes a full batch, else after its own linger.
      this.ready = this.queued >= this.options.maxBatch;
      if (!this.ready && this.queued > 0) this.lingerThenReady();
      if (this.transport === 'requests') this.post(batch, indices, partitions);
      else this.sendOnStream(batch, indices, partitions);
    }
    if (this.inFlight === 0 && this.queued === 0) {
      if (this.head > 0) this.compact();
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private compact(): void {
    this.queue = this.queue.slice(this.head);
    this.indices = this.indices.slice(this.head);
    this.partitionOfQueued = this.partitionOfQueued.slice(this.head);
    this.head = 0;
  }

  private fail(count: number, message: string): void {
    this.failed += count;
    if (this.errors.length < ERRORS_KEPT) this.errors.push(message);
  }

  /**
   * A batch not taken whole, answered per partition (the service splits a batch by
   * partition): the events of a part taken whole are acknowledged, those of a part refused
   * whole are refused, and the rest stay unknown.
   */
  private settleParts(
    parts: readonly { partition?: unknown; accepted?: unknown }[],
    status: number,
    batch: SentBatch,
  ): void {
    const sent = new Map<number, number[]>();
    for (let i = 0; i < batch.indices.length; i++) {
      const p = batch.partitions[i] as number;
      const own = sent.get(p);
      if (own === undefined) sent.set(p, [batch.indices[i] as number]);
      else own.push(batch.indices[i] as number);
    }
    for (const part of parts) {
      const own = typeof part.partition === 'number' ? sent.get(part.partition) : undefined;
      if (own === undefined || typeof part.accepted !== 'number') continue;
      if (part.accepted === own.length) this.options.ledger?.acknowledged(own);
      else if (part.accepted === 0 && (status === 503 || status === 400))
        this.options.ledger?.refused(own);
    }
  }

  /** Counts a batch's answer: what it took, what it refused, and what it leaves unaccounted for. */
  private settle(batch: SentBatch, status: number, answer: BatchAnswer, text: string): void {
    const accepted = typeof answer.accepted === 'number' ? answer.accepted : 0;
    const rejected = typeof answer.rejected === 'number' ? answer.rejected : 0;
    this.delivered += accepted;
    this.rejected += rejected;
    // A partial answer without per-partition figures does not say which events were
    // taken: those stay unknown.
    if (status >= 200 && status < 300 && accepted === batch.count)
      this.options.ledger?.acknowledged(batch.indices);
    else if (Array.isArray(answer.parts))
      this.settleParts(
        answer.parts as { partition?: unknown; accepted?: unknown }[],
        status,
        batch,
      );
    else if (
      status === 400 ||
      status === 413 ||
      status === 415 ||
      (status === 503 && accepted === 0)
    )
      this.options.ledger?.refused(batch.indices);
    // Whatever the answer does not account for was not delivered: a 400, 413 or 500
    // without counts, or a proxy's 502, fails the whole batch.
    const unaccounted = Math.max(0, batch.count - accepted - rejected);
    if (status >= 300 || unaccounted > 0)
      this.fail(
        unaccounted,
        `HTTP ${status || '?'}: ${typeof answer.error === 'string' ? answer.error : text.slice(0, 200)}`,
      );
  }

  private post(batch: string[], indices: number[], partitions: number[]): void {
    this.inFlight++;
    this.requests++;
    const sent: SentBatch = { lines: [], count: batch.length, indices, partitions, sentAt: 0 };
    const body = batch.join('\n');
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      this.pump();
    };
    const req = request(
      this.target,
      {
        method: 'POST',
        agent: this.agent,
        timeout: this.options.timeoutMs,
        headers: {
          'content-type': 'application/x-ndjson',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let answer: BatchAnswer | undefined;
          try {
            answer = JSON.parse(text) as BatchAnswer;
          } catch {
            this.fail(
              batch.length,
              `HTTP ${res.statusCode ?? '?'} with an unreadable answer: ${text.slice(0, 200)}`,
            );
          }
          if (answer !== undefined) this.settle(sent, res.statusCode ?? 0, answer, text);
          done();
        });
        res.on('error', (error) => {
          this.fail(batch.length, error.message);
          done();
        });
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`));
    });
    req.on('error', (error) => {
      this.fail(batch.length, error.message);
      done();
    });
    req.end(body);
  }

  private sendOnStream(batch: string[], indices: number[], partitions: number[]): void {
    const stream = this.currentStream();
    const seq = stream.nextSeq++;
    stream.pending.set(seq, {
      lines: batch,
      count: batch.length,
      indices,
      partitions,
      sentAt: Date.now(),
    });
    this.inFlight++;
    this.inFlightEvents += batch.length;
    this.requests++;
    stream.req.write(`${batch.join('\n')}\n\n`);
    this.watchDeadline();
  }

  /** The stream to send on: the open one, or a new one when there is none or it has lived long enough. */
  private currentStream(): OpenStream {
    const open = this.stream;
    if (open !== undefined && Date.now() - open.openedAt < this.options.streamLifetimeMs)
      return open;
    // An old stream is ended, not cut: the service still answers what it carries.
    if (open !== undefined) open.req.end();
    const req = request(this.streamTarget, {
      method: 'POST',
      agent: this.agent,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const stream: OpenStream = {
      req,
      openedAt: Date.now(),
      pending: new Map(),
      nextSeq: 0,
      partial: '',
      over: false,
      responded: false,
      answeredAt: 0,
      closed,
      markClosed,
    };
    req.on('response', (res) => {
      stream.responded = true;
      res.setEncoding('utf8');
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        let text = '';
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if ((status === 404 || status === 405) && this.options.transport === 'auto')
            this.fallBackToRequests(stream);
          this.endStream(stream, `HTTP ${status || '?'}: ${errorIn(text)}`);
        });
      } else {
        res.on('data', (chunk: string) => {
          this.readAnswers(stream, chunk);
        });
        res.on('end', () => {
          this.endStream(stream, 'the service ended the stream before answering these events');
        });
      }
      res.on('error', (error) => {
        this.endStream(stream, brokenStream(error));
      });
    });
    req.on('error', (error) => {
      this.endStream(stream, brokenStream(error));
    });
    req.on('drain', () => {
      this.pump();
    });
    this.stream = stream;
    this.streams.add(stream);
    return stream;
  }

  private readAnswers(stream: OpenStream, chunk: string): void {
    stream.answeredAt = Date.now();
    let text = stream.partial + chunk;
    let newline = text.indexOf('\n');
    while (newline >= 0 && !stream.over) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
      if (line.trim() !== '') this.readAnswer(stream, line);
    }
    stream.partial = text;
    this.pump();
  }

  private readAnswer(stream: OpenStream, line: string): void {
    let answer: (BatchAnswer & { batch?: unknown; status?: unknown }) | undefined;
    try {
      answer = JSON.parse(line) as BatchAnswer & { batch?: unknown; status?: unknown };
    } catch {
      // Without its batch number no later answer can be trusted to be read right.
      this.endStream(stream, `an unreadable answer on the stream: ${line.slice(0, 200)}`);
      return;
    }
    const seq = typeof answer.batch === 'number' ? answer.batch : -1;
    const batch = stream.pending.get(seq);
    if (batch === undefined) {
      this.endStream(stream, `an answer for a batch not waiting for one: ${line.slice(0, 200)}`);
      return;
    }
    stream.pending.delete(seq);
    this.inFlight--;
    this.inFlightEvents -= batch.count;
    this.settle(batch, typeof answer.status === 'number' ? answer.status : 0, answer, line);
  }

  /**
   * The service has no `POST /events/stream` (another service, or a proxy that routes only
   * `POST /events`): nothing the stream carried was applied, so its batches go again as
   * requests, and so does everything after.
   */
  private fallBackToRequests(stream: OpenStream): void {
    this.transport = 'requests';
    const batches = [...stream.pending.values()];
    stream.pending.clear();
    for (const batch of batches) {
      this.inFlight--;
      this.inFlightEvents -= batch.count;
      this.post([...batch.lines], [...batch.indices], [...batch.partitions]);
    }
  }

  /** The stream is over: whatever it carried that has no answer was not delivered. */
  private endStream(stream: OpenStream, reason: string): void {
    if (stream.over) return;
    stream.over = true;
    if (this.stream === stream) this.stream = undefined;
    this.streams.delete(stream);
    for (const batch of stream.pending.values()) {
      this.fail(batch.count, reason);
      this.inFlight--;
      this.inFlightEvents -= batch.count;
    }
    stream.pending.clear();
    stream.req.destroy();
    stream.markClosed();
    this.pump();
  }

  /**
   * Since when a stream has waited with nothing answered: from its oldest unanswered batch, or
   * from its last answer when that is later (batches queued in the service behind slow ones
   * wait longer than the timeout while answers keep coming; that is not a stuck stream).
   */
  private static waitingSince(stream: OpenStream): number | undefined {
    const first = stream.pending.values().next();
    return first.done === true ? undefined : Math.max(first.value.sentAt, stream.answeredAt);
  }

  /**
   * One timer for every stream: a stream that has had batches waiting and no answer for
   * `timeoutMs` is cut. Unreferenced: the process does not stay up for it alone.
   */
  private watchDeadline(): void {
    if (this.deadline !== undefined) return;
    let earliest = Infinity;
    for (const stream of this.streams)
      earliest = Math.min(earliest, HttpSink.waitingSince(stream) ?? Infinity);
    if (earliest === Infinity) return;
    this.deadline = setTimeout(
      () => {
        this.deadline = undefined;
        const now = Date.now();
        for (const stream of [...this.streams]) {
          const since = HttpSink.waitingSince(stream);
          if (since === undefined || now - since < this.options.timeoutMs) continue;
          // Not even the response's start: something between holds the request whole (a
          // proxy that buffers bodies), so no stream through it will ever be answered.
          if (!stream.responded && this.options.transport === 'auto') {
            this.transport = 'requests';
            this.endStream(
              stream,
              `no answer to a stream within ${this.options.timeoutMs} ms, not even its start (a proxy that buffers request bodies?); sending a request per batch from here on`,
            );
          } else this.endStream(stream, `no answer within ${this.options.timeoutMs} ms`);
        }
        this.watchDeadline();
      },
      Math.max(0, earliest + this.options.timeoutMs - Date.now()),
    );
    this.deadline.unref();
  }

  drain(): Promise<void> {
    if (this.queued > 0) this.markReady();
    if (this.inFlight === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    const streams = [...this.streams];
    for (const stream of streams) stream.req.end();
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(streams.map((s) => s.closed)),
      new Promise<void>((resolve) => (waited = setTimeout(resolve, STREAM_CLOSE_WAIT_MS))),
    ]);
    clearTimeout(waited);
    for (const stream of streams) this.endStream(stream, 'the sink closed before answers came');
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.agent.destroy();
  }

  stats(): SinkStats {
    return {
      delivered: this.delivered,
      rejected: this.rejected,
      failed: this.failed,
      requests: this.requests,
      errors: [...this.errors],
      transport: this.transport,
    };
  }
}

/** The error an answer's JSON names, or the start of its text. */
function errorIn(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === 'string') return error;
  } catch {
    // Not JSON (a proxy's page): its start is quoted instead.
  }
  return text.slice(0, 200);
}

function brokenStream(error: Error): string {
  return `the stream's connection broke (${error.message})`;
}
