import type { Goal } from '../catalogue/goal-catalogue.ts';
import type { PartitionMetrics, FlushTrigger } from '../metrics/sut-metrics.ts';
import { FlushTicker, tickAfter } from './flush-ticker.ts';
import {
  StalePositionError,
  type BatchWriter,
  type DeadLetter,
  type FlushFence,
} from './batch-writer.ts';
import { PartitionBuffer, toIncrements, type DrainedEntries } from './partition-buffer.ts';
import type { ProgressIncrement } from '../model/progress-increment.ts';
import { PRODUCTION } from '../production-defaults.ts';
import { retryDelayMs } from './retry-delay.ts';
import type { PartitionHealthState } from './partition-health.ts';

/** How a partition buffers and flushes. Defaults: the production configuration (docs/production-system.md). */
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
  /**
   * Ceiling of the first retry delay after a failed flush; doubles per failure up to
   * retryMaxMs.
   */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /**
   * Share of each retry's ceiling taken off at random (0 to 1; production-like default 0.5:
   * a wait falls between half the ceiling and the ceiling), so partitions that failed
   * together do not retry together (retry-delay.ts).
   */
  readonly retryJitter: number;
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
  intervalMs: PRODUCTION.flushIntervalMs,
  bufferSize: PRODUCTION.bufferSize,
  backpressureFactor: 1.5,
  breakerFactor: 2.5,
  backpressureTimeoutMs: 5000,
  retryBaseMs: 100,
  retryMaxMs: 5000,
  retryJitter: 0.5,
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
  /** A committed flush set these increments aside (dead_letters): the log may forward them. */
  deadLettered?(partition: number, letters: readonly DeadLetter[]): void;
}

/** Why a partition is not flushing now, for /healthz. */
export interface FlushTrouble {
  readonly partition: number;
  /** Failed attempts in a row of the flush now pending. */
  readonly failures: number;
  readonly since: number;
  readonly error: string;
}

/**
 * A drained batch on its way to the database: kept, with its fence, until a write of it is
 * known to have committed. A retry sends this same batch and fence, never a new mix with what
 * arrived meanwhile: if the first attempt committed and only its reply was lost, the fence
 * makes the retry apply nothing, and nothing else rides on it.
 */
interface PendingFlush {
  readonly drained: DrainedEntries;
  readonly increments: readonly ProgressIncrement[];
  readonly fence: FlushFence;
  readonly epoch: number;
  /** When the buffer was drained into this batch: everything taken in before is in it. */
  readonly drainedAt: number;
  /** Whether part of a summed delta was carried back to the buffer (then not all is in it). */
  readonly carried: boolean;
}

/**
 * One partition's buffer and its flush worker: flushes every interval and at once at the
 * size limit, one flush at a time; a failed flush is retried as it was (same batch, same
 * fence) with exponential backoff, jittered, while new events buffer behind it; ingest waits above the
 * backpressure threshold and is refused above the circuit-breaker threshold.
 */
