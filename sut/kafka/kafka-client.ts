import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import { UsageError } from '../../lib/errors.ts';

/** Where kafkajs's own diagnostics go: its errors and warnings as warnings, the rest as debug. */
export interface KafkaLog {
  warn(message: string): void;
  debug(message: string): void;
}

const SILENT: KafkaLog = { warn: () => undefined, debug: () => undefined };

function creator(log: KafkaLog): logCreator {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...extra } = entry;
      const detail = 'error' in extra ? ` (${String(extra.error)})` : '';
      const line = `kafkajs: ${message}${detail}`;
      if (level <= logLevel.WARN) log.warn(line);
      else log.debug(line);
    };
}

/** Parses a KAFKA_BROKERS-style list, `host:port[,host:port...]`; UsageError naming `source`. */
export function parseBrokers(value: string, source: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const bad = brokers.filter((b) => !/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b));
  if (brokers.length === 0 || bad.length > 0)
    throw new UsageError(
      `${source} "${value}" is not a broker list; expected host:port[,host:port...], like 127.0.0.1:19092`,
    );
  return brokers;
}

export function createKafka(brokers: readonly string[], clientId: string, log = SILENT): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: creator(log),
    // A broker restart takes several seconds: retry long enough to ride through one.
    retry: { initialRetryTime: 200, retries: 12, maxRetryTime: 5000 },
  });
}
