import { healthLimitArgs } from '../health-limits.ts';
import type { CleanupStack, Deferred } from '../../../lib/cleanup-stack.ts';
import type { Logger } from '../../../lib/logger.ts';
import type { DeliveryLedger } from '../../../simulator/delivery-ledger.ts';
import type { TargetTable } from '../../../sut/db/target-table.ts';
import type { LatencyStore } from '../latency-store.ts';
import type { RunSettings } from '../run-plan.ts';
import { ServiceGroup } from '../service-group.ts';

export interface ServicesStage {
  readonly service: ServiceGroup;
  /** The final SIGTERM: the first exit code that is not 0, else 0. */
  readonly stop: Deferred<number | null>;
}

/**
 * Where the service writes: the run's schema and, for a user's table, that table, with leave
 * to change its rows (the run has just seeded it, with the user's leave or because it was empty).
 */
function childTableArgs(schema: string, table: TargetTable): string[] {
  return ['--schema', schema, ...(table.owned ? [] : ['--table', table.label, '--replace-rows'])];
}

/** Stage `services`: the service (or a consumer group of them) as child processes. */
export async function startServices(
  stack: CleanupStack,
  input: {
    readonly settings: RunSettings;
    readonly schema: string;
    readonly table: TargetTable;
    /** The database as the service reaches it: through the link proxy when there is one. */
    readonly databaseUrl: string;
    readonly brokers: readonly string[] | undefined;
    /** The run's topic and consumer group. */
    readonly kafkaNames: string;
    readonly count: number;
    readonly port: number;
    readonly ledger: DeliveryLedger;
    readonly latency: LatencyStore;
    readonly logger: Logger;
  },
): Promise<ServicesStage> {
  const { settings, brokers, kafkaNames } = input;
  const service = await ServiceGroup.start(
    input.count,
    [
      '--skip-seed',
      ...childTableArgs(input.schema, input.table),
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
      ...(settings.flushFence ? [] : ['--no-flush-fence']),
      ...healthLimitArgs(settings.health),
      ...(settings.transport === 'kafka'
        ? ['--source', 'kafka', '--topic', kafkaNames, '--group', kafkaNames, '--db', 'url']
        : []),
    ],
    {
      DATABASE_URL: input.databaseUrl,
      ...(brokers === undefined ? {} : { KAFKA_BROKERS: brokers.join(',') }),
    },
    input.port,
    input.ledger,
    input.latency,
  );
  const stop = stack.defer('the service', () => service.stop());
  input.logger.info(
    service.size === 1
      ? `service (variant ${settings.variant}) at ${service.url}: Prometheus can scrape ${service.url}/metrics while the scenario runs`
      : `${service.size} services (variant ${settings.variant}) in consumer group ${kafkaNames} at ${service.urls.join(', ')}: Prometheus can scrape each one's /metrics while the scenario runs`,
  );
  return { service, stop };
}
