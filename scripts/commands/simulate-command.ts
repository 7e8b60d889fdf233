import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { readGitInfo } from '../../results/git-info.ts';
import { RUNS_DIR, runFileName, saveResult } from '../../results/run-store.ts';
import { SCHEMA_VERSION, simulateResultSchema } from '../../results/schema/result-schema.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { DEFAULT_MIX_WEIGHTS, parseMix } from '../../simulator/event-mix.ts';
import { parseStages } from '../../simulator/executors/ramping-arrival-rate.ts';
import {
  DEFAULT_SIMULATION,
  parseShard,
  prepareSimulation,
  simulate,
  type ExecutorConfig,
  type SimulationConfig,
} from '../../simulator/simulation.ts';
import type { EventSinkTarget } from '../../simulator/sinks/event-sink.ts';
import { DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import { parentControl, type ParentControl } from '../../simulator/generator-control.ts';
import { readScenarioPlanFile } from '../../simulator/scenario-plan-file.ts';
import { createSink } from '../../simulator/sinks/create-sink.ts';
import {
  DEFAULT_HTTP_SINK,
  HTTP_TRANSPORTS,
  type HttpTransport,
} from '../../simulator/sinks/http-sink.ts';
import {
  DEFAULT_KAFKA_SINK,
  KAFKA_COMPRESSIONS,
  KafkaSink,
  type KafkaCompression,
} from '../../simulator/sinks/kafka-sink.ts';
import type { ProvisionedKafka } from '../../scenarios/engine/provisioned-kafka.ts';
import { addKafkaOptions, provisionKafkaFrom, type KafkaOptions } from './common-options.ts';
import { parseDuration } from '../../simulator/duration.ts';
import { MAX_PLAYERS } from '../../sut/db/player-ids.ts';
import { MAX_PARTITIONS } from '../../sut/partitioning/fnv1a.ts';
import type { Logger } from '../../lib/logger.ts';
import { redactUrl } from '../lib/redact-url.ts';
import {
  integer,
  nonNegativeNumber,
  outputFile,
  positiveInt,
  positiveNumber,
} from '../lib/option-parsers.ts';
import { createTable } from '../../lib/table.ts';
import { UsageError } from '../../lib/errors.ts';
import { formatFixed } from '../../lib/format.ts';

interface SimulateFlags extends KafkaOptions {
  compression: KafkaCompression;
  players: number;
  seed: number;
  skew: number;
  mix?: Record<string, number>;
  namespace: string;
  partitions: number;
  shard: { index: number; count: number };
  executor: ExecutorConfig['executor'];
  rate: number;
  timeUnit: string;
  duration: string;
  startRate: number;
  stages?: { target: number; duration: string }[];
  sink: 'memory' | 'http' | 'kafka';
  target: string;
  httpTransport: HttpTransport;
  linger: number;
  maxBatch?: number;
  maxInFlight: number;
  dropAfter: string;
  output?: string;
  scenariosFile?: string;
  ledger?: string;
  controlled: boolean;
}

function executorFrom(flags: SimulateFlags): ExecutorConfig {
  if (flags.executor === 'ramping-arrival-rate') {
    if (flags.stages === undefined)
      throw new UsageError('--executor ramping-arrival-rate needs --stages, like 30s:100,1m:500');
    return {
      executor: 'ramping-arrival-rate',
      startRate: flags.startRate,
      timeUnit: flags.timeUnit,
      stages: flags.stages,
    };
  }
  return {
    executor: 'constant-arrival-rate',
    rate: flags.rate,
    timeUnit: flags.timeUnit,
    duration: flags.duration,
  };
}

export function printRunStats(
  stats: RunStats,
  sink: EventSinkTarget,
  out: NodeJS.WritableStream = process.stdout,
): void {
  const s = sink.stats();
  const summary = createTable([
    'Scheduled',
    'Sent',
    'Dropped',
    'Target',
    'Achieved',
    'Lag p50',
    'Lag p99',
    'Lag max',
  ]);
  summary.push([
    formatFixed(stats.scheduled),
    formatFixed(stats.sent),
    formatFixed(stats.dropped),
    `${formatFixed(stats.targetRate, 1)} ev/s`,
    `${formatFixed(stats.achievedRate, 1)} ev/s`,
    `${formatFixed(stats.lag.p50Ms, 2)} ms`,
    `${formatFixed(stats.lag.p99Ms, 2)} ms`,
    `${formatFixed(stats.lag.maxMs, 2)} ms`,
  ]);
  // With Kafka the partition that counts is Kafka's (its own table below); this one is FNV-1a's.
  const partitions = createTable([
    sink.name === 'kafka' ? 'FNV-1a partition' : 'Partition',
    'Sent',
    'Share',
    'Dropped',
    'Lag p50',
    'Lag p99',
  ]);
  for (const p of stats.partitions) {
    partitions.push([
      String(p.partition),
      formatFixed(p.sent),
      `${formatFixed((p.sent / Math.max(stats.sent, 1)) * 100, 1)} %`,
      formatFixed(p.dropped),
      `${formatFixed(p.lagP50Ms, 2)} ms`,
      `${formatFixed(p.lagP99Ms, 2)} ms`,
    ]);
  }
  out.write(`${summary.toString()}\n${partitions.toString()}\n`);
  if (sink instanceof KafkaSink) {
    const kafka = createTable(['Kafka partition', 'Acknowledged', 'Share']);
    const acked = sink.stats().partitions;
    acked.forEach((n, p) => {
      kafka.push([
        String(p),
        formatFixed(n),
        `${formatFixed((n / Math.max(s.delivered, 1)) * 100, 1)} %`,
      ]);
    });
    out.write(`${kafka.toString()}\n`);
  }
  out.write(
    `sink ${sink.name}${s.transport === undefined ? '' : ` (${s.transport === 'stream' ? 'POST /events/stream' : 'a POST /events per batch'})`}: ${formatFixed(s.delivered)} delivered, ${formatFixed(s.rejected)} rejected, ${formatFixed(s.failed)} failed, ${formatFixed(s.requests)} requests${s.errors.length > 0 ? `; errors: ${s.errors.join(' | ')}` : ''}\n`,
  );
  if (sink.name !== 'memory')
    out.write(
      `(delivered: the ${sink.name === 'kafka' ? 'broker' : 'service'} acknowledged them; whether they reached the database is what \`harness run\` audits)\n`,
    );
}

/** The HTTP sink speaks plain HTTP/1.1 to the service's `POST /events`. */
export function checkHttpTarget(target: string): void {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`--target "${redactUrl(target)}" is not a URL; expected http://host:port`);
  }
  if (url.protocol !== 'http:')
    throw new UsageError(
      `--target "${redactUrl(target)}" uses ${url.protocol.replace(/:$/, '')}; the HTTP sink speaks plain http: http://host:port (put a TLS proxy in front of the service if it must cross a network)`,
    );
}

