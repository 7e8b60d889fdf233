import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { PromSample } from '../../../results/stats/prometheus-text.ts';
import { topicEnds, waitForStoredOffsets } from '../kafka-catch-up.ts';
import type { ServiceInstanceLine } from '../service-group.ts';
import type { FaultProducerStage } from './fault-producer.ts';
import type { LinkProxyStage } from './link-proxy.ts';
import type { Probes } from './probes.ts';
import type { ServicesStage } from './start-services.ts';

export interface Drained {
  /** The service's last /metrics, read just before it stopped. */
  readonly samples: PromSample[];
  readonly services: ServiceInstanceLine[];
}

/**
 * Stage `drain`: what the log holds is applied, the service flushes what it holds and stops
 * (its last figures read just before), and the link proxy and the fault producer close, so
 * that the audit reads a table nothing writes to any more.
 */
export async function drain(input: {
  readonly client: pg.Client;
  readonly kafka: Kafka | undefined;
  /** The run's topic and consumer group. */
  readonly kafkaNames: string;
  readonly flushIntervalMs: number;
  readonly services: ServicesStage;
  readonly probes: Probes;
  readonly cpuSamples: number[];
  readonly link: LinkProxyStage | undefined;
  readonly faultProducer: FaultProducerStage | undefined;
}): Promise<Drained> {
  const { service } = input.services;
  if (input.kafka !== undefined) {
    // What the log holds is applied before the service stops, so the audit reads it all.
    await waitForStoredOffsets(
      input.client,
      { group: input.kafkaNames, topic: input.kafkaNames },
      await topicEnds(input.kafka, input.kafkaNames),
    );
  }
  // The service flushes what it holds on SIGTERM; its last figures are read just before.
  await new Promise((r) => setTimeout(r, input.flushIntervalMs * 3));
  const samples = await service.scrape();
  const services = service.instances();
  await service.pullIntervals(true);
  const { cpu, machine } = input.probes;
  if ('sample' in cpu) input.cpuSamples.push(await cpu.sample());
  await machine.sample();
  const code = await input.services.stop.stop();
  if (code !== 0) throw new Error(`the service exited with ${String(code)} on SIGTERM`);
  await input.link?.close.stop();
  await input.faultProducer?.disconnect.stop();
  return { samples, services };
}
