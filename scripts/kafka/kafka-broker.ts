import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';

/**
 * The broker version. Kafka 4.x dropped the old protocol versions kafkajs 2.2.4 speaks
 * (KIP-896) and kafkajs has open reports against 4.0 in KRaft mode; 3.9 is the last line
 * that runs KRaft and still serves them. Must match scripts/kafka/pom.xml.
 */
export const KAFKA_VERSION = '3.9.1';

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));

/** Where jars and the default broker live: a user cache, never the repository. */
export function cacheRoot(): string {
  return process.env.HARNESS_KAFKA_CACHE ?? join(homedir(), '.cache', 'flush-harness');
}

export function jarDir(version = KAFKA_VERSION): string {
  return join(cacheRoot(), `kafka-${version}`, 'libs');
}

function toolAvailable(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/**
 * The broker's classpath from Maven Central, downloaded once: `kafka_2.13` and its
 * dependencies, the logging binding the release tarball adds (slf4j-reload4j + reload4j), and
 * kafka-tools for ProducerPerformance. A marker file makes a half-finished download count as
 * missing.
 */
export async function ensureKafkaJars(
  log: (line: string) => void = () => undefined,
): Promise<string> {
  const dir = jarDir();
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  if (!toolAvailable('java', ['-version']))
    throw new Error('java is not on PATH: the local Kafka broker needs Java 17 or later');
  if (!toolAvailable('mvn', ['-v']))
    throw new Error(
      'mvn is not on PATH: the local Kafka broker fetches its jars from Maven Central with Maven',
    );
  log(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central into ${dir}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      POM,
      `-Dkafka.version=${KAFKA_VERSION}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${dir}`,
      '-DincludeScope=runtime',
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(
      `mvn could not fetch the Kafka jars (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`,
    );
  const jars = (await readdir(dir)).filter((f) => f.endsWith('.jar'));
  if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`))
    throw new Error(`mvn finished but ${dir} has no kafka_2.13-${KAFKA_VERSION}.jar`);
  await writeFile(marker, `${new Date().toISOString()}\n`);
  return dir;
}

export interface BrokerLayout {
  /** Holds server.properties, log4j.properties, data/, broker.log, broker.pid. */
  readonly home: string;
  readonly port: number;
  readonly controllerPort: number;
}

export function brokersOf(layout: BrokerLayout): string {
  return `127.0.0.1:${layout.port}`;
}

function serverProperties(layout: BrokerLayout): string {
  return `# single-node KRaft broker for the harness (written by scripts/kafka/kafka-broker.ts)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${layout.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${layout.port},CONTROLLER://127.0.0.1:${layout.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${layout.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${join(layout.home, 'data')}
num.partitions=8
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=24
`;
}

const LOG4J = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.ControllerServer=INFO
`;

function classpath(dir: string): string {
  return `${dir}/*`;
}

/** Writes the configuration and formats the storage once (KRaft needs a cluster id first). */
export async function formatStorage(layout: BrokerLayout, jars: string): Promise<void> {
  await mkdir(layout.home, { recursive: true });
  await writeFile(join(layout.home, 'server.properties'), serverProperties(layout));
  await writeFile(join(layout.home, 'log4j.properties'), LOG4J);
  if (existsSync(join(layout.home, 'data', 'meta.properties'))) return;
  const id = spawnSync('java', ['-cp', classpath(jars), 'kafka.tools.StorageTool', 'random-uuid'], {
    encoding: 'utf8',
  });
  const clusterId = id.stdout.trim().split('\n').pop() ?? '';
  if (id.status !== 0 || clusterId === '')
    throw new Error(`kafka-storage random-uuid failed: ${id.stderr}`);
  const format = spawnSync(
    'java',
    [
      `-Dlog4j.configuration=file:${join(layout.home, 'log4j.properties')}`,
      '-cp',
      classpath(jars),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      join(layout.home, 'server.properties'),
    ],
    { encoding: 'utf8' },
  );
  if (format.status !== 0)
    throw new Error(`kafka-storage format failed:\n${format.stdout}${format.stderr}`);
}

function pidFile(layout: BrokerLayout): string {
  return join(layout.home, 'broker.pid');
}

export async function readBrokerPid(layout: BrokerLayout): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile(layout), 'utf8')).trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/**
 * Ready means a client can use it: the metadata answers and a consumer group coordinator
 * exists (the first thing a fresh KRaft broker refuses for a few seconds).
 */
export async function waitUntilReady(brokers: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  const [host, port] = brokers.split(',')[0]?.split(':') ?? [];
  while (Date.now() < deadline) {
    if (host !== undefined && !(await portOpen(Number(port)))) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    const kafka = new Kafka({
      clientId: 'harness-ready-check',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2000,
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.describeGroups(['harness-ready-check']);
      return;
    } catch (error) {
      last = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `the Kafka broker at ${brokers} was not ready within ${timeoutMs} ms: ${(last as Error | undefined)?.message ?? 'port closed'}`,
  );
}

/** Starts the broker detached (it outlives this process), writes its pid, waits until ready. */
export async function startBroker(
  layout: BrokerLayout,
  options: { heapMb?: number; readyTimeoutMs?: number; log?: (line: string) => void } = {},
): Promise<{ pid: number; brokers: string }> {
  const running = await readBrokerPid(layout);
  if (running !== undefined) {
    await waitUntilReady(brokersOf(layout), options.readyTimeoutMs ?? 60_000);
    return { pid: running, brokers: brokersOf(layout) };
  }
  if (await portOpen(layout.port))
    throw new Error(
      `port ${layout.port} is already taken by another process; stop it or choose another port`,
    );
  const jars = await ensureKafkaJars(options.log);
  await formatStorage(layout, jars);
  const out = openSync(join(layout.home, 'broker.log'), 'a');
  const heap = options.heapMb ?? 512;
  const child = spawn(
    'java',
    [
      `-Xms${heap}m`,
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(layout.home, 'log4j.properties')}`,
      '-cp',
      classpath(jars),
      'kafka.Kafka',
      join(layout.home, 'server.properties'),
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('java did not start');
  child.unref();
  await writeFile(pidFile(layout), `${pid}\n`);
  try {
    await waitUntilReady(brokersOf(layout), options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    const tail = await readFile(join(layout.home, 'broker.log'), 'utf8').catch(() => '');
    await stopBroker(layout);
    throw new Error(
      `${(error as Error).message}\nlast lines of ${join(layout.home, 'broker.log')}:\n${tail.split('\n').slice(-15).join('\n')}`,
    );
  }
  return { pid, brokers: brokersOf(layout) };
}

/** SIGTERM (a controlled shutdown that keeps the data), SIGKILL after the timeout. */
export async function stopBroker(layout: BrokerLayout, timeoutMs = 30_000): Promise<boolean> {
  const pid = await readBrokerPid(layout);
  if (pid === undefined) {
    await rm(pidFile(layout), { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone: the normal case
  }
  await rm(pidFile(layout), { force: true });
  return true;
}

/** Stops the broker and deletes its data and configuration (the jar cache stays). */
export async function cleanBroker(layout: BrokerLayout): Promise<void> {
  await stopBroker(layout);
  await rm(layout.home, { recursive: true, force: true });
}

/** The broker `npm run kafka:start` manages: fixed ports so KAFKA_BROKERS is predictable. */
export function defaultLayout(): BrokerLayout {
  return {
    home: process.env.HARNESS_KAFKA_HOME ?? join(cacheRoot(), 'broker'),
    port: Number(process.env.HARNESS_KAFKA_PORT ?? 19092),
    controllerPort: Number(process.env.HARNESS_KAFKA_CONTROLLER_PORT ?? 19093),
  };
}
