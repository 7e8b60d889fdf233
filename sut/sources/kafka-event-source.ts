import {
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import type pg from 'pg';
import type { DeadLetter, StalePositionError } from '../buffer/batch-writer.ts';
import { decodeRecord } from '../kafka/event-codec.ts';
import { deadLetterTopicOf, ensureTopic } from '../kafka/topic.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import type { OffsetStore } from '../repository/offset-store.ts';
import type { IngestPort, LogIngestPort } from './ingest-ports.ts';
import type { EventSource } from './event-source.ts';
import type { ConsumerHealthState } from './consumer-health.ts';

export interface KafkaSourceOptions {
  readonly kafka: Kafka;
  /** The offsets kept in PostgreSQL; its scope names the consumer group and the topic. */
  readonly offsets: OffsetStore;
  /**
   * Opens a connection of its own for claiming partitions (never one a flush transaction
   * uses). Called again whenever the last one failed: a database restart costs a reconnect.
   */
  readonly connect: () => Promise<pg.Client>;
  readonly metrics: SutMetrics;
  /** Acknowledge the PostgreSQL-committed offsets to Kafka at most this often (ms). */
  readonly commitIntervalMs?: number;
  readonly onError?: (message: string) => void;
}

/** Where one assigned partition stands in this process. */
interface PartitionState {
  /** The next offset to apply; records below it are already in PostgreSQL or in the buffer. */
  nextOffset: number;
  /**
   * After a seek: records the consumer fetched before the seek may still arrive; nothing is
   * applied until the record at `nextOffset` itself shows up.
   */
  resyncing: boolean;
}

const HEARTBEAT_MS = 1000;
const JOIN_TIMEOUT_MS = 60_000;

/**
 * The Kafka transport: a consumer group on an N-partition topic, Kafka partition p feeding
 * the service's partition p. Exactly-once increments (KAFKA.md): each flush writes the
 * offsets it covers into PostgreSQL in the same transaction as the UPDATE; on assignment a
 * partition is claimed from PostgreSQL and the consumer seeks there; Kafka's own committed
 * offsets trail PostgreSQL's and only save re-reading.
 */
export class KafkaEventSource implements EventSource {
  readonly name = 'kafka';
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private sink: (IngestPort & LogIngestPort) | undefined;
  private claimClient: pg.Client | undefined;
  private readonly states = new Map<number, PartitionState>();
  private readonly claiming = new Map<number, Promise<PartitionState>>();
  private assigned = new Set<number>();
  private stopping = false;
  private readonly toAcknowledge = new Map<number, number>();
  private acknowledgeTimer: NodeJS.Timeout | undefined;
  private acknowledging: Promise<void> = Promise.resolve();
  private readonly inBatch = new Set<Promise<void>>();
  /** Claims share one connection, and a pg client runs one query at a time: queue them. */
  private claimQueue: Promise<unknown> = Promise.resolve();

  private readonly topic: string;
  private lastFetchAt = Date.now();
  /** A fetch went out (or the consumer crashed) after the last one answered: the lag is unknown. */
  private fetchUnanswered = false;
  /** Per partition: records between what was applied and the log's end at the last fetch. */
  private readonly lag = new Map<number, number>();

  constructor(private readonly options: KafkaSourceOptions) {
    this.topic = options.offsets.scope.topic;
    this.consumer = options.kafka.consumer({
      groupId: options.offsets.scope.group,
      // Short fetch waits keep event-to-commit low at modest rates.
      maxWaitTimeInMs: 100,
      // A member that died (SIGKILL) holds its partitions until its session expires.
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 30_000,
    });
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = options.kafka.admin();
  }

  private report(message: string): void {
    this.options.onError?.(message);
  }

  /** The claim connection, opened again after one failed. */
  private async claimConnection(): Promise<pg.Client> {
    if (this.claimClient !== undefined) return this.claimClient;
    const client = await this.options.connect();
    // An idle connection hears the server go away too: forget it, the next claim reconnects.
    client.on('error', (error) => {
      if (this.claimClient === client) this.claimClient = undefined;
      this.report(`the claim connection was lost: ${error.message}`);
    });
    this.claimClient = client;
    return client;
  }

  async start(sink: IngestPort & LogIngestPort): Promise<void> {
    this.sink = sink;
    const topic = this.topic;
    await this.claimConnection();
    await this.admin.connect();
    await ensureTopic(this.admin, topic, sink.partitions);
    await ensureTopic(this.admin, deadLetterTopicOf(topic), sink.partitions);
    await this.producer.connect();
    sink.listenToLog({
      committed: (partition, nextOffset) => {
        this.acknowledgeLater(partition, nextOffset);
      },
      stale: (partition, error) => {
        this.onStale(partition, error);
      },
      deadLettered: (partition, letters) => {
        this.forwardDeadLetters(partition, letters);
      },
    });
    let joined: () => void = () => undefined;
    const firstJoin = new Promise<void>((resolve) => (joined = resolve));
    this.consumer.on(this.consumer.events.FETCH_START, () => {
      this.fetchUnanswered = true;
    });
    this.consumer.on(this.consumer.events.FETCH, () => {
      this.lastFetchAt = Date.now();
      this.fetchUnanswered = false;
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.lastFetchAt = Date.now();
      this.onAssignment(event.payload.memberAssignment[topic] ?? []);
      joined();
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.fetchUnanswered = true;
      // kafkajs restarts the consumer after retriable errors; a crash without restart leaves
      // the partitions unconsumed, so it must be seen.
      this.report(
        `Kafka consumer crashed (${event.payload.restart ? 'restarting' : 'NOT restarting'}): ${event.payload.error.message}`,
      );
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: sink.partitions,
      eachBatch: (payload) => this.track(this.eachBatch(payload)),
    });
    // `run` returns before the group is joined: wait, so a started service is a consuming one.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      firstJoin,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new Error(
              `consumer group ${this.options.offsets.scope.group} not joined within ${JOIN_TIMEOUT_MS} ms`,
            ),
          );
        }, JOIN_TIMEOUT_MS);
      }),
    ]).finally(() => {
      clearTimeout(timer);
    });
    this.acknowledgeTimer = setInterval(() => {
      this.acknowledging = this.acknowledging.then(() => this.acknowledge());
    }, this.options.commitIntervalMs ?? 1000);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inBatch.add(work);
    return work.finally(() => this.inBatch.delete(work));
  }

  /**
   * A new assignment: partitions no longer ours drop their buffers (the stored offsets cover
   * only committed increments, so the next owner reads those events again); new ones are
   * claimed from PostgreSQL on their first batch.
   */
  private onAssignment(partitions: readonly number[]): void {
    const next = new Set(partitions);
    for (const p of this.assigned) {
      if (next.has(p)) continue;
      this.states.delete(p);
      this.claiming.delete(p);
      this.toAcknowledge.delete(p);
      this.options.offsets.release(p);
      this.sink?.discardPartition(p);
    }
    this.assigned = next;
  }

  /** A flush found the stored offset moved: claim the partition again and seek to it. */
  private onStale(partition: number, error: StalePositionError): void {
    this.options.metrics.staleFlush(partition);
    this.report(`${error.message}; re-reading the partition from PostgreSQL's offset`);
    this.states.delete(partition);
    this.claiming.delete(partition);
    if (!this.assigned.has(partition) || this.stopping) return;
    this.claim(partition).catch((claimError: unknown) => {
      this.report(`claiming partition ${partition} failed: ${(claimError as Error).message}`);
    });
  }

  private claim(partition: number): Promise<PartitionState> {
    let pending = this.claiming.get(partition);
    if (pending === undefined) {
      pending = this.readClaim(partition);
      this.claiming.set(partition, pending);
      pending.catch(() => this.claiming.delete(partition));
    }
    return pending;
  }

  private readClaim(partition: number): Promise<PartitionState> {
    const claimed = this.claimQueue.then(() => this.claimNow(partition));
    this.claimQueue = claimed.catch(() => undefined);
    return claimed;
  }

  private async claimNow(partition: number): Promise<PartitionState> {
    let stored: number | null;
    for (let attempt = 1; ; attempt++) {
      try {
        stored = await this.options.offsets.claim(await this.claimConnection(), partition);
        break;
      } catch (error) {
        // The database is away (a restart, an outage): the partition waits for it, the
        // records wait in the log, nothing is lost. Given up only when the source stops.
        const client = this.claimClient;
        this.claimClient = undefined;
        client?.end().catch(() => undefined);
        if (this.stopping || !this.assigned.has(partition)) throw error;
        if (attempt === 1 || attempt % 10 === 0)
          this.report(
            `claiming partition ${partition} failed (attempt ${attempt}), retrying: ${(error as Error).message}`,
          );
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
    const start = stored ?? (await this.logStart(partition));
    const state: PartitionState = { nextOffset: start, resyncing: true };
    this.consumer.seek({ topic: this.topic, partition, offset: String(start) });
    this.states.set(partition, state);
    return state;
  }

  private async logStart(partition: number): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    const found = offsets.find((o) => o.partition === partition);
    if (found === undefined) throw new Error(`topic ${this.topic} has no partition ${partition}`);
    return Number(found.low);
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const sink = this.sink;
    if (sink === undefined || this.stopping) return;
    const partition = batch.partition;
    const logEnd = Number(batch.highWatermark);
    this.lag.set(partition, logEnd - Number(batch.firstOffset() ?? logEnd));
    const beatState = { failed: false };
    // Heartbeats from the start: a claim waits for the database as long as it is away, and
    // the group must not take the partition away meanwhile.
    const beat = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => {
        // Usually a rebalance: stop so the consumer can rejoin; what was applied stays.
        beatState.failed = true;
        this.report(`heartbeat failed on partition ${partition}: ${(error as Error).message}`);
      });
    }, HEARTBEAT_MS);
    try {
      const state = this.states.get(partition) ?? (await this.claim(partition));
      const live = () =>
        !this.stopping &&
        !beatState.failed &&
        payload.isRunning() &&
        !payload.isStale() &&
        this.states.get(partition) === state;
      for (const message of batch.messages) {
        if (!live()) return;
        const offset = Number(message.offset);
        if (offset < state.nextOffset) {
          payload.resolveOffset(message.offset);
          continue;
        }
        // Fetched before a seek: the seek will fetch again from nextOffset.
        if (offset > state.nextOffset && state.resyncing) return;
        state.resyncing = false;
        this.options.metrics.received(1);
        const decoded = decodeRecord(message.value, Date.now());
        if (!decoded.ok) {
          await this.deadLetter(partition, message, decoded.reason, decoded.problem);
          this.options.metrics.deadLettered(decoded.reason);
        }
        const appended = await sink.appendFromLog(
          partition,
          decoded.ok ? decoded.event : undefined,
          offset + 1,
          live,
        );
        if (!appended) return;
        state.nextOffset = offset + 1;
        payload.resolveOffset(message.offset);
      }
    } finally {
      clearInterval(beat);
      const applied = this.states.get(partition)?.nextOffset;
      if (applied !== undefined) this.lag.set(partition, Math.max(0, logEnd - applied));
    }
  }

  consumerHealth(): ConsumerHealthState {
    let lag = 0;
    for (const [partition, n] of this.lag) if (this.assigned.has(partition)) lag += n;
    return { lastFetchAt: this.lastFetchAt, lag: this.fetchUnanswered ? undefined : lag };
  }

  /**
   * Increments the database refused are already in dead_letters, committed with the offsets
   * that passed them; the dead-letter topic gets them too, for whoever watches it. Sent after
   * the commit, so a crash in between leaves them in the table only (said in KAFKA.md).
   */
  private forwardDeadLetters(partition: number, letters: readonly DeadLetter[]): void {
    this.producer
      .send({
        topic: deadLetterTopicOf(this.topic),
        messages: letters.map((d) => ({
          key: d.increment.userId,
          value: JSON.stringify(d.increment),
          headers: {
            'dlq-reason': 'database_refused',
            'dlq-problem': d.problem,
            'dlq-source': `${this.topic}/${partition}/flush`,
            ...(d.sqlstate === undefined ? {} : { 'dlq-sqlstate': d.sqlstate }),
          },
        })),
      })
      .catch((error: unknown) => {
        this.report(
          `forwarding ${letters.length} dead letters of partition ${partition} to ${deadLetterTopicOf(this.topic)} failed (they are in dead_letters): ${(error as Error).message}`,
        );
      });
  }

  private async deadLetter(
    partition: number,
    message: EachBatchPayload['batch']['messages'][number],
    reason: string,
    problem: string,
  ): Promise<void> {
    await this.producer.send({
      topic: deadLetterTopicOf(this.topic),
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            'dlq-reason': reason,
            'dlq-problem': problem,
            'dlq-source': `${this.topic}/${partition}/${message.offset}`,
          },
        },
      ],
    });
  }

  private acknowledgeLater(partition: number, nextOffset: number): void {
    if (!this.assigned.has(partition)) return;
    this.toAcknowledge.set(partition, nextOffset);
  }

  /** Kafka's committed offsets: only ever what PostgreSQL already committed. */
  private async acknowledge(): Promise<void> {
    if (this.toAcknowledge.size === 0) return;
    const topicPartitions = [...this.toAcknowledge].map(([partition, offset]) => ({
      topic: this.topic,
      partition,
      offset: String(offset),
    }));
    this.toAcknowledge.clear();
    try {
      await this.consumer.commitOffsets(topicPartitions);
    } catch (error) {
      this.options.metrics.kafkaCommitFailed();
      this.report(
        `committing offsets to Kafka failed (PostgreSQL has them): ${(error as Error).message}`,
      );
    }
  }

  /** Stops taking records: batches in progress return without applying more. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      this.consumer.pause([{ topic: this.topic }]);
    } catch (error) {
      // Between a consumer's crash (a broker restart) and kafkajs's restart of it there is no
      // group to pause: nothing is fetching then, and a batch fetched after the restart
      // returns at once, as `stopping` says. Any other refusal is a real failure.
      if (!/Consumer group was not initialized/.test((error as Error).message)) throw error;
    }
    await Promise.all([...this.inBatch]);
  }

  /** After the final flushes: acknowledge them to Kafka, leave the group, disconnect. */
  async close(): Promise<void> {
    if (this.acknowledgeTimer !== undefined) clearInterval(this.acknowledgeTimer);
    await this.acknowledging;
    await this.acknowledge();
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.admin.disconnect();
    await this.claimClient?.end();
  }
}
