// The simulator's Kafka producer alone, into the broker at KAFKA_BROKERS (npm run kafka:start):
//  1. the KafkaSink's ceiling: pre-generated events offered as fast as its queue takes them,
//     each compression (none, gzip), R repeats [target: >= 50,000 events/s];
//  2. the simulator driving it at 50,000 events/s for 20 s: achieved rate and drops;
//  3. Kafka's own kafka-producer-perf-test (org.apache.kafka.tools.ProducerPerformance from
//     the same Maven jars) on the same broker and topic, records of the same average size,
//     acks=all and idempotence like the sink, linger.ms=5; the ratio sink / perf-test.
// Run: npm run bench:kafka-producer [-- <events per measurement, default 500000> [repeats, default 2]]
import { spawnSync } from 'node:child_process';
import { DEFAULT_SIMULATION, prepareSimulation, simulate } from '../../simulator/simulation.ts';
import {
  DEFAULT_KAFKA_SINK,
  KafkaSink,
  type KafkaCompression,
} from '../../simulator/sinks/kafka-sink.ts';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { encodeEvent } from '../../sut/kafka/event-codec.ts';
import { createKafka } from '../../sut/kafka/kafka-client.ts';
import { ensureKafkaJars, KAFKA_VERSION } from '../kafka/kafka-broker.ts';
import { uniqueName } from '../testing/kafka-test-support.ts';
import { benchBrokers } from './bench-kafka-brokers.ts';
import { saveBenchResult } from './bench-results.ts';
import { formatFixed } from '../../lib/format.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

const EVENTS = Number(process.argv[2] ?? 500_000);
const REPEATS = Number(process.argv[3] ?? 2);
const SIM_RATE = 50_000;
const SIM_SECONDS = 20;

const brokers = await benchBrokers();
const kafka = createKafka(brokers, 'harness-bench-producer');
const figures: Record<string, number> = {};
const notes: string[] = [];

const { generator } = prepareSimulation({
  ...DEFAULT_SIMULATION,
  executor: { executor: 'constant-arrival-rate', rate: 1, duration: '1s' },
});
const now = Date.now();
const events: PlayerEvent[] = Array.from({ length: EVENTS }, (_, k) =>
  generator.eventAt(k, generator.playerAt(k), now),
);
const avgBytes = Math.round(
  events.slice(0, 10_000).reduce((sum, e) => sum + encodeEvent(e).length, 0) / 10_000,
);

