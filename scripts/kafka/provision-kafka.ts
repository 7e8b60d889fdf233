import { connect } from 'node:net';
import { detectDockerEngine } from '../db/docker-engine.ts';
import type { Logger } from '../../lib/logger.ts';
import { UsageError } from '../../lib/errors.ts';
import { parseBrokers } from '../../sut/kafka/kafka-client.ts';
import {
  brokersOf,
  KAFKA_VERSION,
  readBrokerPid,
  startBroker,
  stopBroker,
  type BrokerLayout,
} from './kafka-broker.ts';
import { findFreePort } from '../db/free-port.ts';
import { startReaper } from '../lib/start-reaper.ts';
import type { ProvisionedKafka } from '../../scenarios/engine/provisioned-kafka.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KAFKA_SOURCES = ['auto', 'local', 'testcontainers'] as const;
export type KafkaSource = (typeof KAFKA_SOURCES)[number];

/**
 * The Confluent image that carries Apache Kafka 3.9 (the version the local broker script
 * runs, for the same kafkajs reasons; see scripts/kafka/README.md).
 */
export const TESTCONTAINERS_KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';

/**
 * The results' `env.kafka`: the version when the harness knows it (the container's image);
 * a named broker only by its address, since the Kafka protocol does not report a broker's
 * software version.
 */
export function describeKafka(kafka: ProvisionedKafka): string {
  if (kafka.kind === 'testcontainers')
    return `Apache Kafka 3.9 (${TESTCONTAINERS_KAFKA_IMAGE}, testcontainers) at ${kafka.brokers.join(',')}`;
  if (kafka.kind === 'local')
    return `Apache Kafka ${KAFKA_VERSION} (local broker the harness started, KRaft) at ${kafka.brokers.join(',')}`;
  return `brokers ${kafka.brokers.join(',')} (named by KAFKA_BROKERS or --kafka-brokers; npm run kafka:start runs Kafka ${KAFKA_VERSION})`;
}

export function parseKafkaSource(value: string): KafkaSource {
  const found = KAFKA_SOURCES.find((s) => s === value);
  if (found === undefined)
    throw new UsageError(`--kafka "${value}" is not one of ${KAFKA_SOURCES.join(', ')}`);
  return found;
}

const CONNECT_TIMEOUT_MS = 3000;

/** Each broker that refuses or does not answer a TCP connection, with the reason. */
function unreachable(brokers: readonly string[]): Promise<string[]> {
  return Promise.all(
    brokers.map(
      (broker) =>
        new Promise<string | undefined>((resolve) => {
          const colon = broker.lastIndexOf(':');
          const socket = connect({
            host: broker.slice(0, colon).replace(/^\[|\]$/g, ''),
            port: Number(broker.slice(colon + 1)),
          });
          const done = (problem: string | undefined) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(problem);
          };
          const timer = setTimeout(() => {
            done(`${broker}: no answer within ${CONNECT_TIMEOUT_MS} ms`);
          }, CONNECT_TIMEOUT_MS);
          socket.once('connect', () => {
            done(undefined);
          });
          socket.once('error', (error) => {
            done(`${broker}: ${error.message}`);
          });
        }),
    ),
  ).then((all) => all.filter((p): p is string => p !== undefined));
}

/**
 * A single-node broker of the harness's own for this command (scripts/kafka: Kafka's jars
 * from Maven Central, Java), on free ports in a temporary directory removed at the end; one
 * the fault scenarios can restart without disturbing anyone else's.
 */
async function startLocalBroker(logger: Logger): Promise<ProvisionedKafka> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0)
    throw new UsageError(
      `--kafka local needs Java 17 or later on PATH (it runs Kafka ${KAFKA_VERSION} from Maven Central jars); or name a running broker with KAFKA_BROKERS`,
    );
  const layout: BrokerLayout = {
    home: mkdtempSync(join(tmpdir(), 'harness-kafka-')),
    port: await findFreePort(),
    controllerPort: await findFreePort(),
  };
  // Started first, so a harness killed even during the broker's start-up leaves nothing behind.
  startReaper({ folder: layout.home, pidFile: 'broker.pid', stopSignal: 'SIGTERM' });
  const started = performance.now();
  try {
    await startBroker(layout, {
      log: (line) => {
        logger.info(line);
      },
    });
  } catch (error) {
    rmSync(layout.home, { recursive: true, force: true });
    throw error;
  }
  logger.info(
    `local Kafka ${KAFKA_VERSION} broker at ${brokersOf(layout)} (started in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  let stopped = false;
  return {
    kind: 'local',
    brokers: [brokersOf(layout)],
    control: {
      async restart() {
        await stopBroker(layout);
        await startBroker(layout);
      },
      pid: () => readBrokerPid(layout),
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopBroker(layout, 10_000);
      rmSync(layout.home, { recursive: true, force: true });
    },
  };
}

export const NO_BROKER_HELP = `start the local broker with \`npm run kafka:start\` (Kafka ${KAFKA_VERSION} in KRaft mode from Maven Central jars; needs Java 17 and Maven) and export the KAFKA_BROKERS it prints, or use --kafka testcontainers where a Docker engine runs`;

/**
 * The one way the CLI gets a Kafka broker: `--kafka-brokers` or KAFKA_BROKERS when set
 * (nothing is started or stopped); `--kafka testcontainers`: a throwaway container.
 */
export async function provisionKafka(options: {
  readonly source: KafkaSource;
  readonly brokers?: string;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
}): Promise<ProvisionedKafka> {
  const env = options.env ?? process.env;
  if (options.source === 'auto') {
    const flag = options.brokers;
    const value = flag ?? env.KAFKA_BROKERS;
    if (value === undefined || value === '')
      throw new UsageError(
        `Kafka transport: no broker named. Set KAFKA_BROKERS=host:port, or ${NO_BROKER_HELP}`,
      );
    const source = flag === undefined ? 'KAFKA_BROKERS' : '--kafka-brokers';
    const brokers = parseBrokers(value, source);
    // A typo in a broker address is bad input: said in seconds, where kafkajs's own retries
    // (sized to ride through a broker restart) would take 40 s to give up.
    const problems = await unreachable(brokers);
    if (problems.length === brokers.length)
      throw new UsageError(
        `Kafka transport: no broker answers at ${source} ${brokers.join(',')}:`,
        problems,
      );
    return { kind: 'brokers', brokers, stop: () => Promise.resolve() };
  }
  if (options.source === 'local') return startLocalBroker(options.logger);
  const engine = await detectDockerEngine();
  if (!engine.reachable)
    throw new UsageError(
      `--kafka testcontainers needs a running Docker engine: ${engine.reason}. Alternatives:`,
      [
        'KAFKA_BROKERS=host:port (or --kafka-brokers) to use a running broker;',
        `npm run kafka:start: the local single-node broker (Kafka ${KAFKA_VERSION}, KRaft, from Maven Central; Java 17 + Maven, no Docker).`,
      ],
    );
  // Loaded lazily: the module pulls in the Docker client, which the other paths never need.
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const started = performance.now();
  const container = await new KafkaContainer(TESTCONTAINERS_KAFKA_IMAGE).withKraft().start();
  const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  options.logger.debug(
    `testcontainers Kafka (${TESTCONTAINERS_KAFKA_IMAGE}) ready at ${brokers.join(',')} in ${(performance.now() - started).toFixed(0)} ms`,
  );
  let stopped = false;
  return {
    kind: 'testcontainers',
    brokers,
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
  };
}
