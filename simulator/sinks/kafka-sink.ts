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
import type { DeliveryLedger } from '../delivery-ledger.ts';

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
  /**
   * Idempotent producers, each owning the partitions p with p mod producers = its index: one
   * request in flight each (what idempotence needs for ordering), so more producers keep more
   * requests in flight without reordering any partition.
   */
  readonly producers: number;
  /** Records what became of each event, for the audit. */
  readonly ledger?: DeliveryLedger;
}

/**
 * Defaults measured with `npm run bench:kafka-producer` (see the README's Kafka section):
 * batches of up to 5,000 records, 5 ms linger, two producers; no compression: GZIP (the only
 * codec kafkajs carries) speeds the producer alone but slows the whole path on 2 cores, where
 * the consumer's decompression competes with the flushes (p99 event-to-commit at 3,000
 * events/s 942 ms against 228-394 ms uncompressed).
 */
export const DEFAULT_KAFKA_SINK: Omit<
  KafkaSinkOptions,
  'kafka' | 'topic' | 'partitions' | 'ledger'
> = {
  lingerMs: 5,
  maxBatch: 5000,
  maxQueued: 200_000,
  compression: 'none',
  producers: 2,
};

const ERRORS_KEPT = 5;

export interface KafkaSinkStats extends SinkStats {
  /** Records the broker acknowledged, per Kafka partition (murmur2 of the key, as Kafka assigns). */
  readonly partitions: readonly number[];
}

/** One producer and its queue: sequential sends of up to maxBatch records. */
class ProducerLane {
  /** Queued records in send-sized chunks: taking a batch never copies the rest of the queue. */
  private readonly chunks: Message[][] = [];
  queued = 0;
  private sending = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly producer: Producer,
    private readonly options: KafkaSinkOptions,
    private readonly onSent: (batch: readonly Message[], error: Error | undefined) => void,
  ) {}

  push(message: Message): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.length >= this.options.maxBatch) {
      chunk = [];
      this.chunks.push(chunk);
    }
    chunk.push(message);
    this.queued++;
    if (chunk.length >= this.options.maxBatch) this.pump();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.options.lingerMs);
  }

  /** Sends the queued records now instead of after the linger. */
  sendNow(): void {
    if (this.queued > 0) this.pump();
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.sending) return;
    const batch = this.chunks.shift();
    if (batch === undefined) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    this.queued -= batch.length;
    this.sending = true;
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
          this.onSent(batch, undefined);
        },
        (error: unknown) => {
          this.onSent(batch, error as Error);
        },
      )
      .finally(() => {
        this.sending = false;
        this.pump();
      });
  }

  drain(): Promise<void> {
    if (!this.sending && this.queued === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.idle.push(resolve));
    this.pump();
    return done;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.producer.disconnect();
  }
}

/**
 * Produces events to Kafka: idempotent producers (one request in flight each, so retries
 * never reorder or duplicate), keyed by player id. The partition is Kafka's default
 * partitioner's choice (murmur2 of the key), computed here so the per-partition counts are
 * the ones Kafka holds and each partition goes through one producer; the harness's FNV-1a
 * partition only applies to the embedded transport. A failed send is counted, never retried
 * by the sink (the producer itself retries within its retry budget).
 */
export class KafkaSink implements EventSinkTarget {
  readonly name = 'kafka';
  private readonly lanes: ProducerLane[];
  private readonly partitionOfKey = new Map<string, number>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly metadata: PartitionMetadata[];
  private readonly perPartition: number[];
  private queued = 0;
  private delivered = 0;
  private failed = 0;
  private requests = 0;
  private readonly errors: string[] = [];
  /** Each message's index in the run, for the ledger. */
  private readonly indexOf = new WeakMap<Message, number>();

  private constructor(
    private readonly options: KafkaSinkOptions,
    producers: readonly Producer[],
  ) {
    this.metadata = Array.from({ length: options.partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    this.perPartition = new Array<number>(options.partitions).fill(0);
    this.lanes = producers.map(
      (producer) =>
        new ProducerLane(producer, options, (batch, error) => {
          this.requests++;
          this.queued -= batch.length;
          if (error === undefined) {
            this.delivered += batch.length;
            for (const m of batch) (this.perPartition[m.partition as number] as number)++;
            const ledger = options.ledger;
            if (ledger !== undefined)
              ledger.acknowledged(batch.map((m) => this.indexOf.get(m) as number));
          } else {
            this.failed += batch.length;
            if (this.errors.length < ERRORS_KEPT) this.errors.push(error.message);
          }
        }),
    );
  }

  /** Connects the producers and makes sure the topic exists with the expected partitions. */
  static async connect(options: KafkaSinkOptions): Promise<KafkaSink> {
    const admin = options.kafka.admin();
    await admin.connect();
    try {
      await ensureTopic(admin, options.topic, options.partitions);
    } finally {
      await admin.disconnect();
    }
    const producers = Array.from({ length: Math.max(1, options.producers) }, () =>
      options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
    await Promise.all(producers.map((p) => p.connect()));
    return new KafkaSink(options, producers);
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

  offer(event: PlayerEvent, _partition: number, index: number): boolean {
    if (this.queued >= this.options.maxQueued) return false;
    const partition = this.partitionFor(event.playerId);
    this.queued++;
    const message: Message = { key: event.playerId, value: encodeEvent(event), partition };
    if (this.options.ledger !== undefined) {
      this.indexOf.set(message, index);
      this.options.ledger.sent(index);
    }
    (this.lanes[partition % this.lanes.length] as ProducerLane).push(message);
    return true;
  }

  get batching(): { lingerMs: number; maxBatch: number } {
    return { lingerMs: this.options.lingerMs, maxBatch: this.options.maxBatch };
  }

  sendQueued(): void {
    for (const lane of this.lanes) lane.sendNow();
  }

  async drain(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.drain()));
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.close()));
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
