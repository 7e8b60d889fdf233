// The service end to end through Kafka on one machine: the broker at KAFKA_BROKERS
// (npm run kafka:start), embedded PostgreSQL (full durability), `harness sut --source kafka`
// (join) in its own process, the simulator with the Kafka sink in this one.
// Seeded with 10,000 players x 50 goals; a 10 s warm-up at the measured rate first.
//  1. 3,000 events/s (six times production) for D seconds [sustained, lag bounded,
//     p99 event-to-commit < 1 s]; consumer lag sampled every second = records in the topic
//     beyond the offsets PostgreSQL has committed, summed over partitions;
//  2. the highest rate it sustains: steps of 1,000 events/s from 4,000, 20 s each, same
//     criteria (achieved within 1 %, nothing dropped, p99 < 1 s, lag back under 1 s of events
//     when the step ends).
// Run: npm run bench:kafka-e2e [-- <seconds, default 60> [--only-rate] [--gzip]]
import type pg from 'pg';
import { startChildSut, type ChildSut } from '../../sut/service/child-sut.ts';
import { uniqueName } from '../testing/kafka-test-support.ts';
import {
  histogramQuantile,
  parsePrometheusText,
  sampleDelta,
  type PromSample,
} from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { DEFAULT_SIMULATION, simulate } from '../../simulator/simulation.ts';
import { DEFAULT_KAFKA_SINK, KafkaSink } from '../../simulator/sinks/kafka-sink.ts';
import { createKafka } from '../../sut/kafka/kafka-client.ts';
import { benchBrokers } from './bench-kafka-brokers.ts';
import { startBenchDatabase } from './bench-database.ts';
import { saveBenchResult } from './bench-results.ts';
import { formatFixed } from '../../lib/format.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';

const SECONDS = Number(process.argv[2] ?? 60);
const ONLY_RATE = process.argv.includes('--only-rate');
const COMPRESSION = process.argv.includes('--gzip') ? 'gzip' : DEFAULT_KAFKA_SINK.compression;
const RATE = 3000;
const WARMUP_SECONDS = 10;

const brokers = await benchBrokers();
const kafka = createKafka(brokers, 'harness-bench-e2e');
const admin = kafka.admin();
await admin.connect();
const bench = await startBenchDatabase();
const { database, client, env } = bench;
await bench.seed();
const topic = uniqueName('bench-e2e');
const group = uniqueName('bench-e2e');
const figures: Record<string, number> = {};
const notes: string[] = [];

/** Records in the topic that PostgreSQL has not committed yet, over all partitions. */
async function lag(db: pg.ClientBase): Promise<number> {
  const [ends, stored] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    db.query<{ partition: number; next_offset: string | null }>(
      'SELECT partition, next_offset FROM kafka_offsets WHERE consumer_group = $1 AND topic = $2',
      [group, topic],
    ),
  ]);
  const at = new Map(stored.rows.map((r) => [r.partition, Number(r.next_offset ?? 0)]));
  return ends.reduce((sum, o) => sum + Math.max(0, Number(o.high) - (at.get(o.partition) ?? 0)), 0);
}

async function scrape(url: string): Promise<PromSample[]> {
  return parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
}

async function drive(
  sut: ChildSut,
  sink: KafkaSink,
  rate: number,
  seconds: number,
): Promise<{ stats: RunStats; p99Ms: number; p50Ms: number; maxLag: number; endLag: number }> {
  const before = await scrape(sut.url);
  let maxLag = 0;
  const sampler = setInterval(() => {
    void lag(client).then((l) => (maxLag = Math.max(maxLag, l)));
  }, 1000);
  const stats = await simulate(
    {
      ...DEFAULT_SIMULATION,
      executor: { executor: 'constant-arrival-rate', rate, duration: `${seconds}s` },
    },
    sink,
  );
  await sink.drain();
  clearInterval(sampler);
  // What the service has not committed 1 s after the producer stopped.
  await new Promise((r) => setTimeout(r, 1000));
  const endLag = await lag(client);
  const metrics = sampleDelta(await scrape(sut.url), before);
  return {
    stats,
    p99Ms: histogramQuantile(metrics, METRIC_NAMES.eventToCommitSeconds, 0.99) * 1000,
    p50Ms: histogramQuantile(metrics, METRIC_NAMES.eventToCommitSeconds, 0.5) * 1000,
    maxLag: Math.max(maxLag, endLag),
    endLag,
  };
}

