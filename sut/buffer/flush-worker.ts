import type { Goal } from '../catalogue/goal-catalogue.ts';
import type { PartitionMetrics, FlushTrigger } from '../metrics/sut-metrics.ts';
import { StalePositionError, type BatchWriter } from './batch-writer.ts';
import { PartitionBuffer, toIncrements } from './partition-buffer.ts';

/** How a partition buffers and flushes. Defaults: the production configuration (CONTEXT.md). */
export interface FlushConfig {
  /** Flush every this many ms (production: 100). */
  readonly intervalMs: number;
  /** Flush at once when the buffer holds this many keys (production: 3,000). */
  readonly bufferSize: number;
  /** Ingest waits for a flush above bufferSize x this (production: 1.5). */
  readonly backpressureFactor: number;
  /** Events are rejected above bufferSize x this (production: 2.5). */
  readonly breakerFactor: number;
  /** How long ingest waits under backpressure before failing (production: 5 s). */
  readonly backpressureTimeoutMs: number;
  /** First retry delay after a failed flush; doubles per failure up to retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How long shutdown keeps retrying to flush what is left. */
  readonly shutdownTimeoutMs: number;
  /**
   * When the partitions' interval flushes fall: `aligned`, all partitions on the same tick
   * (workers started together, as the production service starts them); `staggered`, partition
   * p offset by p/partitions of the interval, which spreads the flushes over the interval so
   * the database sees one at a time instead of all at once.
   */
  readonly phase: FlushPhase;
}

export const FLUSH_PHASES = ['aligned', 'staggered'] as const;
export type FlushPhase = (typeof FLUSH_PHASES)[number];

export const PRODUCTION_FLUSH_CONFIG: FlushConfig = {
  intervalMs: 100,
  bufferSize: 3000,
  backpressureFactor: 1.5,
  breakerFactor: 2.5,
  backpressureTimeoutMs: 5000,
  retryBaseMs: 100,
  retryMaxMs: 5000,
  shutdownTimeoutMs: 30_000,
  phase: 'aligned',
};

export class BackpressureTimeoutError extends Error {
  override readonly name = 'BackpressureTimeoutError';
  constructor(
    readonly partition: number,
    threshold: number,
    timeoutMs: number,
  ) {
    super(
      `backpressure: partition ${partition}'s buffer stayed at or above ${threshold} keys for ${timeoutMs} ms; the database is not keeping up`,
    );
  }
}

/** What a log transport (Kafka) hears from a partition's flushes. */
export interface LogFlushListener {
  /** A flush that carried a position committed: the log may be acknowledged up to it. */
  committed(partition: number, nextOffset: number): void;
  /** The stored position had moved (another owner): the buffer was dropped, re-read from the store. */
  stale(partition: number, error: StalePositionError): void;
}

/**
 * One partition's buffer and its flush worker: flushes every interval and at once at the
 * size limit, one flush at a time; a failed flush merges its entries back and is retried
 * with exponential backoff; ingest waits above the backpressure threshold and is refused
 * above the circuit-breaker threshold.
 */
export class FlushWorker {
  readonly buffer = new PartitionBuffer();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private sizeTriggered = false;
  private roomWaiters: (() => void)[] = [];
  private lastFlushStart = 0;
  private failures = 0;
  private largestFlush = 0;
  private longestFlushSeconds = 0;
  /** Bumped by discard(): a flush in flight from before must not put its entries back. */
  private epoch = 0;
  private logListener: LogFlushListener | undefined;
  private readonly backpressureAt: number;
  private readonly breakerAt: number;

