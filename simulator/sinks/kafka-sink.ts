import {
  CompressionTypes,
  Partitioners,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { encodeEvent } from '../../sut/kafka/event-codec.ts';
import { ensureTopic } from '../../sut/kafka/topic.ts';
import type { EventSinkTarget, SinkStats } from './event-sink.ts';

export const KAFKA_COMPRESSIONS = ['none', 'gzip'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

export interface KafkaSinkOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** The topic's partitions: created with this many when missing, refused when different. */
  readonly partitions: number;
  /** Send what is queued after this long (the producer's linger.ms). */
  readonly lingerMs: number;
  /** ...or as soon as this many records are queued: one produce request per send. */
  readonly maxBatch: number;
  /** Records queued at most; beyond, offer() says no and the event is dropped. */
  readonly maxQueued: number;
  readonly compression: KafkaCompression;
}

/**
 * Defaults measured with `npm run bench:kafka-producer` (see the README's Kafka section):
 * batches of up to 2,000 records, 5 ms linger; no compression, since GZIP (the only codec
 * kafkajs carries) costs more CPU in this process than it saves on a loopback broker.
 */
export const DEFAULT_KAFKA_SINK: Omit<KafkaSinkOptions, 'kafka' | 'topic' | 'partitions'> = {
  lingerMs: 5,
  maxBatch: 2000,
  maxQueued: 200_000,
  compression: 'none',
};

const ERRORS_KEPT = 5;

export interface KafkaSinkStats extends SinkStats {
  /** Records the broker acknowledged, per Kafka partition (murmur2 of the key, as Kafka assigns). */
  readonly partitions: readonly number[];
}

/**
 * Produces events to Kafka: an idempotent producer (one request in flight, so retries never
 * reorder or duplicate), keyed by player id. The partition is Kafka's default partitioner's
 * choice (murmur2 of the key), computed here so the per-partition counts are the ones Kafka
 * holds; the harness's FNV-1a partition only applies to the embedded transport. Sends are
 * sequential batches from a bounded queue; a failed send is counted, never retried by the
 * sink (the producer itself retries within its retry budget).
 */
export class KafkaSink implements EventSinkTarget {
  readonly name = 'kafka';
  private queue: Message[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private readonly idle: (() => void)[] = [];
  private readonly partitionOfKey = new Map<string, number>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly metadata: PartitionMetadata[];
  private readonly perPartition: number[];
  private delivered = 0;
  private failed = 0;
  private requests = 0;
  private readonly errors: string[] = [];

  private constructor(
    private readonly options: KafkaSinkOptions,
    private readonly producer: Producer,
  ) {
    this.metadata = Array.from({ length: options.partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    this.perPartition = new Array<number>(options.partitions).fill(0);
  }

  /** Connects the producer and makes sure the topic exists with the expected partitions. */
  static async connect(options: KafkaSinkOptions): Promise<KafkaSink> {
    const admin = options.kafka.admin();
    await admin.connect();
    try {
      await ensureTopic(admin, options.topic, options.partitions);
    } finally {
      await admin.disconnect();
    }
    const producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new KafkaSink(options, producer);
  }

  /** Kafka's partition for a player: murmur2 of the key modulo the partition count. */
  partitionFor(playerId: string): number {
    let partition = this.partitionOfKey.get(playerId);
    if (partition === undefined) {
      partition = this.partitioner({
        topic: this.options.topic,
        partitionMetadata: this.metadata,
        message: { key: playerId, value: null },
      });
      this.partitionOfKey.set(playerId, partition);
    }
    return partition;
  }

  offer(event: PlayerEvent, _partition: number): boolean {
    if (this.queue.length >= this.options.maxQueued) return false;
    this.queue.push({
      key: event.playerId,
      value: encodeEvent(event),
      partition: this.partitionFor(event.playerId),
    });
    if (this.queue.length >= this.options.maxBatch) this.pump();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.options.lingerMs);
    return true;
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.sending) return;
    if (this.queue.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    const batch =
      this.queue.length <= this.options.maxBatch
        ? this.queue
        : this.queue.slice(0, this.options.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
    this.sending = true;
    this.requests++;
    this.producer
      .send({
        topic: this.options.topic,
        messages: batch,
        acks: -1,
        compression:
          this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      })
      .then(
        () => {
          this.delivered += batch.length;
          for (const m of batch) (this.perPartition[m.partition as number] as number)++;
        },
        (error: unknown) => {
          this.failed += batch.length;
          if (this.errors.length < ERRORS_KEPT) this.errors.push((error as Error).message);
        },
      )
      .finally(() => {
        this.sending = false;
        this.pump();
      });
  }

  drain(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.idle.push(resolve));
    this.pump();
    return done;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.producer.disconnect();
  }

  stats(): KafkaSinkStats {
    return {
      delivered: this.delivered,
      rejected: 0,
      failed: this.failed,
      requests: this.requests,
      errors: [...this.errors],
      partitions: [...this.perPartition],
    };
  }
}
