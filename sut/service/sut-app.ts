import type { GoalCatalogue } from '../catalogue/goal-catalogue.ts';
import type { BatchWriter } from '../buffer/batch-writer.ts';
import type { FlushConfig } from '../buffer/flush-worker.ts';
import { SutMetrics, type BuildInfo } from '../metrics/sut-metrics.ts';
import type { EventSource } from '../sources/event-source.ts';
import { HttpEventSource } from '../sources/http-event-source.ts';
import type { BodyPace } from '../sources/body-pace.ts';
import { FlushService } from './flush-service.ts';
import { startSutServer } from './sut-server.ts';
import { healthBody } from './health-body.ts';
import {
  defaultHealthThresholds,
  evaluateHealth,
  type HealthThresholds,
} from './health-evaluation.ts';

export interface SutOptions {
  readonly host: string;
  readonly port: number;
  readonly partitions: number;
  readonly variant: string;
  readonly flush: FlushConfig;
  readonly catalogue: GoalCatalogue;
  readonly writer: BatchWriter;
  readonly bodyLimitBytes?: number;
  /** Request bodies held at once, all requests together (503 beyond it). */
  readonly inFlightLimitBytes?: number;
  /** Request headers must arrive within this (408 after). */
  readonly headersTimeoutMs?: number;
  /** How fast a `POST /events` body must arrive (408 and the connection closed when slower). */
  readonly bodyPace?: BodyPace;
  /** A `POST /events/stream` that sends nothing for this long is cut. */
  readonly streamIdleTimeoutMs?: number;
  /** How long a stream's answers wait to go out together (`POST /events/stream`). */
  readonly streamAnswerEveryMs?: number;
  /** Another transport (Kafka), built with the service's metrics; without it, events come over HTTP (`POST /events`). */
  readonly source?: (metrics: SutMetrics) => EventSource;
  readonly onFlushError?: (partition: number, error: unknown) => void;
  /** What harness_build_info reports. */
  readonly build?: BuildInfo;
  /** When /healthz degrades; unset ones take defaultHealthThresholds of the flush interval. */
  readonly health?: Partial<HealthThresholds>;
}

export interface RunningSut {
  readonly url: string;
  readonly metrics: SutMetrics;
  readonly service: FlushService;
  /** Graceful stop: no new events, every partition flushed; returns keys left unwritten. */
  stop(): Promise<number>;
}

/** Wires source, partition buffers, flush workers, metrics and the HTTP server together. */
export async function startSut(options: SutOptions): Promise<RunningSut> {
  const metrics = new SutMetrics(options.variant, options.partitions, options.build);
  const service = new FlushService(
    options.catalogue,
    options.writer,
    metrics,
    options.partitions,
    options.flush,
    options.onFlushError,
  );
  metrics.watchUnwritten(() => service.workers.reduce((sum, w) => sum + w.unwrittenUnits, 0));
  metrics.watchDurableThrough(() => service.workers.map((w) => w.durableThrough));
  const http =
    options.source === undefined
      ? new HttpEventSource(
          metrics,
          options.bodyLimitBytes,
          options.inFlightLimitBytes,
          options.streamAnswerEveryMs,
          options.bodyPace,
          options.streamIdleTimeoutMs,
        )
      : undefined;
  const source: EventSource = options.source?.(metrics) ?? (http as HttpEventSource);
  let stopping = false;
  const thresholds: HealthThresholds = {
    ...defaultHealthThresholds(options.flush.intervalMs),
    ...options.health,
  };
  const server = await startSutServer({
    host: options.host,
    port: options.port,
    metrics,
    ...(options.headersTimeoutMs === undefined
      ? {}
      : { headersTimeoutMs: options.headersTimeoutMs }),
    ...(http === undefined ? {} : { events: http }),
    health: () => {
      const state = {
        stopping,
        partitions: service.healthStates(),
        lastRefusedAt: metrics.lastRefusedAt,
        ...(source.consumerHealth === undefined ? {} : { consumer: source.consumerHealth() }),
      };
      return healthBody(
        { variant: options.variant, partitions: options.partitions, source: source.name },
        evaluateHealth(state, Date.now(), thresholds),
        thresholds,
      );
    },
  });
  service.start();
  try {
    await source.start(service);
  } catch (error) {
    // A source that cannot start (no broker, a topic with the wrong partitions): undo the rest.
    await service.stop();
    await server.close();
    throw error;
  }
  let stopped: Promise<number> | undefined;
  return {
    url: server.url,
    metrics,
    service,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        await source.stop();
        const left = await service.stop();
        await source.close?.();
        await server.close();
        return left;
      })();
      return stopped;
    },
  };
}