/** Offers every event as fast as the sink's bounded queue takes them; returns acknowledged events/s. */
async function ceiling(topic: string, compression: KafkaCompression): Promise<number> {
  const sink = await KafkaSink.connect({
    ...DEFAULT_KAFKA_SINK,
    kafka,
    topic,
    partitions: PRODUCTION.partitions,
    compression,
  });
  const started = performance.now();
  for (let i = 0; i < events.length; i++) {
    while (!sink.offer(events[i] as PlayerEvent, 0, i)) await new Promise((r) => setTimeout(r, 1));
    // Let responses in between, as a generator with a schedule does.
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await sink.drain();
  const seconds = (performance.now() - started) / 1000;
  const stats = sink.stats();
  await sink.close();
  if (stats.failed > 0)
    throw new Error(`${stats.failed} events failed: ${stats.errors.join(' | ')}`);
  return stats.delivered / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const topic = uniqueName('bench-producer');
process.stdout.write(
  `Kafka producer benchmark: ${formatFixed(EVENTS)} events per measurement (avg ${avgBytes} bytes as JSON), broker ${brokers.join(',')}, topic ${topic}\n`,
);
for (const compression of ['none', 'gzip'] as const) {
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const rate = await ceiling(compression === 'none' ? topic : `${topic}-gzip`, compression);
    rates.push(rate);
    process.stdout.write(
      `  KafkaSink (${compression}) run ${r + 1}: ${formatFixed(rate)} events/s\n`,
    );
  }
  figures[`sink_${compression}_events_per_second`] = median(rates);
  process.stdout.write(
    `KafkaSink ceiling, compression ${compression}: median ${formatFixed(median(rates))} events/s over ${REPEATS} runs\n`,
  );
}

{
  const sink = await KafkaSink.connect({
    ...DEFAULT_KAFKA_SINK,
    kafka,
    topic,
    partitions: PRODUCTION.partitions,
  });
  const started = performance.now();
  const stats = await simulate(
    {
      ...DEFAULT_SIMULATION,
      executor: {
        executor: 'constant-arrival-rate',
        rate: SIM_RATE,
        duration: `${SIM_SECONDS}s`,
      },
    },
    sink,
  );
  await sink.drain();
  const acknowledgedRate = sink.stats().delivered / ((performance.now() - started) / 1000);
  await sink.close();
  const s = sink.stats();
  process.stdout.write(
    `simulator -> KafkaSink at ${formatFixed(SIM_RATE)} events/s for ${SIM_SECONDS} s: achieved ${formatFixed(stats.achievedRate)} events/s, acknowledged ${formatFixed(s.delivered)} (${formatFixed(acknowledgedRate)} events/s from the first send to the last acknowledgement), dropped ${formatFixed(stats.dropped)}, failed ${formatFixed(s.failed)}, schedule lag p99 ${formatFixed(stats.lag.p99Ms, 1)} ms\n`,
  );
  figures.simulator_achieved_events_per_second = stats.achievedRate;
  figures.simulator_acknowledged_events_per_second = acknowledgedRate;
  figures.simulator_dropped = stats.dropped;
}

const jars = await ensureKafkaJars();
const perfRates: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  const perf = spawnSync(
    'java',
    [
      '-Xmx512m',
      '-cp',
      `${jars}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(EVENTS),
      '--record-size',
      String(avgBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers.join(',')}`,
      'acks=all',
      'enable.idempotence=true',
      'linger.ms=5',
      'compression.type=none',
    ],
    { encoding: 'utf8' },
  );
  const last = perf.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => / records sent, /.test(l));
  const match = last === undefined ? null : /records sent, ([\d.]+) records\/sec/.exec(last);
  if (perf.status !== 0 || match === null)
    throw new Error(`kafka-producer-perf-test failed:\n${perf.stdout}${perf.stderr}`);
  perfRates.push(Number(match[1]));
  process.stdout.write(`  kafka-producer-perf-test run ${r + 1}: ${last}\n`);
}
const perfRate = median(perfRates);
const ours = figures.sink_none_events_per_second ?? 0;
figures.perf_test_records_per_second = perfRate;
figures.sink_over_perf_test = ours / perfRate;
process.stdout.write(
  `kafka-producer-perf-test (Kafka ${KAFKA_VERSION}, acks=all, idempotence, linger.ms=5, ${avgBytes}-byte records): median ${formatFixed(perfRate)} records/s over ${REPEATS} runs\n` +
    `KafkaSink (none) / kafka-producer-perf-test: ${formatFixed(ours)} / ${formatFixed(perfRate)} = ${formatFixed(ours / perfRate, 2)}\n` +
    `target: KafkaSink >= 50,000 events/s -> ${ours >= 50_000 ? 'met' : 'NOT met'}\n`,
);
notes.push(
  'KafkaSink: kafkajs 2.2.4, two idempotent producers (one request in flight each, partitions split between them), batches of up to 5,000 records, 5 ms linger, keyed by player id',
  `kafka-producer-perf-test: Java client defaults plus acks=all, enable.idempotence=true, linger.ms=5, compression none, ${avgBytes}-byte records`,
);
process.stdout.write(
  `${await saveBenchResult('kafka-producer', figures, notes, { events: EVENTS, repeats: REPEATS, brokers, avgBytes, kafkaVersion: KAFKA_VERSION })}\n`,
);