  constructor(
    readonly partition: number,
    private readonly writer: BatchWriter,
    private readonly metrics: PartitionMetrics,
    private readonly config: FlushConfig,
    private readonly onFlushError: (partition: number, error: unknown) => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {
    this.backpressureAt = Math.ceil(config.bufferSize * config.backpressureFactor);
    this.breakerAt = Math.ceil(config.bufferSize * config.breakerFactor);
  }

  /** Starts the worker; its first interval flush comes `offsetMs` after one interval. */
  start(offsetMs = 0): void {
    this.running = true;
    this.lastFlushStart = this.clock() + offsetMs;
    this.loopDone = this.loop();
  }

  listenToLog(listener: LogFlushListener): void {
    this.logListener = listener;
  }

  /** Log transports: the buffer now covers the log below `nextOffset` (see PartitionBuffer). */
  advanceTo(nextOffset: number): void {
    this.buffer.advanceTo(nextOffset);
  }

  /**
   * Drops everything buffered (a revoked Kafka partition): safe because the stored offsets
   * cover only committed increments, so whoever owns the partition next reads these events
   * again. Returns the keys dropped.
   */
  discard(): number {
    this.epoch++;
    const dropped = this.buffer.drain().size;
    this.failures = 0;
    this.metrics.bufferDepth.set(0);
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
    return dropped;
  }

  /** Whether ingest must wait for a flush before adding to this partition. */
  get needsRoom(): boolean {
    return this.buffer.size >= this.backpressureAt;
  }

  /** Waits until a flush drains the buffer; rejects with BackpressureTimeoutError after the timeout. */
  waitForRoom(): Promise<void> {
    this.metrics.backpressureWaits.inc();
    return new Promise((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.roomWaiters = this.roomWaiters.filter((w) => w !== waiter);
        reject(
          new BackpressureTimeoutError(
            this.partition,
            this.backpressureAt,
            this.config.backpressureTimeoutMs,
          ),
        );
      }, this.config.backpressureTimeoutMs);
      this.roomWaiters.push(waiter);
    });
  }

  /** Folds one event in; false when the circuit breaker refuses it. */
  tryAdd(
    userId: string,
    namespace: string,
    goals: readonly Goal[],
    delta: number,
    intendedAt: number,
  ): boolean {
    if (this.buffer.size >= this.breakerAt) {
      this.metrics.breakerRejections.inc();
      return false;
    }
    this.buffer.add(userId, namespace, goals, delta, intendedAt);
    this.metrics.eventsAccepted.inc();
    this.metrics.incrementsBuffered.inc(goals.length);
    this.metrics.bufferDepth.set(this.buffer.size);
    if (this.buffer.size >= this.config.bufferSize && !this.sizeTriggered) {
      this.sizeTriggered = true;
      if (this.failures === 0) this.wake?.();
    }
    return true;
  }

  private backoffMs(): number {
    return Math.min(this.config.retryMaxMs, this.config.retryBaseMs * 2 ** (this.failures - 1));
  }

  private nextTrigger(): Promise<FlushTrigger> {
    if (this.sizeTriggered && this.failures === 0) {
      this.sizeTriggered = false;
      return Promise.resolve('size');
    }
    const delay =
      this.failures > 0
        ? this.backoffMs()
        : Math.max(0, this.lastFlushStart + this.config.intervalMs - this.clock());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve('interval');
      }, delay);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        if (this.sizeTriggered && this.running) {
          this.sizeTriggered = false;
          resolve('size');
        } else resolve('shutdown');
      };
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const trigger = await this.nextTrigger();
      // stop() may have cleared `running` while this loop was waiting.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (!this.running) return;
      await this.flushOnce(trigger);
    }
  }

  /** One flush of everything buffered; false if it failed (its entries are back in the buffer). */
  private async flushOnce(trigger: FlushTrigger): Promise<boolean> {
    this.lastFlushStart = this.clock();
    if (!this.buffer.hasPending) return true;
    if (this.failures > 0) this.metrics.flushRetries.inc();
    const epoch = this.epoch;
    const drained = this.buffer.drain();
    this.metrics.bufferDepth.set(0);
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
    const started = performance.now();
    try {
      const position = drained.nextOffset;
      const { rowsUpdated } = await this.writer.write(
        this.partition,
        toIncrements(drained),
        position === undefined ? undefined : { nextOffset: position },
      );
      const committedAt = this.clock();
      const seconds = (performance.now() - started) / 1000;
      this.metrics.flushDuration.observe(seconds);
      this.metrics.flushSize.observe(drained.size);
      if (drained.size > this.largestFlush)
        this.metrics.flushSizeMax.set((this.largestFlush = drained.size));
      if (seconds > this.longestFlushSeconds)
        this.metrics.flushDurationMax.set((this.longestFlushSeconds = seconds));
      this.metrics.rowsUpdated.observe(rowsUpdated);
      this.metrics.matched(drained.size, rowsUpdated);
      this.metrics.flushes[trigger].inc();
      for (const t of drained.eventTimes)
        this.metrics.eventToCommit.observe(Math.max(0, committedAt - t) / 1000);
      this.failures = 0;
      if (position !== undefined) this.logListener?.committed(this.partition, position);
      return true;
    } catch (error) {
      if (error instanceof StalePositionError) {
        // Nothing was applied and the partition's events will be read again from the store.
        this.discard();
        this.metrics.flushErrors.inc();
        this.logListener?.stale(this.partition, error);
        return true;
      }
      // discard() ran while this flush was in flight: these entries belong to nobody now.
      if (epoch !== this.epoch) return true;
      this.buffer.mergeBack(drained);
      this.metrics.bufferDepth.set(this.buffer.size);
      this.metrics.flushErrors.inc();
      this.failures++;
      this.onFlushError(this.partition, error);
      return false;
    }
  }

  /**
   * Stops the loop and flushes what is left, retrying with backoff until the buffer is empty
   * or the shutdown timeout passes. Returns the keys it could not write (0 when all went).
   */
  async stop(): Promise<number> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    const deadline = this.clock() + this.config.shutdownTimeoutMs;
    while (this.buffer.hasPending) {
      if (await this.flushOnce('shutdown')) continue;
      if (this.clock() >= deadline) return this.buffer.size;
      await new Promise((r) => setTimeout(r, this.backoffMs()));
    }
    return 0;
  }
}
