import { Command, Option } from 'commander';
import { loadCatalogue, DEFAULT_CATALOGUE_PATH } from '../../sut/catalogue/goal-catalogue.ts';
import { NoopBatchWriter, type BatchWriter } from '../../sut/buffer/batch-writer.ts';
import {
  FLUSH_PHASES,
  PRODUCTION_FLUSH_CONFIG,
  type FlushPhase,
} from '../../sut/buffer/flush-worker.ts';
import { PostgresBatchWriter } from '../../sut/repository/postgres-batch-writer.ts';
import { startSut } from '../../sut/service/sut-app.ts';
import { loadVariant, variantFor } from '../../sut/sql/variant-registry.ts';
import { seedProgress } from '../../sut/db/seeder.ts';
import { watchUnmatched } from '../../sut/service/unmatched-watch.ts';
import { HARNESS_DIR, HARNESS_VERSION } from '../lib/version.ts';
import { readGitInfo } from '../../results/git-info.ts';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_IN_FLIGHT_LIMIT_BYTES,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
} from '../../sut/sources/http-event-source.ts';
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MIN_BODY_BYTES_PER_SECOND,
  DEFAULT_MIN_RATE_GRACE_MS,
} from '../../sut/sources/body-pace.ts';
import { DEFAULT_HEADERS_TIMEOUT_MS } from '../../sut/service/sut-server.ts';
import { withDatabase } from '../db/with-database.ts';
import type { Logger } from '../../lib/logger.ts';
import { seedingProgress } from '../lib/progress.ts';
import { checkListenAddress } from '../lib/listen-check.ts';
import {
  factor,
  listenHost,
  nonNegativeNumber,
  portNumber,
  positiveInt,
} from '../lib/option-parsers.ts';
import { MAX_PARTITIONS } from '../../sut/partitioning/fnv1a.ts';
import { UsageError } from '../../lib/errors.ts';
import {
  addDatabaseOptions,
  addSeedOptions,
  databaseFrom,
  addKafkaOptions,
  seedSharesOf,
  type SeedTableOptions,
  provisionKafkaFrom,
  type DatabaseOptions,
  type KafkaOptions,
} from './common-options.ts';
import { createKafka } from '../../sut/kafka/kafka-client.ts';
import { kafkaTransport } from '../../sut/service/kafka-transport.ts';
import type { EventSource } from '../../sut/sources/event-source.ts';
import type { SutMetrics } from '../../sut/metrics/sut-metrics.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';
import type { HealthThresholds } from '../../sut/service/health-evaluation.ts';

/** The consumer group of `harness sut --source kafka` unless --group names another. */
export const DEFAULT_GROUP = 'harness-sut';

