import { Agent, request } from 'node:http';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import type { EventSinkTarget, SinkStats } from './event-sink.ts';
import type { DeliveryLedger } from '../delivery-ledger.ts';
import { EventJson } from './event-json.ts';

export interface HttpSinkOptions {
  /** The service's base URL; events go to `${url}/events`. */
  readonly url: string;
  readonly partitions: number;
  /** Send a batch this long after its first event was queued, like a Kafka producer's linger.ms. */
  readonly lingerMs: number;
  /** ...or as soon as the queue holds this many events. */
  readonly maxBatch: number;
  /** Requests in flight at most; beyond, events wait in the queue. */
  readonly maxInFlight: number;
  /** Events queued per partition at most; beyond, offer() says no and the event is dropped. */
  readonly maxQueued: number;
  /** A request that takes longer fails. */
  readonly timeoutMs: number;
  /** Records what became of each event, for the audit. */
  readonly ledger?: DeliveryLedger;
}

export const DEFAULT_HTTP_SINK: Omit<HttpSinkOptions, 'url' | 'partitions' | 'ledger'> = {
  lingerMs: 5,
  maxBatch: 500,
  maxInFlight: 16,
  maxQueued: 20_000,
  timeoutMs: 10_000,
};

const ERRORS_KEPT = 5;

/**
 * Batches events to the service's `POST /events` as NDJSON over keep-alive connections, all
 * partitions in one request, as a Kafka producer sends every partition's batch for a broker
 * in one produce request: the service routes each event to its partition itself, and a
 * request per partition would pay HTTP's per-request cost (a write and a reply on each side)
 * eight times as often for the same events. Failed requests are counted, never retried: a
 * retry would replay events with stale intended times and blur what the target really took.
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
  /** A batch may go: the queue holds a full one, or the oldest event has lingered long enough. */
  private ready = false;
  private readonly agent: Agent;
  private readonly target: URL;
  private inFlight = 0;
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

  private lingerThenReady(): void {
    if (this.ready) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.markReady();
    }, this.options.lingerMs);
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

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.ready && this.queued > 0) {
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
      this.send(batch, indices, partitions);
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
   * A batch not taken whole, answered per partition (the service splits a request by
   * partition): the events of a part taken whole are acknowledged, those of a part refused
   * whole are refused, and the rest stay unknown.
   */
  private settleParts(
    parts: readonly { partition?: unknown; accepted?: unknown }[],
    status: number,
    indices: readonly number[],
    partitions: readonly number[],
  ): void {
    const sent = new Map<number, number[]>();
    for (let i = 0; i < indices.length; i++) {
      const p = partitions[i] as number;
      const own = sent.get(p);
      if (own === undefined) sent.set(p, [indices[i] as number]);
      else own.push(indices[i] as number);
    }
    for (const part of parts) {
      const own = typeof part.partition === 'number' ? sent.get(part.partition) : undefined;
      if (own === undefined || typeof part.accepted !== 'number') continue;
      if (part.accepted === own.length) this.options.ledger?.acknowledged(own);
      else if (part.accepted === 0 && (status === 503 || status === 400))
        this.options.ledger?.refused(own);
    }
  }

  private send(batch: string[], indices: number[], partitions: number[]): void {
    this.inFlight++;
    this.requests++;
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
          try {
            const answer = JSON.parse(text) as {
              accepted?: number;
              rejected?: number;
              error?: string;
              parts?: unknown;
            };
            const accepted = typeof answer.accepted === 'number' ? answer.accepted : 0;
            const rejected = typeof answer.rejected === 'number' ? answer.rejected : 0;
            this.delivered += accepted;
            this.rejected += rejected;
            const status = res.statusCode ?? 0;
            // A partial answer without per-partition figures does not say which events were
            // taken: those stay unknown.
            if (status >= 200 && status < 300 && accepted === batch.length)
              this.options.ledger?.acknowledged(indices);
            else if (Array.isArray(answer.parts))
              this.settleParts(
                answer.parts as { partition?: unknown; accepted?: unknown }[],
                status,
                indices,
                partitions,
              );
            else if (
              status === 400 ||
              status === 413 ||
              status === 415 ||
              (status === 503 && accepted === 0)
            )
              this.options.ledger?.refused(indices);
            // Whatever the answer does not account for was not delivered: a 400, 413 or 500
            // without counts, or a proxy's 502, fails the whole batch.
            const unaccounted = Math.max(0, batch.length - accepted - rejected);
            if ((res.statusCode ?? 0) >= 300 || unaccounted > 0)
              this.fail(
                unaccounted,
                `HTTP ${res.statusCode ?? '?'}: ${answer.error ?? text.slice(0, 200)}`,
              );
          } catch {
            this.fail(
              batch.length,
              `HTTP ${res.statusCode ?? '?'} with an unreadable answer: ${text.slice(0, 200)}`,
            );
          }
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

  drain(): Promise<void> {
    if (this.queued > 0) this.markReady();
    if (this.inFlight === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    this.agent.destroy();
  }

  stats(): SinkStats {
    return {
      delivered: this.delivered,
      rejected: this.rejected,
      failed: this.failed,
      requests: this.requests,
      errors: [...this.errors],
    };
  }
}