export class FlushWorker {
  readonly buffer = new PartitionBuffer();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private sizeTriggered = false;
  private roomWaiters: (() => void)[] = [];
  /** The next tick of this partition's interval grid (clock time, ms). */
  private nextTick = 0;
  private failures = 0;
  private troubleSince = 0;
  private lastError = '';
  /** See PartitionHealthState.waitingSince; undefined while nothing is unwritten. */
  private waitingSince: number | undefined;
  private flushStartedAt: number | undefined;
  /**
   * Every event this partition took in before this clock time is committed: the drain time
   * of the last batch that committed whole, or a moment the partition held nothing. What the
   * audit needs to attribute a crash's loss per key (harness_durable_through_timestamp_seconds).
   */
  durableThrough = 0;
  /** This partition's flush numbers (the HTTP fence); a retry keeps its number. */
  private seq = 0;
  private pending: PendingFlush | undefined;
  /** Bumped by discard(): a flush in flight from before must not come back as pending. */
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
    private readonly onDeadLetters: (
      partition: number,
      letters: readonly DeadLetter[],
    ) => void = () => undefined,
    /** Shared by the workers of one service, so partitions due on one tick wake it once. */
    private readonly ticker: FlushTicker = new FlushTicker(clock),
    /** Draws each retry's jitter; seeded in tests to make the spread reproducible. */
    private readonly random: () => number = Math.random,
  ) {
    this.backpressureAt = Math.ceil(config.bufferSize * config.backpressureFactor);
    this.breakerAt = Math.ceil(config.bufferSize * config.breakerFactor);
  }

  /**
   * Starts the worker; its interval flushes fall on the grid `origin + offsetMs + k * interval`
   * (k >= 1). Workers given one origin flush on the same ticks for as long as they run.
   */
  start(offsetMs = 0, origin = this.clock()): void {
    this.running = true;
    this.durableThrough = this.clock();
    this.nextTick = origin + offsetMs + this.config.intervalMs;
    this.loopDone = this.loop();
  }

  listenToLog(listener: LogFlushListener): void {
    this.logListener = listener;
  }

  /** Log transports: the buffer now covers the log below `nextOffset` (see PartitionBuffer). */
  advanceTo(nextOffset: number): void {
    this.buffer.advanceTo(nextOffset);
  }

  /** Increments (sum of deltas) not yet known written: the buffer's and a pending flush's. */
  get unwrittenUnits(): number {
    return this.buffer.units + (this.pending?.drained.units ?? 0);
  }

  /** Keys waiting to be written: the buffer's and a pending flush's. */
  get unwritten(): number {
    return this.buffer.size + (this.pending?.drained.size ?? 0);
  }

  /** Set while the flush now pending keeps failing: what /healthz reports. */
  get trouble(): FlushTrouble | undefined {
    return this.failures === 0
      ? undefined
      : {
          partition: this.partition,
          failures: this.failures,
          since: this.troubleSince,
          error: this.lastError,
        };
  }

  /** What /healthz reads of this partition. */
  healthState(): PartitionHealthState {
    return {
      partition: this.partition,
      unwrittenKeys: this.unwritten,
      waitingSince: this.unwritten === 0 ? undefined : this.waitingSince,
      flushStartedAt: this.flushStartedAt,
      failures: this.failures,
      failingSince: this.troubleSince,
      lastError: this.lastError,
      atBackpressure: this.needsRoom,
    };
  }

  /**
   * Drops everything buffered and pending (a revoked Kafka partition): safe because the
   * stored offsets cover only committed increments, so whoever owns the partition next reads
   * these events again. Returns the keys dropped.
   */
  discard(): number {
    this.epoch++;
    const dropped = this.buffer.drain().size + (this.pending?.drained.size ?? 0);
    this.pending = undefined;
    this.failures = 0;
    this.waitingSince = undefined;
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
    if (this.unwritten === 0) this.waitingSince = this.clock();
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
    return retryDelayMs(this.failures, this.config, this.random);
  }

  private nextTrigger(): Promise<FlushTrigger> {
    if (this.sizeTriggered && this.failures === 0) {
      this.sizeTriggered = false;
      return Promise.resolve('size');
    }
    if (this.failures > 0) return this.backoff();
    const now = this.clock();
    if (this.nextTick <= now) {
      // A flush outlasted its interval: one flush at once (a Go ticker keeps one tick
      // waiting), then back on the grid; the ticks in between are dropped.
      this.nextTick = tickAfter(this.nextTick, this.config.intervalMs, now);
      return Promise.resolve('interval');
    }
    return new Promise((resolve) => {
      const cancel = this.ticker.at(this.nextTick, () => {
        this.wake = undefined;
        this.nextTick += this.config.intervalMs;
        resolve('interval');
      });
      this.wake = () => {
        cancel();
        this.wake = undefined;
        if (this.sizeTriggered && this.running) {
          // The grid stays where it is: a size flush does not move the ticker.
          this.sizeTriggered = false;
          resolve('size');
        } else resolve('shutdown');
      };
    });
  }

  /** The wait before retrying a failed flush; the ticks it spans are dropped. */
  private backoff(): Promise<FlushTrigger> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        this.nextTick = tickAfter(this.nextTick, this.config.intervalMs, this.clock());
        resolve('interval');
      }, this.backoffMs());
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve('shutdown');
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

  /** The next batch to write: the pending one, or what the buffer holds now. */
  private nextFlush(): PendingFlush | undefined {
    if (this.pending !== undefined) return this.pending;
    if (!this.buffer.hasPending) return undefined;
    const drainedAt = this.clock();
    const drained = this.buffer.drain();
    this.metrics.bufferDepth.set(0);
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
    let carried = false;
    const increments = toIncrements(drained, (userId, namespace, goal, rest) => {
      carried = true;
      this.buffer.carry(userId, namespace, goal, rest);
    });
    this.metrics.bufferDepth.set(this.buffer.size);
    const fence: FlushFence =
      drained.nextOffset === undefined
        ? { kind: 'sequence', seq: ++this.seq }
        : { kind: 'log', nextOffset: drained.nextOffset };
    this.pending = { drained, increments, fence, epoch: this.epoch, drainedAt, carried };
    return this.pending;
  }

  /** One write of the pending batch (or of a new one); false if it failed and stays pending. */
  private async flushOnce(trigger: FlushTrigger): Promise<boolean> {
    const idleAt = this.clock();
    const flush = this.nextFlush();
    if (flush === undefined) {
      // Nothing taken in is unwritten: all of it is committed.
      this.durableThrough = Math.max(this.durableThrough, idleAt);
      return true;
    }
    if (this.failures > 0) this.metrics.flushRetries.inc();
    const started = performance.now();
    this.flushStartedAt = this.clock();
    try {
      const outcome = await this.writer.write(this.partition, flush.increments, flush.fence);
      // discard() ran while this flush was in flight: its partition belongs to another owner.
      if (flush.epoch !== this.epoch) return true;
      this.pending = undefined;
      if (!flush.carried) this.durableThrough = Math.max(this.durableThrough, flush.drainedAt);
      const committedAt = this.clock();
      // What is left (arrived meanwhile, or carried over) waits from this flush on.
      this.waitingSince = committedAt;
      const seconds = (performance.now() - started) / 1000;
      const size = flush.drained.size;
      this.metrics.flushDuration.observe(seconds);
      this.metrics.flushSize.observe(size);
      this.metrics.flushSizeMax.observe(size);
      this.metrics.flushDurationMax.observe(seconds);
      this.metrics.rowsUpdated.observe(outcome.rowsUpdated);
      // A retry that found its flush applied before cannot say what that first attempt matched.
      if (!outcome.alreadyApplied)
        this.metrics.matched(size - outcome.deadLetters.length, outcome.rowsUpdated);
      this.metrics.flushes[trigger].inc();
      this.metrics.eventsCommitted(committedAt, flush.drained.eventTimes);
      this.failures = 0;
      if (outcome.deadLetters.length > 0) {
        this.onDeadLetters(this.partition, outcome.deadLetters);
        this.logListener?.deadLettered?.(this.partition, outcome.deadLetters);
      }
      if (flush.fence.kind === 'log')
        this.logListener?.committed(this.partition, flush.fence.nextOffset);
      return true;
    } catch (error) {
      if (flush.epoch !== this.epoch) return true;
      if (error instanceof StalePositionError) {
        // Nothing was applied and the partition's events will be read again from the store.
        this.discard();
        this.metrics.flushErrors.inc();
        this.logListener?.stale(this.partition, error);
        return true;
      }
      this.metrics.flushErrors.inc();
      if (this.failures === 0) this.troubleSince = this.clock();
      this.failures++;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.onFlushError(this.partition, error);
      return false;
    } finally {
      this.flushStartedAt = undefined;
    }
  }

  /**
   * Stops the loop and writes what is left (the pending flush, then the buffer), retrying
   * with backoff until nothing is left or the shutdown timeout passes. Returns the keys it
   * could not write (0 when all went).
   */
  async stop(): Promise<number> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    const deadline = this.clock() + this.config.shutdownTimeoutMs;
    while (this.pending !== undefined || this.buffer.hasPending) {
      if (await this.flushOnce('shutdown')) continue;
      if (this.clock() >= deadline) return this.unwritten;
      await new Promise((r) => setTimeout(r, this.backoffMs()));
    }
    return 0;
  }
}