/** `harness simulate`: players sending events at a target rate, k6-style, into a sink. */
export function simulateCommand(logger: () => Logger): Command {
  const d = DEFAULT_SIMULATION;
  const command = new Command('simulate');
  addKafkaOptions(command)
    .description('generate player events at a target rate (k6 arrival-rate executors) into a sink')
    .option(
      '--players <n>',
      "players (the seeder's ids for the same seed)",
      positiveInt('--players', MAX_PLAYERS),
      d.players,
    )
    .option('--seed <n>', 'seed of ids and of the event stream', integer('--seed'), d.seed)
    .option(
      '--skew <s>',
      'Zipf exponent of player activity (0 = uniform)',
      nonNegativeNumber('--skew'),
      d.skew,
    )
    .option(
      '--mix <weights>',
      `event mix as source=weight pairs (default ${Object.entries(DEFAULT_MIX_WEIGHTS)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')})`,
      parseMix,
    )
    .option('--namespace <ns>', 'namespace on every event', d.namespace)
    .option(
      '--partitions <n>',
      'partitions (FNV-1a of the player id)',
      positiveInt('--partitions', MAX_PARTITIONS),
      d.partitions,
    )
    .option(
      '--shard <i/N>',
      "this process's share of players and rate, of N simulators",
      parseShard,
      d.shard,
    )
    .addOption(
      new Option('--executor <type>', 'arrival-rate executor')
        .choices(['constant-arrival-rate', 'ramping-arrival-rate'])
        .default('constant-arrival-rate'),
    )
    .option(
      '--rate <n>',
      'events per time unit (constant-arrival-rate)',
      positiveNumber('--rate'),
      494,
    )
    .option('--time-unit <duration>', 'time unit of rates', '1s')
    .option('--duration <duration>', 'how long (constant-arrival-rate)', '30s')
    .option(
      '--start-rate <n>',
      'rate at the start (ramping-arrival-rate)',
      nonNegativeNumber('--start-rate'),
      0,
    )
    .option(
      '--stages <list>',
      'duration:target pairs (ramping-arrival-rate), like 30s:100,1m:500',
      parseStages,
    )
    .addOption(
      new Option('--sink <name>', 'where events go')
        .choices(['memory', 'http', 'kafka'])
        .default('memory'),
    )
    .addOption(
      new Option('--compression <codec>', 'kafka sink: compression of produce batches')
        .choices(KAFKA_COMPRESSIONS)
        .default(DEFAULT_KAFKA_SINK.compression),
    )
    .option('--target <url>', 'the service, for --sink http', 'http://127.0.0.1:8080')
    .addOption(
      new Option(
        '--http-transport <how>',
        'http sink: batches on one long POST /events/stream, answered together (stream), or a POST /events each (requests); auto streams unless the service has no stream route or a proxy holds the stream',
      )
        .choices(HTTP_TRANSPORTS)
        .default(DEFAULT_HTTP_SINK.transport),
    )
    .option(
      '--linger <ms>',
      'http and kafka sinks: send a batch after this long',
      positiveInt('--linger'),
      DEFAULT_HTTP_SINK.lingerMs,
    )
    .option(
      '--max-batch <n>',
      `http and kafka sinks: events per request at most (default ${DEFAULT_HTTP_SINK.maxBatch} for http, ${DEFAULT_KAFKA_SINK.maxBatch} for kafka)`,
      positiveInt('--max-batch'),
    )
    .option(
      '--max-in-flight <n>',
      'http sink: requests in flight at most (on a stream: this many full batches unanswered)',
      positiveInt('--max-in-flight'),
      DEFAULT_HTTP_SINK.maxInFlight,
    )
    .option('--drop-after <duration>', 'an event this late is dropped', '1s')
    .option('--output <file>', 'results JSON path', outputFile('--output'))
    // What `harness run --generators N` hands each generator it starts; not for a terminal.
    .addOption(
      new Option('--scenarios-file <file>', "the run's plan of scenarios (JSON)").hideHelp(),
    )
    .addOption(
      new Option(
        '--ledger <file>',
        'what became of each event, one byte per event of the plan',
      ).hideHelp(),
    )
    .addOption(
      new Option('--controlled', "start at the parent run's go, over IPC")
        .hideHelp()
        .default(false),
    );
  return command.action(async (flags: SimulateFlags) => {
    const log = logger();
    const control: ParentControl | null = flags.controlled ? parentControl() : null;
    if (flags.controlled && control === null)
      throw new UsageError(
        '--controlled is for the generators `harness run --generators N` starts (it needs an IPC channel to the run); leave it out',
      );
    const config: SimulationConfig = {
      players: flags.players,
      seed: flags.seed,
      skew: flags.skew,
      mix: flags.mix ?? DEFAULT_MIX_WEIGHTS,
      namespace: flags.namespace,
      partitions: flags.partitions,
      shard: flags.shard,
      executor: executorFrom(flags),
      ...(flags.scenariosFile === undefined
        ? {}
        : { scenarios: readScenarioPlanFile(flags.scenariosFile) }),
      dropAfterMs: parseDuration(flags.dropAfter, '--drop-after'),
    };
    if (flags.sink === 'http') checkHttpTarget(flags.target);
    // Validate and plan everything before the first event: bad input fails here, whole.
    const prepared = prepareSimulation(config);
    const ledger =
      flags.ledger === undefined ? undefined : new DeliveryLedger(prepared.plan.totalEvents);
    // Whatever was started is stopped, on success or failure: the sink, then a broker of its own.
    const kafka: ProvisionedKafka | undefined =
      flags.sink === 'kafka' ? await provisionKafkaFrom(flags, log) : undefined;
    let opened: EventSinkTarget | undefined;
    let stats: RunStats;
    const createdAt = new Date();
    try {
      opened = await createSink(
        flags.sink === 'kafka'
          ? {
              kind: 'kafka',
              brokers: kafka?.brokers ?? [],
              topic: flags.topic,
              partitions: flags.partitions,
              lingerMs: flags.linger,
              ...(flags.maxBatch === undefined ? {} : { maxBatch: flags.maxBatch }),
              compression: flags.compression,
              log,
              ...(ledger === undefined ? {} : { ledger }),
            }
          : flags.sink === 'http'
            ? {
                kind: 'http',
                url: flags.target,
                transport: flags.httpTransport,
                partitions: flags.partitions,
                lingerMs: flags.linger,
                ...(flags.maxBatch === undefined ? {} : { maxBatch: flags.maxBatch }),
                maxInFlight: flags.maxInFlight,
                ...(ledger === undefined ? {} : { ledger }),
              }
            : { kind: 'memory' },
      );
      await control?.ready();
      stats = await simulate(config, opened, {
        prepared,
        ...(control === null ? {} : { signal: control.signal }),
        onProgress: (p) => {
          control?.progress(p.sent, p.dropped);
          log.info(
            `${(p.elapsedMs / 1000).toFixed(0)} s: target ${formatFixed(p.targetRate)} ev/s, sent ${formatFixed(p.sent)}, dropped ${formatFixed(p.dropped)}`,
          );
        },
      });
    } finally {
      await opened?.close();
      await kafka?.stop();
    }
    if (ledger !== undefined && flags.ledger !== undefined)
      writeFileSync(flags.ledger, ledger.states);
    const sink = opened;
    printRunStats(stats, sink);
    const git = readGitInfo();
    const result = simulateResultSchema.parse({
      schemaVersion: SCHEMA_VERSION,
      kind: 'simulate',
      name: 'simulate',
      createdAt: createdAt.toISOString(),
      git,
      env: null,
      config: {
        ...config,
        sink: flags.sink,
        ...(flags.sink === 'http'
          ? {
              target: flags.target,
              transport: flags.httpTransport,
              linger: flags.linger,
              maxBatch: flags.maxBatch ?? DEFAULT_HTTP_SINK.maxBatch,
              maxInFlight: flags.maxInFlight,
            }
          : flags.sink === 'kafka'
            ? {
                topic: flags.topic,
                brokers: kafka?.brokers.join(','),
                linger: flags.linger,
                maxBatch: flags.maxBatch ?? DEFAULT_KAFKA_SINK.maxBatch,
                compression: flags.compression,
              }
            : {}),
      },
      metrics: {
        ...stats,
        sink: { name: sink.name, ...sink.stats(), errors: [...sink.stats().errors] },
      },
      thresholds: [],
      verdict: null,
    });
    const path = await saveResult(
      result,
      flags.output ?? join(RUNS_DIR, runFileName(createdAt, git, 'simulate')),
    );
    process.stdout.write(`results: ${path}\n`);
    control?.release();
  });
}
