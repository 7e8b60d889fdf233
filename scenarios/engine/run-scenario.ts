import type { FlushPhase } from '../../sut/buffer/flush-worker.ts';
import type { ProvisionedDatabase } from '../../scripts/db/provisioned-database.ts';
import type { Logger } from '../../scripts/lib/logger.ts';
import { startChildSut } from '../../scripts/lib/child-sut.ts';
import {
  histogramQuantile,
  parsePrometheusText,
  sampleDelta,
  sumOf,
  type PromSample,
} from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { parseDuration } from '../../simulator/duration.ts';
import {
  DEFAULT_SIMULATION,
  prepareSimulation,
  simulate,
  type ExecutorConfig,
} from '../../simulator/simulation.ts';
import { DEFAULT_HTTP_SINK, HttpSink } from '../../simulator/sinks/http-sink.ts';
import { DEFAULT_KAFKA_SINK, KafkaSink } from '../../simulator/sinks/kafka-sink.ts';
import type { EventSinkTarget } from '../../simulator/sinks/event-sink.ts';
import { createKafka } from '../../sut/kafka/kafka-client.ts';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../sut/db/seeder.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { dbCpuProbe } from './db-cpu.ts';
import { startPerSecondSampler } from './per-second-sampler.ts';
import {
  evaluate,
  metricReaders,
  parseThresholds,
  type MetricReader,
  type ThresholdOutcome,
} from './run-metrics.ts';
import type { HarnessMetric, ValidScenarioOptions } from './scenario-options.ts';

/** The harness keys of a scenario with every default filled in (the production configuration). */
export interface RunSettings {
  /** How events reach the service: `POST /events`, or a Kafka topic (KAFKA_BROKERS). */
  readonly transport: 'http' | 'kafka';
  readonly variant: string;
  readonly partitions: number;
  readonly flushIntervalMs: number;
  readonly flushPhase: FlushPhase;
  readonly bufferSize: number;
  readonly players: number;
  readonly goals: number;
  readonly seed: number;
  readonly dbCpuLimitPercent: number;
  readonly executor: ExecutorConfig;
  readonly scenarioName: string;
}

export function runSettings(options: ValidScenarioOptions): RunSettings {
  const [scenarioName, scenario] = Object.entries(options.scenarios)[0] as [
    string,
    ValidScenarioOptions['scenarios'][string],
  ];
  const h = options.harness ?? {};
  const executor: ExecutorConfig =
    scenario.executor === 'constant-arrival-rate'
      ? {
          executor: 'constant-arrival-rate',
          rate: scenario.rate,
          duration: scenario.duration,
          ...(scenario.timeUnit === undefined ? {} : { timeUnit: scenario.timeUnit }),
        }
      : {
          executor: 'ramping-arrival-rate',
          startRate: scenario.startRate ?? 0,
          stages: scenario.stages,
          ...(scenario.timeUnit === undefined ? {} : { timeUnit: scenario.timeUnit }),
        };
  return {
    transport: h.transport ?? 'http',
    variant: h.variant ?? 'join',
    partitions: h.partitions ?? 8,
    flushIntervalMs: h.flushIntervalMs ?? 100,
    flushPhase: h.flushPhase ?? 'aligned',
    bufferSize: h.bufferSize ?? 3000,
    players: h.players ?? 10_000,
    goals: h.goals ?? 50,
    seed: h.seed ?? 42,
    dbCpuLimitPercent: h.dbCpuLimitPercent ?? 70,
    executor,
    scenarioName,
  };
}

/**
 * Where the service writes: the run's schema and, for a user's table, that table, with leave
 * to change its rows (the run has just seeded it, with the user's leave or because it was empty).
 */
function childTableArgs(schema: string, table: TargetTable): string[] {
  return ['--schema', schema, ...(table.owned ? [] : ['--table', table.label, '--replace-rows'])];
}

/** One second of the run, from the difference between two scrapes of the service. */
export interface SeriesPoint {
  t: number;
  targetRate: number;
  eventsPerSecond: number;
  flushP95Ms: number | null;
  eventToCommitP99Ms: number | null;
  bufferDepth: number;
  errors: number;
}

