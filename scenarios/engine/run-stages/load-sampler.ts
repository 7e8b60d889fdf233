import type { Logger } from '../../../lib/logger.ts';
import { END_OF_RUN_METRICS } from '../../../results/metric-registry.ts';
import { sampleDelta, sumOf, type PromSample } from '../../../results/stats/prometheus-text.ts';
import type { IntervalMetric } from '../../../sut/metrics/interval-recorder.ts';
import { METRIC_NAMES } from '../../../sut/metrics/metric-names.ts';
import type { Aggregation } from '../../thresholds/threshold-parser.ts';
import type { DbCpuProbe } from '../db-cpu.ts';
import type { LatencyStore } from '../latency-store.ts';
import type { MachineLoadMeter } from '../machine-load.ts';
import { startPerSecondSampler, type RunningSampler } from '../per-second-sampler.ts';
import type { SeriesPoint } from '../run-plan.ts';
import { evaluate, fromHdr, metricReaders, type ParsedThreshold } from '../run-metrics.ts';
import type { ServiceGroup } from '../service-group.ts';

export interface LoadSampler {
  readonly sampler: RunningSampler;
  /** One point per second of the load, as the sampler took them. */
  readonly series: SeriesPoint[];
  /** The database's CPU share at each sample, when the run can read it. */
  readonly cpuSamples: number[];
}

/**
 * Samples the service's /metrics and the database's CPU every second of the load, logs a
 * line for each, and checks the abortOnFail thresholds as it goes: the first that fails
 * calls `abortWith` with why.
 */
export function startLoadSampler(input: {
  readonly service: ServiceGroup;
  readonly rateAt: (ms: number) => number;
  readonly cpu: DbCpuProbe | { unavailable: string };
  readonly machine: MachineLoadMeter;
  readonly thresholds: readonly ParsedThreshold[];
  readonly latency: LatencyStore;
  readonly variant: string;
  readonly started: number;
  readonly sent: () => number;
  readonly aborted: () => boolean;
  readonly abortWith: (reason: string) => void;
  readonly logger: Logger;
}): LoadSampler {
  const { service, cpu, machine, logger, latency, variant } = input;
  const series: SeriesPoint[] = [];
  const cpuSamples: number[] = [];
  let previous: PromSample[] = [];
  const sampler = startPerSecondSampler({
    intervalMs: 1000,
    now: () => performance.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    scrape: () => service.scrape(),
    onSample: async (samples, { second, seconds }) => {
      const window = sampleDelta(samples, previous);
      previous = samples;
      const t = second;
      // A service that died between two reads took its last figures with it: never below 0.
      const accepted = Math.max(0, sumOf(window, METRIC_NAMES.eventsAcceptedTotal) / seconds);
      // This second's exact histograms, all partitions together, the open second closed as
      // it stands: each point is exactly what came since the last one (the service's seconds
      // and this loop's do not line up; waiting for whole seconds would leave some points
      // empty and double others).
      const exactSecond = await service.pullIntervals(true);
      const secondOf = (metric: IntervalMetric, a: Aggregation) => {
        const h = exactSecond.get(metric);
        return h === undefined ? Number.NaN : fromHdr(h, a, 1 / 1000);
      };
      const p95 = secondOf('flushDurationUs', { kind: 'p', percentile: 95 });
      const e2c = secondOf('eventToCommitUs', { kind: 'p', percentile: 99 });
      const point: SeriesPoint = {
        t,
        targetRate: input.rateAt(t * 1000),
        eventsPerSecond: accepted,
        flushP95Ms: Number.isFinite(p95) ? p95 : null,
        eventToCommitP99Ms: Number.isFinite(e2c) ? e2c : null,
        bufferDepth: sumOf(samples, METRIC_NAMES.bufferDepth),
        errors:
          sumOf(samples, METRIC_NAMES.flushErrorsTotal) +
          sumOf(samples, METRIC_NAMES.eventsRejectedTotal),
      };
      series.push(point);
      if ('sample' in cpu) cpuSamples.push(await cpu.sample());
      await machine.sample();
      logger.info(
        `${t} s | target ${input.rateAt(t * 1000).toFixed(0)} ev/s, achieved ${accepted.toFixed(0)} ev/s | flush p95 ${point.flushP95Ms === null ? '-' : point.flushP95Ms.toFixed(1)} ms | buffer ${point.bufferDepth} | errors ${point.errors} | sent ${input.sent()}`,
      );
      const meanCpu =
        cpuSamples.length === 0
          ? undefined
          : cpuSamples.reduce((a, b) => a + b, 0) / cpuSamples.length;
      const elapsed = (performance.now() - input.started) / 1000;
      const failing = evaluate(
        input.thresholds.filter(
          (th) =>
            th.abortOnFail &&
            !END_OF_RUN_METRICS.has(th.metric) &&
            elapsed * 1000 >= th.delayAbortEvalMs,
        ),
        metricReaders(
          samples,
          undefined,
          elapsed,
          meanCpu,
          undefined,
          { latency, variant },
          series,
        ),
        variant,
        // A sub-metric with no samples yet (its scenario has not started) is not failing.
      ).filter((o) => !o.ok && o.value !== null);
      if (failing.length > 0 && !input.aborted()) {
        const reason = `threshold ${failing[0]?.metric ?? ''} ${failing[0]?.expression ?? ''} failed with abortOnFail at ${t} s`;
        logger.warn(reason);
        input.abortWith(reason);
      }
    },
    onError: (error: unknown) => {
      logger.warn(`sampling /metrics failed: ${(error as Error).message}`);
    },
  });
  return { sampler, series, cpuSamples };
}
