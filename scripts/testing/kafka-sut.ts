import type { Kafka } from 'kafkajs';
import { PRODUCTION_FLUSH_CONFIG } from '../../sut/buffer/flush-worker.ts';
import type { GoalCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { startSut, type RunningSut } from '../../sut/service/sut-app.ts';
import type { HealthThresholds } from '../../sut/service/health-evaluation.ts';
import { kafkaTransport } from '../../sut/service/kafka-transport.ts';
import { loadVariant } from '../../sut/sql/variant-registry.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../../sut/db/harness-schema.ts';
import { DEFAULT_SIMULATION, simulate } from '../../simulator/simulation.ts';
import { DEFAULT_KAFKA_SINK, KafkaSink } from '../../simulator/sinks/kafka-sink.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

/** The service in this process, fed by a Kafka topic through a consumer group. */
export async function startKafkaSut(options: {
  readonly databaseUrl: string;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly group: string;
  readonly catalogue: GoalCatalogue;
  readonly onError?: (message: string) => void;
  readonly health?: Partial<HealthThresholds>;
}): Promise<RunningSut> {
  const transport = kafkaTransport({
    databaseUrl: options.databaseUrl,
    schema: DEFAULT_HARNESS_SCHEMA,
    variant: await loadVariant(PRODUCTION.variant),
    prepared: false,
    kafka: options.kafka,
    topic: options.topic,
    group: options.group,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  return startSut({
    host: '127.0.0.1',
    port: 0,
    partitions: PRODUCTION.partitions,
    variant: PRODUCTION.variant,
    flush: PRODUCTION_FLUSH_CONFIG,
    catalogue: options.catalogue,
    writer: transport.writer,
    source: transport.source,
    ...(options.health === undefined ? {} : { health: options.health }),
  });
}

/** The simulator into a Kafka topic at `rate` events/s for `seconds`, then drained and closed. */
export async function produceSimulated(options: {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly players: number;
  readonly seed: number;
  readonly rate: number;
  readonly seconds: number;
  readonly signal?: AbortSignal;
}): Promise<{ stats: RunStats; sink: KafkaSink }> {
  const sink = await KafkaSink.connect({
    ...DEFAULT_KAFKA_SINK,
    kafka: options.kafka,
    topic: options.topic,
    partitions: PRODUCTION.partitions,
  });
  const stats = await simulate(
    {
      ...DEFAULT_SIMULATION,
      players: options.players,
      seed: options.seed,
      // A run that falls behind (a broker restart) must queue, not drop: the test counts the topic.
      dropAfterMs: 60_000,
      executor: {
        executor: 'constant-arrival-rate',
        rate: options.rate,
        duration: `${options.seconds}s`,
      },
    },
    sink,
    options.signal === undefined ? {} : { signal: options.signal },
  );
  await sink.close();
  return { stats, sink };
}

/** A counter's value per partition label, from the service's registry. */
export async function perPartition(sut: RunningSut, metric: string): Promise<number[]> {
  const found = sut.metrics.registry.getSingleMetric(metric);
  if (found === undefined) throw new Error(`no metric ${metric}`);
  const out = new Array<number>(8).fill(0);
  for (const v of (await found.get()).values) {
    const p = Number(v.labels.partition);
    out[p] = (out[p] ?? 0) + v.value;
  }
  return out;
}
