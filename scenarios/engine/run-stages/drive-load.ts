import type { Logger } from '../../../lib/logger.ts';
import type { RunStats } from '../../../simulator/arrival-runner.ts';
import type { DeliveryLedger } from '../../../simulator/delivery-ledger.ts';
import { simulate, type prepareSimulation } from '../../../simulator/simulation.ts';
import { runFaults, type FaultRecord } from '../../faults/fault-runner.ts';
import type { FaultTargets } from '../../faults/fault-type.ts';
import type { TimedFault } from '../../faults/fault-spec.ts';
import type { GeneratorLine } from '../generator-fleet.ts';
import type { LatencyStore } from '../latency-store.ts';
import type { ParsedThreshold } from '../run-metrics.ts';
import {
  scenarioWindows,
  type RunSettings,
  type SeriesPoint,
  type simulationOf,
} from '../run-plan.ts';
import { labelScenarios } from '../scenario-label.ts';
import type { ServiceGroup } from '../service-group.ts';
import type { EventSinkStage } from './event-sink.ts';
import type { GeneratorsStage } from './start-generators.ts';
import { startLoadSampler } from './load-sampler.ts';
import type { Probes } from './probes.ts';

export interface LoadOutcome {
  readonly sim: RunStats;
  readonly generators: GeneratorLine[] | null;
  readonly faults: FaultRecord[];
  readonly series: SeriesPoint[];
  readonly cpuSamples: number[];
  /** Why the load stopped early (Ctrl-C, an abortOnFail threshold), or null. */
  readonly aborted: string | null;
  /** When the load started (performance.now()): the run's duration counts from it. */
  readonly started: number;
  /** The same moment as a clock time (Date.now()): the audit's ledger keeps it. */
  readonly startedAt: number;
}

/**
 * Stage `load`: the load itself, from this process's sink or from the generators, sampled
 * every second, with the scenario's faults carried out at their times. Ctrl-C (`signal`) or
 * an abortOnFail threshold stops it early; the sampler and the faults end with it.
 */
export async function driveLoad(input: {
  readonly signal: AbortSignal;
  readonly settings: RunSettings;
  readonly simulation: ReturnType<typeof simulationOf>;
  readonly prepared: ReturnType<typeof prepareSimulation>;
  readonly service: ServiceGroup;
  readonly sink: EventSinkStage | undefined;
  readonly generators: GeneratorsStage | undefined;
  readonly probes: Probes;
  readonly thresholds: readonly ParsedThreshold[];
  readonly latency: LatencyStore;
  readonly ledger: DeliveryLedger;
  readonly faultPlan: readonly TimedFault[];
  /** What the faults act on, but for the time the load starts. */
  readonly faultTargets: FaultTargets;
  readonly logger: Logger;
}): Promise<LoadOutcome> {
  const { signal, logger, simulation, prepared, settings } = input;
  const abort = new AbortController();
  let aborted: string | null = null;
  const onOuterAbort = () => {
    aborted = 'interrupted';
    abort.abort();
  };
  signal.addEventListener('abort', onOuterAbort);
  if (signal.aborted) onOuterAbort();
  const started = performance.now();
  const startedAt = Date.now();
  input.latency.startLoad();
  const scenarioLabel = labelScenarios(() => input.service.urls, scenarioWindows(settings), logger);
  let sent = 0;
  const { sampler, series, cpuSamples } = startLoadSampler({
    service: input.service,
    rateAt: (ms) => prepared.plan.rateAt(ms),
    cpu: input.probes.cpu,
    machine: input.probes.machine,
    thresholds: input.thresholds,
    latency: input.latency,
    variant: settings.variant,
    started,
    sent: () => sent,
    aborted: () => aborted !== null,
    abortWith: (reason) => {
      aborted = reason;
      abort.abort();
    },
    logger,
  });
  const faultsOver = new AbortController();
  const faultsDone = runFaults(
    input.faultPlan,
    input.faultTargets,
    started,
    faultsOver.signal,
    (f) => {
      logger.warn(
        `fault at ${f.t.toFixed(1)} s: ${f.detail}${f.ok ? ` (done in ${(f.durationMs / 1000).toFixed(1)} s)` : ` FAILED: ${f.error ?? ''}`}`,
      );
    },
  );
  let sim: RunStats;
  let generators: GeneratorLine[] | null = null;
  let faults: FaultRecord[];
  try {
    const fleet = input.generators?.fleet;
    if (fleet !== undefined) {
      const onStop = () => {
        fleet.stop();
      };
      abort.signal.addEventListener('abort', onStop);
      const progress = setInterval(() => (sent = fleet.sent), 1000);
      fleet.go();
      // Stopped before it started (Ctrl-C while the generators were getting ready).
      if (abort.signal.aborted) fleet.stop();
      try {
        ({ merged: sim, generators } = await fleet.finish(input.ledger));
        // They exited and their folder is gone: nothing left to kill.
        input.generators?.kill.dismiss();
      } finally {
        clearInterval(progress);
        abort.signal.removeEventListener('abort', onStop);
      }
    } else if (input.sink !== undefined) {
      sim = await simulate(simulation, input.sink.sink, {
        prepared,
        signal: abort.signal,
        onProgress: (p) => (sent = p.sent),
      });
      await input.sink.close.stop();
    } else throw new Error('a run needs a sink or generators');
  } finally {
    signal.removeEventListener('abort', onOuterAbort);
    // Faults planned past the load's end are not carried out; one under way finishes (a
    // stopped server is started again) before the service is stopped and the table read.
    faultsOver.abort();
    await scenarioLabel.stop();
    faults = await faultsDone;
    await sampler.stop();
  }
  return { sim, generators, faults, series, cpuSamples, aborted, started, startedAt };
}
