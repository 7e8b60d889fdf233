import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findFreePort } from '../db/free-port.ts';
import {
  KAFKA_VERSION,
  startBroker,
  stopBroker,
  type BrokerLayout,
} from '../kafka/kafka-broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the test run's Kafka broker; '' when there is none (see kafkaSkipReason). */
    kafkaBrokers: string;
    kafkaSkipReason: string;
  }
}

/**
 * One Kafka broker for the whole test run, as PostgreSQL: KAFKA_BROKERS when set; otherwise
 * the local single-node broker (scripts/kafka), started here on free ports in a directory of
 * its own and removed afterwards. Without Java the Kafka suites are skipped, saying why
 * (and under CI=true they fail instead: a CI machine without Java is a broken CI machine).
 */
export default async function setup(project: TestProject) {
  const named = process.env.KAFKA_BROKERS;
  if (named !== undefined && named !== '') {
    project.provide('kafkaBrokers', named);
    project.provide('kafkaSkipReason', '');
    return undefined;
  }
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
    const reason =
      'java is not on PATH: the local Kafka broker (Kafka ' +
      KAFKA_VERSION +
      ', KRaft, jars from Maven Central) needs Java 17 or later; install a JDK, or set KAFKA_BROKERS to a running broker';
    project.provide('kafkaBrokers', '');
    project.provide('kafkaSkipReason', reason);
    return undefined;
  }
  const layout: BrokerLayout = {
    home: mkdtempSync(join(tmpdir(), 'harness-test-kafka-')),
    port: await findFreePort(),
    controllerPort: await findFreePort(),
  };
  const started = performance.now();
  const { brokers } = await startBroker(layout, {
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(
    `tests use a local Kafka ${KAFKA_VERSION} broker at ${brokers} (started in ${Math.round(performance.now() - started)} ms)\n`,
  );
  // Test files read it from the environment as every harness command does, and the CLI
  // processes they start inherit it.
  process.env.KAFKA_BROKERS = brokers;
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaSkipReason', '');
  return async () => {
    await stopBroker(layout, 10_000);
    rmSync(layout.home, { recursive: true, force: true });
  };
}