async function waitForCatchUp(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await lag(client)) > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 250));
}

const sut = await startChildSut(
  [
    '--source',
    'kafka',
    '--topic',
    topic,
    '--group',
    group,
    '--variant',
    PRODUCTION.variant,
    '--db',
    'url',
    '--skip-seed',
  ],
  { DATABASE_URL: database.url, KAFKA_BROKERS: brokers.join(','), HARNESS_LOG_LEVEL: 'error' },
);
const sink = await KafkaSink.connect({
  ...DEFAULT_KAFKA_SINK,
  kafka,
  topic,
  partitions: PRODUCTION.partitions,
  compression: COMPRESSION,
});
try {
  await drive(sut, sink, RATE, WARMUP_SECONDS);
  await waitForCatchUp(30_000);
  const run = await drive(sut, sink, RATE, SECONDS);
  const sustained =
    run.stats.achievedRate >= RATE * 0.99 && run.stats.dropped === 0 && run.p99Ms < 1000;
  process.stdout.write(
    `join through Kafka (compression ${COMPRESSION}) at ${formatFixed(RATE)} ev/s for ${SECONDS} s: achieved ${formatFixed(run.stats.achievedRate)} ev/s, dropped ${formatFixed(run.stats.dropped)}, ` +
      `max consumer lag ${formatFixed(run.maxLag)} events (${formatFixed(run.endLag)} left 1 s after the last send), event-to-commit p50 ${formatFixed(run.p50Ms, 1)} ms p99 ${formatFixed(run.p99Ms, 1)} ms\n` +
      `target: >= 3,000 ev/s for 60 s, lag bounded, p99 event-to-commit < 1 s -> ${sustained && SECONDS >= 60 ? 'met' : 'NOT met'}\n`,
  );
  Object.assign(figures, {
    rate3000_achieved_events_per_second: run.stats.achievedRate,
    rate3000_dropped: run.stats.dropped,
    rate3000_max_lag_events: run.maxLag,
    rate3000_event_to_commit_p99_ms: run.p99Ms,
    rate3000_event_to_commit_p50_ms: run.p50Ms,
  });
  if (!ONLY_RATE) {
    let highest = sustained ? RATE : 0;
    for (let rate = 4000; rate <= 12_000; rate += 1000) {
      await waitForCatchUp(30_000);
      const step = await drive(sut, sink, rate, 20);
      const ok =
        step.stats.achievedRate >= rate * 0.99 &&
        step.stats.dropped === 0 &&
        step.p99Ms < 1000 &&
        step.endLag < rate;
      process.stdout.write(
        `  ${formatFixed(rate)} ev/s for 20 s: achieved ${formatFixed(step.stats.achievedRate)} ev/s, dropped ${formatFixed(step.stats.dropped)}, max lag ${formatFixed(step.maxLag)}, end lag ${formatFixed(step.endLag)}, p99 ${formatFixed(step.p99Ms, 1)} ms -> ${ok ? 'sustained' : 'not sustained'}\n`,
      );
      if (!ok) break;
      highest = rate;
    }
    process.stdout.write(
      `highest rate sustained through Kafka (steps of 1,000 ev/s): ${formatFixed(highest)} ev/s\n`,
    );
    figures.highest_sustained_events_per_second = highest;
  }
  notes.push(
    'one 2-core machine: broker, embedded PostgreSQL, harness sut --source kafka (join) and the simulator together',
    'lag: records in the topic beyond the offsets PostgreSQL committed, summed over the 8 partitions, sampled each second',
  );
} finally {
  await sink.close();
  await sut.stop();
  await admin.disconnect();
  await bench.stop();
}
process.stdout.write(
  `${await saveBenchResult('kafka-e2e', figures, notes, { seconds: SECONDS, rate: RATE, brokers, variant: PRODUCTION.variant, compression: COMPRESSION }, env)}\n`,
);