export interface RunOutcome {
  readonly durationMs: number;
  readonly samples: PromSample[];
  readonly sim: RunStats;
  readonly readers: Record<HarnessMetric, MetricReader>;
  readonly thresholds: ThresholdOutcome[];
  readonly series: SeriesPoint[];
  readonly dbCpu: { percent: number } | { unavailable: string };
  readonly aborted: string | null;
}

/**
 * One scenario, end to end: seed, start the service as a child process, drive it with the
 * simulator over HTTP, sample its /metrics and the database's CPU every second (checking
 * abortOnFail thresholds as it goes), stop everything, and evaluate the thresholds.
 */
export async function runScenario(
  session: {
    client: pg.Client;
    database: ProvisionedDatabase;
    schema: string;
    table: TargetTable;
    kafkaBrokers?: readonly string[];
  },
  options: ValidScenarioOptions,
  settings: RunSettings,
  logger: Logger,
  signal: AbortSignal,
  hooks: {
    /** Where the service listens (0: a free port). */
    readonly sutPort?: number;
    /** Called as the table is seeded, before the service starts. */
    readonly onSeedProgress?: (rows: number, total: number) => void;
  } = {},
): Promise<RunOutcome> {
  const brokers = session.kafkaBrokers;
  if (settings.transport === 'kafka' && brokers === undefined)
    throw new Error('a Kafka scenario needs the brokers provisioned by the caller');
  // A topic and group of its own per run: a run never reads another run's events.
  const kafkaNames = `scenario-${settings.scenarioName}-${randomBytes(4).toString('hex')}`;
  const thresholds = parseThresholds(options, (d) => parseDuration(d, 'delayAbortEval'));
  const simulation = {
    ...DEFAULT_SIMULATION,
    players: settings.players,
    seed: settings.seed,
    partitions: settings.partitions,
    executor: settings.executor,
  };
  const prepared = prepareSimulation(simulation);
  await seedProgress(session.client, {
    players: settings.players,
    goalsPerPlayer: settings.goals,
    seed: settings.seed,
    shares: DEFAULT_SEED_SHARES,
    table: session.table,
    ...(hooks.onSeedProgress === undefined ? {} : { onProgress: hooks.onSeedProgress }),
  });
  const cpu = await dbCpuProbe(session.database.dataDir);
  const sut = await startChildSut(
    [
      '--skip-seed',
      ...childTableArgs(session.schema, session.table),
      '--variant',
      settings.variant,
      '--partitions',
      String(settings.partitions),
      '--flush-interval',
      String(settings.flushIntervalMs),
      '--flush-phase',
      settings.flushPhase,
      '--buffer-size',
      String(settings.bufferSize),
      ...(settings.transport === 'kafka'
        ? ['--source', 'kafka', '--topic', kafkaNames, '--group', kafkaNames, '--db', 'url']
        : []),
    ],
    {
      DATABASE_URL: session.database.url,
      ...(brokers === undefined ? {} : { KAFKA_BROKERS: brokers.join(',') }),
    },
    hooks.sutPort ?? 0,
  );
  logger.info(
    `service (variant ${settings.variant}) at ${sut.url}: Prometheus can scrape ${sut.url}/metrics while the scenario runs`,
  );
  const sink: EventSinkTarget =
    settings.transport === 'kafka'
      ? await KafkaSink.connect({
          ...DEFAULT_KAFKA_SINK,
          kafka: createKafka(brokers ?? [], `harness-run-${process.pid}`),
          topic: kafkaNames,
          partitions: settings.partitions,
        })
      : new HttpSink({
          ...DEFAULT_HTTP_SINK,
          url: sut.url,
          partitions: settings.partitions,
        });
  const series: RunOutcome['series'] = [];
  const cpuSamples: number[] = [];
  const abort = new AbortController();
  let aborted: string | null = null;
  const onOuterAbort = () => {
    aborted = 'interrupted';
    abort.abort();
  };
  signal.addEventListener('abort', onOuterAbort);
  const started = performance.now();
  let previous: PromSample[] = [];
  let sent = 0;
  const sampler = startPerSecondSampler({
    intervalMs: 1000,
    now: () => performance.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    scrape: async () => parsePrometheusText(await (await fetch(`${sut.url}/metrics`)).text()),
    onSample: async (samples, { second, seconds }) => {
      const window = sampleDelta(samples, previous);
      previous = samples;
      const t = second;
      const accepted = sumOf(window, 'harness_events_accepted_total') / seconds;
      const p95 = histogramQuantile(window, 'harness_flush_duration_seconds', 0.95) * 1000;
      const e2c = histogramQuantile(window, 'harness_event_to_commit_seconds', 0.99) * 1000;
      const point: SeriesPoint = {
        t,
        targetRate: prepared.plan.rateAt(t * 1000),
        eventsPerSecond: accepted,
        flushP95Ms: Number.isFinite(p95) ? p95 : null,
        eventToCommitP99Ms: Number.isFinite(e2c) ? e2c : null,
        bufferDepth: sumOf(samples, 'harness_buffer_depth'),
        errors:
          sumOf(samples, 'harness_flush_errors_total') +
          sumOf(samples, 'harness_events_rejected_total'),
      };
      series.push(point);
      if ('sample' in cpu) cpuSamples.push(await cpu.sample());
      logger.info(
        `${t} s | target ${prepared.plan.rateAt(t * 1000).toFixed(0)} ev/s, achieved ${accepted.toFixed(0)} ev/s | flush p95 ${point.flushP95Ms === null ? '-' : point.flushP95Ms.toFixed(1)} ms | buffer ${point.bufferDepth} | errors ${point.errors} | sent ${sent}`,
      );
      const meanCpu =
        cpuSamples.length === 0
          ? undefined
          : cpuSamples.reduce((a, b) => a + b, 0) / cpuSamples.length;
      const elapsed = (performance.now() - started) / 1000;
      const failing = evaluate(
        thresholds.filter((th) => th.abortOnFail && elapsed * 1000 >= th.delayAbortEvalMs),
        metricReaders(samples, undefined, elapsed, meanCpu),
      ).filter((o) => !o.ok);
      if (failing.length > 0 && aborted === null) {
        aborted = `threshold ${failing[0]?.metric ?? ''} ${failing[0]?.expression ?? ''} failed with abortOnFail at ${t} s`;
        logger.warn(aborted);
        abort.abort();
      }
    },
    onError: (error: unknown) => {
      logger.warn(`sampling /metrics failed: ${(error as Error).message}`);
    },
  });
  let sim: RunStats;
  try {
    sim = await simulate(simulation, sink, {
      prepared,
      signal: abort.signal,
      onProgress: (p) => (sent = p.sent),
    });
    await sink.close();
  } finally {
    signal.removeEventListener('abort', onOuterAbort);
    await sampler.stop();
  }
  // The service flushes what it holds on SIGTERM; its last figures are read just before.
  await new Promise((r) => setTimeout(r, settings.flushIntervalMs * 3));
  const samples = parsePrometheusText(await (await fetch(`${sut.url}/metrics`)).text());
  if ('sample' in cpu) cpuSamples.push(await cpu.sample());
  const code = await sut.stop();
  if (code !== 0) throw new Error(`the service exited with ${String(code)} on SIGTERM`);
  const durationMs = performance.now() - started;
  const dbCpu =
    'sample' in cpu
      ? { percent: cpuSamples.reduce((a, b) => a + b, 0) / Math.max(cpuSamples.length, 1) }
      : { unavailable: cpu.unavailable };
  const readers = metricReaders(
    samples,
    sim,
    durationMs / 1000,
    'percent' in dbCpu ? dbCpu.percent : undefined,
  );
  return {
    durationMs,
    samples,
    sim,
    readers,
    thresholds: evaluate(thresholds, readers),
    series,
    dbCpu,
    aborted,
  };
}
