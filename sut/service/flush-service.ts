import { GoalRouter } from '../catalogue/goal-router.ts';
import type { GoalCatalogue } from '../catalogue/goal-catalogue.ts';
import type { BatchWriter } from '../buffer/batch-writer.ts';
import { FlushTicker } from '../buffer/flush-ticker.ts';
import {
  BackpressureTimeoutError,
  FlushWorker,
  type FlushConfig,
  type LogFlushListener,
} from '../buffer/flush-worker.ts';
import type { PlayerEvent } from '../events/player-event.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import { partitionOf } from '../partitioning/fnv1a.ts';
import type { IngestPort, IngestResult, LogIngestPort } from '../sources/ingest-ports.ts';
import type { PartitionHealthState } from '../buffer/partition-health.ts';

/**
 * The event handler: routes each event to its partition's buffer as increments for the goals
 * it feeds, and runs one flush worker per partition.
 */
export class FlushService implements IngestPort, LogIngestPort {
  readonly workers: FlushWorker[];
  private readonly router: GoalRouter;
  private accepting = false;

  constructor(
    catalogue: GoalCatalogue,
    private readonly writer: BatchWriter,
    private readonly metrics: SutMetrics,
    readonly partitions: number,
    private readonly config: FlushConfig,
    onFlushError: (partition: number, error: unknown) => void = () => undefined,
  ) {
    this.router = new GoalRouter(catalogue);
    const ticker = new FlushTicker();
    this.workers = Array.from(
      { length: partitions },
      (_, p) =>
        new FlushWorker(
          p,
          writer,
          metrics.partition(p),
          config,
          onFlushError,
          Date.now,
          (_partition, letters) => {
            metrics.deadLettered('database_refused', letters.length);
          },
          ticker,
        ),
    );
  }

  /** Every partition's flushing state: what /healthz judges. */
  healthStates(): PartitionHealthState[] {
    return this.workers.map((w) => w.healthState());
  }

  start(): void {
    const { intervalMs, phase } = this.config;
    const origin = Date.now();
    for (const w of this.workers)
      w.start(
        phase === 'staggered' ? Math.round((w.partition * intervalMs) / this.partitions) : 0,
        origin,
      );
    this.accepting = true;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  async ingest(events: readonly PlayerEvent[], partition?: number): Promise<IngestResult> {
    if (partition === undefined) return this.ingestMixed(events);
    if (!(Number.isInteger(partition) && partition >= 0 && partition < this.partitions)) {
      throw new RangeError(
        `partition ${partition} does not exist; this service has partitions 0 to ${this.partitions - 1}`,
      );
    }
    return this.ingestInto(events, partition);
  }

  /**
   * A batch of events for any partitions (an HTTP request carries every partition's), split
   * by partition and each part folded in on its own: a partition waiting for room holds up
   * the folding of its own events only. The answer waits for every part; when the batch was
   * not taken whole it says what each partition's part took.
   */
  private async ingestMixed(events: readonly PlayerEvent[]): Promise<IngestResult> {
    const parts = new Map<number, PlayerEvent[]>();
    for (const event of events) {
      const p = partitionOf(event.playerId, this.partitions);
      const part = parts.get(p);
      if (part === undefined) parts.set(p, [event]);
      else part.push(event);
    }
    const [first] = parts;
    if (parts.size === 1 && first !== undefined) return this.ingestInto(first[1], first[0]);
    // Every part settles before the answer: none goes on adding events after it.
    const settled = await Promise.allSettled(
      [...parts].map(([p, part]) => this.ingestInto(part, p)),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const results = settled.map((s) => (s as PromiseFulfilledResult<IngestResult>).value);
    let accepted = 0;
    let rejected = 0;
    let error: string | undefined;
    for (const r of results) {
      accepted += r.accepted;
      rejected += r.rejected;
      error ??= r.error;
    }
    if (rejected === 0 && error === undefined) return { accepted, rejected };
    const byPartition = [...parts.keys()].map((partition, i) => ({
      partition,
      accepted: (results[i] as IngestResult).accepted,
      rejected: (results[i] as IngestResult).rejected,
    }));
    return error === undefined
      ? { accepted, rejected, parts: byPartition }
      : { accepted, rejected, error, parts: byPartition };
  }

  private async ingestInto(
    events: readonly PlayerEvent[],
    partition: number,
  ): Promise<IngestResult> {
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as PlayerEvent;
      if (!this.accepting) {
        this.metrics.rejected('shutting_down', events.length - i);
        return {
          accepted,
          rejected: rejected + events.length - i,
          error: 'the service is shutting down',
        };
      }
      const worker = this.workers[partition] as FlushWorker;
      if (worker.needsRoom) {
        try {
          await worker.waitForRoom();
        } catch (error) {
          if (!(error instanceof BackpressureTimeoutError)) throw error;
          this.metrics.rejected('backpressure_timeout', events.length - i);
          return { accepted, rejected: rejected + events.length - i, error: error.message };
        }
      }
      if (
        worker.tryAdd(
          event.playerId,
          event.namespace,
          this.router.goalsFor(event),
          event.delta,
          event.intendedAt,
        )
      )
        accepted++;
      else {
        rejected++;
        this.metrics.rejected('circuit_breaker');
      }
    }
    return { accepted, rejected };
  }

  /**
   * The log transport's ingest (Kafka): folds one event into `partition` and records that the
   * buffer now covers the log below `nextOffset` (`event` undefined: the record was
   * dead-lettered, only the position moves). Above the backpressure threshold it waits for
   * flushes as long as it takes while `keepWaiting()` holds, instead of rejecting: the log
   * keeps the events, so waiting loses nothing, and the circuit breaker is never reached.
   * Returns false when it gave up waiting or the service is stopping (nothing was added).
   */
  async appendFromLog(
    partition: number,
    event: PlayerEvent | undefined,
    nextOffset: number,
    keepWaiting: () => boolean,
  ): Promise<boolean> {
    const worker = this.workers[partition];
    if (worker === undefined)
      throw new RangeError(
        `Kafka partition ${partition} has no flush worker; this service has partitions 0 to ${this.partitions - 1}: start it with --partitions matching the topic`,
      );
    while (worker.needsRoom) {
      if (!this.accepting || !keepWaiting()) return false;
      try {
        await worker.waitForRoom();
      } catch (error) {
        if (!(error instanceof BackpressureTimeoutError)) throw error;
      }
    }
    if (!this.accepting || !keepWaiting()) return false;
    if (event !== undefined) {
      const added = worker.tryAdd(
        event.playerId,
        event.namespace,
        this.router.goalsFor(event),
        event.delta,
        event.intendedAt,
      );
      // Unreachable while the wait above holds the buffer under the backpressure threshold.
      if (!added)
        throw new Error(
          `partition ${partition}: the circuit breaker refused an event from the log; the Kafka source must wait below the backpressure threshold`,
        );
    }
    worker.advanceTo(nextOffset);
    return true;
  }

  /** Drops a revoked log partition's buffer (see FlushWorker.discard); returns keys dropped. */
  discardPartition(partition: number): number {
    return this.workers[partition]?.discard() ?? 0;
  }

  listenToLog(listener: LogFlushListener): void {
    for (const w of this.workers) w.listenToLog(listener);
  }

  /** Stops taking events, flushes every partition, closes the writer; returns keys left unwritten. */
  async stop(): Promise<number> {
    this.accepting = false;
    const left = await Promise.all(this.workers.map((w) => w.stop()));
    await this.writer.close();
    return left.reduce((a, b) => a + b, 0);
  }
}
