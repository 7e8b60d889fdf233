// The local single-node Kafka broker (KRaft) from Maven Central jars, for machines with Java
// and Maven but no Docker. Run: npm run kafka:<start|stop|restart|status|clean>
//   start    fetch the jars once (cached), format storage once, start detached, wait until ready,
//            print KAFKA_BROKERS=...
//   stop     controlled shutdown; the data stays for the next start
//   restart  stop then start, keeping the data
//   clean    stop and delete the broker's data and configuration (the jar cache stays)
// Environment: HARNESS_KAFKA_PORT (19092), HARNESS_KAFKA_CONTROLLER_PORT (19093),
// HARNESS_KAFKA_HOME (~/.cache/flush-harness/broker), HARNESS_KAFKA_CACHE (~/.cache/flush-harness).
import {
  brokersOf,
  cleanBroker,
  defaultLayout,
  KAFKA_VERSION,
  readBrokerPid,
  startBroker,
  stopBroker,
} from './kafka-broker.ts';

const ACTIONS = ['start', 'stop', 'restart', 'status', 'clean'] as const;
const action = process.argv[2];
const layout = defaultLayout();
const log = (line: string) => process.stderr.write(`${line}\n`);

async function start(): Promise<void> {
  const started = performance.now();
  const { pid, brokers } = await startBroker(layout, { log });
  log(
    `Kafka ${KAFKA_VERSION} (KRaft) ready at ${brokers} in ${((performance.now() - started) / 1000).toFixed(1)} s, pid ${pid}, data in ${layout.home}`,
  );
  process.stdout.write(`KAFKA_BROKERS=${brokers}\n`);
}

switch (action) {
  case 'start':
    await start();
    break;
  case 'stop':
    log((await stopBroker(layout)) ? 'Kafka broker stopped' : 'no Kafka broker was running');
    break;
  case 'restart':
    await stopBroker(layout);
    await start();
    break;
  case 'status': {
    const pid = await readBrokerPid(layout);
    process.stdout.write(
      pid === undefined ? 'not running\n' : `running, pid ${pid}, ${brokersOf(layout)}\n`,
    );
    break;
  }
  case 'clean':
    await cleanBroker(layout);
    log(`Kafka broker stopped and ${layout.home} removed`);
    break;
  default:
    process.stderr.write(`error: action "${String(action)}" is not one of ${ACTIONS.join(', ')}\n`);
    process.exit(2);
}