interface SutFlags extends DatabaseOptions, KafkaOptions, SeedTableOptions {
  /** --skip-seed: the table is used as it is (a harness run seeds it before starting the service). */
  skipSeed: boolean;
  source: 'http' | 'kafka';
  group: string;
  host: string;
  port: number;
  variant: string;
  partitions: number;
  flushInterval: number;
  bufferSize: number;
  flushPhase: FlushPhase;
  backpressureFactor: number;
  breakerFactor: number;
  backpressureTimeout: number;
  prepared: boolean;
  /** false with --no-flush-fence. */
  flushFence: boolean;
  catalogue: string;
  bodyLimit: number;
  inFlightLimit: number;
  healthFlushOverdue?: number;
  healthFlushRunning?: number;
  healthFetchOverdue?: number;
  healthRefusalHold?: number;
  headersTimeout: number;
  bodyTimeout: number;
  minBodyRate: number;
  streamIdleTimeout: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits for SIGTERM or SIGINT (Ctrl-C), or, when started by another harness process
 * (HARNESS_PARENT_PID), for that process to die: an orphaned service would otherwise keep
 * retrying flushes against a database that is gone.
 */
function terminationSignal(): Promise<string> {
  return new Promise((resolve) => {
    const parent = Number(process.env.HARNESS_PARENT_PID ?? 0);
    const watch =
      parent > 0
        ? setInterval(() => {
            if (!alive(parent)) finish(`parent process ${parent} is gone`);
          }, 1000)
        : undefined;
    const on = (signal: NodeJS.Signals) => {
      finish(signal);
    };
    function finish(reason: string) {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      if (watch !== undefined) clearInterval(watch);
      resolve(reason);
    }
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** The /healthz limits the flags set; the rest keep their defaults. */
function healthThresholdsFrom(flags: SutFlags): Partial<HealthThresholds> {
  return {
    ...(flags.healthFlushOverdue === undefined ? {} : { flushOverdueMs: flags.healthFlushOverdue }),
    ...(flags.healthFlushRunning === undefined ? {} : { flushRunningMs: flags.healthFlushRunning }),
    ...(flags.healthFetchOverdue === undefined ? {} : { fetchOverdueMs: flags.healthFetchOverdue }),
    ...(flags.healthRefusalHold === undefined ? {} : { refusalHoldMs: flags.healthRefusalHold }),
  };
}

/** `harness sut`: the system under test as its own process, until SIGTERM/SIGINT. */
export function sutCommand(logger: () => Logger): Command {
  const d = PRODUCTION_FLUSH_CONFIG;
  const command = new Command('sut').description(
    'run the system under test: partitioned buffers flushed through a SQL variant; POST /events, GET /metrics, GET /healthz',
  );
  addSeedOptions(addKafkaOptions(addDatabaseOptions(command)))
    .option(
      '--skip-seed',
      'use the table as it is instead of seeding it first (the seed options then do nothing)',
      false,
    )
    .addOption(
      new Option('--source <transport>', 'where events come from: POST /events, or a Kafka topic')
        .choices(['http', 'kafka'])
        .default('http'),
    )
    .option('--group <name>', 'Kafka transport: the consumer group', DEFAULT_GROUP)
    .option('--host <host>', 'address to listen on', listenHost, '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', portNumber('--port'), 8080)
    .option(
      '--variant <name>',
      'SQL variant of the flush (a file in sut/sql/variants/)',
      PRODUCTION.variant,
    )
    .option(
      '--partitions <n>',
      'partitions, each with its buffer and flush worker',
      positiveInt('--partitions', MAX_PARTITIONS),
      PRODUCTION.partitions,
    )
    .option(
      '--flush-interval <ms>',
      'flush every this many ms',
      positiveInt('--flush-interval'),
      d.intervalMs,
    )
    .addOption(
      new Option(
        '--flush-phase <phase>',
        'aligned: every partition flushes on the same tick (as production); staggered: partition p offset by p/partitions of the interval',
      )
        .choices(FLUSH_PHASES)
        .default(d.phase),
    )
    .option(
      '--buffer-size <n>',
      'flush at once at this many buffered keys per partition',
      positiveInt('--buffer-size'),
      d.bufferSize,
    )
    .option(
      '--backpressure-factor <x>',
      'ingest waits above buffer size x this',
      factor('--backpressure-factor'),
      d.backpressureFactor,
    )
    .option(
      '--breaker-factor <x>',
      'events are rejected above buffer size x this',
      factor('--breaker-factor'),
      d.breakerFactor,
    )
    .option(
      '--backpressure-timeout <ms>',
      'how long ingest waits before failing',
      positiveInt('--backpressure-timeout'),
      d.backpressureTimeoutMs,
    )
    .option('--prepared', 'run the variant as a prepared statement', false)
    .option(
      '--no-flush-fence',
      'HTTP: write each flush as the variant alone, without the sequence number that makes a retry safe; a COMMIT whose reply is lost is then applied twice (shows what the fence prevents)',
    )
    .option('--catalogue <file>', 'goal catalogue JSON', DEFAULT_CATALOGUE_PATH)
    .option('--no-database', 'flush nowhere (measures the service alone)')
    .option(
      '--body-limit <bytes>',
      'largest POST /events body (413 above it)',
      positiveInt('--body-limit'),
      DEFAULT_BODY_LIMIT_BYTES,
    )
    .option(
      '--in-flight-limit <bytes>',
      'request bodies held in memory at once, all requests together; beyond it 503 with Retry-After',
      positiveInt('--in-flight-limit'),
      DEFAULT_IN_FLIGHT_LIMIT_BYTES,
    )
    .option(
      '--health-flush-overdue <ms>',
      '/healthz degrades when a partition holds increments and no flush of it completed for this long (default: 10 s or 20 flush intervals, whichever is longer)',
      positiveInt('--health-flush-overdue'),
    )
    .option(
      '--health-flush-running <ms>',
      '/healthz degrades while a flush has been running this long (default: 10 s or 20 flush intervals, whichever is longer)',
      positiveInt('--health-flush-running'),
    )
    .option(
      '--health-fetch-overdue <ms>',
      '/healthz degrades when the Kafka consumer has not fetched for this long while it has records to read or its fetch goes unanswered (default: 10 s)',
      positiveInt('--health-fetch-overdue'),
    )
    .option(
      '--health-refusal-hold <ms>',
      '/healthz stays degraded this long after ingest last refused events for backpressure (default: 5 s)',
      positiveInt('--health-refusal-hold'),
    )
    .option(
      '--headers-timeout <ms>',
      'request headers must arrive whole within this; slower is answered 408 and cut',
      positiveInt('--headers-timeout'),
      DEFAULT_HEADERS_TIMEOUT_MS,
    )
    .option(
      '--body-timeout <ms>',
      'a POST /events body must arrive whole within this after its headers; slower is answered 408 and cut',
      positiveInt('--body-timeout'),
      DEFAULT_BODY_TIMEOUT_MS,
    )
    .option(
      '--min-body-rate <bytes/s>',
      `a POST /events body slower than this on average after its first ${DEFAULT_MIN_RATE_GRACE_MS / 1000} s is answered 408 and cut (0: no minimum)`,
      nonNegativeNumber('--min-body-rate'),
      DEFAULT_MIN_BODY_BYTES_PER_SECOND,
    )
    .option(
      '--stream-idle-timeout <ms>',
      'a POST /events/stream that sends nothing for this long is ended and its connection closed',
      positiveInt('--stream-idle-timeout'),
      DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    );
  return command.action(async (flags: SutFlags & { database: boolean }) => {
    const log = logger();
    if (flags.breakerFactor <= flags.backpressureFactor) {
      throw new UsageError(
        `--breaker-factor (${flags.breakerFactor}) must be above --backpressure-factor (${flags.backpressureFactor})`,
      );
    }
    await checkListenAddress(flags.host, flags.port);
    const [variant, catalogue] = await Promise.all([
      loadVariant(flags.variant),
      loadCatalogue(flags.catalogue),
    ]);
    const flush = {
      ...PRODUCTION_FLUSH_CONFIG,
      intervalMs: flags.flushInterval,
      phase: flags.flushPhase,
      bufferSize: flags.bufferSize,
      backpressureFactor: flags.backpressureFactor,
      breakerFactor: flags.breakerFactor,
      backpressureTimeoutMs: flags.backpressureTimeout,
    };
    if (flags.source === 'kafka' && !flags.database)
      throw new UsageError(
        '--source kafka needs a database: the consumed offsets are stored in PostgreSQL with the increments (drop --no-database)',
      );
    const serve = async (
      writer: BatchWriter,
      where: string,
      source?: (metrics: SutMetrics) => EventSource,
    ) => {
      let lastReport = 0;
      const sut = await startSut({
        host: flags.host,
        port: flags.port,
        partitions: flags.partitions,
        variant: variant.name,
        flush,
        catalogue,
        writer,
        bodyLimitBytes: flags.bodyLimit,
        health: healthThresholdsFrom(flags),
        inFlightLimitBytes: flags.inFlightLimit,
        headersTimeoutMs: flags.headersTimeout,
        bodyPace: {
          bodyTimeoutMs: flags.bodyTimeout,
          minBytesPerSecond: flags.minBodyRate,
          graceMs: DEFAULT_MIN_RATE_GRACE_MS,
        },
        streamIdleTimeoutMs: flags.streamIdleTimeout,
        build: { version: HARNESS_VERSION, commit: readGitInfo(HARNESS_DIR).commit },
        ...(source === undefined ? {} : { source }),
        onFlushError: (partition, error) => {
          // One line a second at most: a database outage fails every flush of every partition.
          if (Date.now() - lastReport < 1000) return;
          lastReport = Date.now();
          log.warn(
            `flush failed on partition ${partition}, retrying with backoff: ${(error as Error).message}`,
          );
        },
      });
      // Listening for signals before saying so: whoever waits for the line may signal at once.
      const terminated = terminationSignal();
      const stopWatching = watchUnmatched(sut.metrics.matchTotals, (m) => {
        log.warn(m);
      });
      process.stdout.write(
        `listening on ${sut.url} (variant ${variant.name}, ${flags.partitions} partitions, ${where}${source === undefined ? '' : `, events from Kafka topic ${flags.topic}, group ${flags.group}`})\n`,
      );
      const signal = await terminated;
      stopWatching();
      log.info(`${signal}: stopping intake and flushing every partition`);
      const left = await sut.stop();
      if (left > 0)
        throw new Error(
          `shutdown could not write ${left} buffered keys: the database kept failing`,
        );
      process.stdout.write('stopped; every buffered increment was flushed\n');
    };
    if (!flags.database) {
      await serve(new NoopBatchWriter(), 'no database');
      return;
    }
    // The broker is settled before the database starts: a bad broker setting fails with nothing started.
    const kafka = flags.source === 'kafka' ? await provisionKafkaFrom(flags, log) : undefined;
    try {
      await withDatabase(databaseFrom(flags, log), async ({ database, client, schema, table }) => {
        if (!flags.skipSeed) {
          const seeding = seedingProgress(log, table.label);
          const seeded = await seedProgress(client, {
            onProgress: seeding.onProgress,
            players: flags.players,
            goalsPerPlayer: flags.goals,
            seed: flags.seed,
            shares: seedSharesOf(flags),
            catalogue,
            table,
            fresh: flags.freshTable,
          }).finally(() => {
            seeding.stop();
          });
          log.info(
            `seeded ${table.label}: ${seeded.rows.toLocaleString('en-US')} rows (${flags.players.toLocaleString('en-US')} players x ${flags.goals} goals, seed ${flags.seed}) in ${(seeded.ms / 1000).toFixed(1)} s`,
          );
        }
        const aimed = variantFor(variant, table);
        if (kafka === undefined) {
          await serve(
            new PostgresBatchWriter({
              url: database.url,
              variant: aimed,
              prepared: flags.prepared,
              schema,
              transport: 'http',
              fenced: flags.flushFence,
            }),
            `PostgreSQL from ${database.kind}, table ${table.label}`,
          );
          return;
        }
        const transport = kafkaTransport({
          databaseUrl: database.url,
          schema,
          variant: aimed,
          prepared: flags.prepared,
          kafka: createKafka(kafka.brokers, `harness-sut-${process.pid}`, log),
          topic: flags.topic,
          group: flags.group,
          onError: (message) => {
            log.warn(message);
          },
        });
        await serve(
          transport.writer,
          `PostgreSQL from ${database.kind}, table ${table.label}`,
          transport.source,
        );
      });
    } finally {
      await kafka?.stop();
    }
  });
}
