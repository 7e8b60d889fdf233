import { createLogger } from '../../lib/logger.ts';
import { isUsageError } from '../../lib/errors.ts';
import { provisionKafka } from '../kafka/provision-kafka.ts';

/**
 * The brokers a Kafka benchmark measures: KAFKA_BROKERS, through the CLI's own provisioning.
 * Without one the benchmark stops with the CLI's message (how to start the local broker), exit 2.
 */
export async function benchBrokers(): Promise<string[]> {
  try {
    return (await provisionKafka({ source: 'auto', logger: createLogger('warn') })).brokers;
  } catch (error) {
    if (!isUsageError(error)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
}
