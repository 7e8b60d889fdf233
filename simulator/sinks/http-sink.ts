import { Agent, request } from 'node:http';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import type { EventSinkTarget, SinkStats } from './event-sink.ts';
import type { DeliveryLedger } from '../delivery-ledger.ts';

export interface HttpSinkOptions {
  /** The service's base URL; events go to `${url}/events`. */
  readonly url: string;
  readonly partitions: number;
  /** Send a partition's batch after this long, like a Kafka producer's linger.ms. */
  readonly lingerMs: number;
  /** ...or as soon as it holds this many events. */
  readonly maxBatch: number;
  /** Requests in flight at most; beyond, batches wait in their partition's queue. */
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
 * Batches per partition to the service's `POST /events` as NDJSON over keep-alive
 * connections. Failed requests are counted, never retried: a retry would replay events with
 * stale intended times and blur what the target really took.
 */
export class HttpSink implements EventSinkTarget {
  readonly name = 'http';
  private readonly queues: string[][];
  /** Each queued event's index in the run, beside it. */
  private readonly indices: number[][];
  private readonly timers: (NodeJS.Timeout | undefined)[];
  private readonly ready: number[] = [];
  private readonly agent: Agent;
  private readonly target: URL;
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];
  private delivered = 0;
  private rejected = 0;
  private failed = 0;
  private requests = 0;
  private readonly errors: string[] = [];

  constructor(private readonly options: HttpSinkOptions) {
    this.queues = Array.from({ length: options.partitions }, () => []);
    this.indices = Array.from({ length: options.partitions }, () => []);
    this.timers = new Array<NodeJS.Timeout | undefined>(options.partitions);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight });
    this.target = new URL('/events', options.url);
  }

  offer(event: PlayerEvent, partition: number, index: number): boolean {
    const queue = this.queues[partition] as string[];
    if (queue.length >= this.options.maxQueued) return false;
    queue.push(JSON.stringify(event));
    (this.indices[partition] as number[]).push(index);
    this.options.ledger?.sent(index);
    if (queue.length >= this.options.maxBatch) this.markReady(partition);
    else if (queue.length === 1) {
      this.timers[partition] = setTimeout(() => {
        this.timers[partition] = undefined;
        this.markReady(partition);
      }, this.options.lingerMs);
    }
    return true;
  }

  private markReady(partition: number): void {
    const timer = this.timers[partition];
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers[partition] = undefined;
    }
    if (!this.ready.includes(partition)) this.ready.push(partition);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.ready.length > 0) {
      const partition = this.ready.shift() as number;
      const queue = this.queues[partition] as string[];
      const batch = queue.splice(0, this.options.maxBatch);
      const indices = (this.indices[partition] as number[]).splice(0, batch.length);
      if (queue.length >= this.options.maxBatch) this.ready.push(partition);
      else if (queue.length > 0) this.markLater(partition);
      if (batch.length > 0) this.send(batch, indices);
    }
    if (
      this.inFlight === 0 &&
      this.ready.length === 0 &&
      this.queues.every((q) => q.length === 0)
    ) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private markLater(partition: number): void {
    this.timers[partition] ??= setTimeout(() => {
      this.timers[partition] = undefined;
      this.markReady(partition);
    }, this.options.lingerMs);
  }

  private fail(count: number, message: string): void {
    this.failed += count;
    if (this.errors.length < ERRORS_KEPT) this.errors.push(message);
  }

  private send(batch: string[], indices: number[]): void {
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
            };
            const accepted = typeof answer.accepted === 'number' ? answer.accepted : 0;
            const rejected = typeof answer.rejected === 'number' ? answer.rejected : 0;
            this.delivered += accepted;
            this.rejected += rejected;
            const status = res.statusCode ?? 0;
            // Which events of a partial answer were taken is not said: those stay unknown.
            if (status >= 200 && status < 300 && accepted === batch.length)
              this.options.ledger?.acknowledged(indices);
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
    for (let p = 0; p < this.queues.length; p++)
      if ((this.queues[p] as string[]).length > 0) this.markReady(p);
    if (this.inFlight === 0 && this.ready.length === 0 && this.queues.every((q) => q.length === 0))
      return Promise.resolve();
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
