import { UsageError } from '../lib/errors.ts';
import { runArrivals, type RunStats, type Shard } from './arrival-runner.ts';
import { EventGenerator } from './event-generator.ts';
import { buildMix, DEFAULT_MIX_WEIGHTS } from './event-mix.ts';
import type { ArrivalPlan } from './executors/arrival-plan.ts';
import { combinePlans, type CombinedPlan } from './executors/combined-plan.ts';
import {
  planConstantArrivalRate,
  type ConstantArrivalRateConfig,
} from './executors/constant-arrival-rate.ts';
import {
  planRampingArrivalRate,
  type RampingArrivalRateConfig,
} from './executors/ramping-arrival-rate.ts';
import { MAX_PLAYERS } from '../sut/db/player-ids.ts';
import { Population } from './population.ts';
import { MAX_PARTITIONS } from '../sut/partitioning/fnv1a.ts';
import { systemClock, type SimClock } from './sim-clock.ts';
import type { EventSinkTarget } from './sinks/event-sink.ts';
import { PRODUCTION } from '../sut/production-defaults.ts';

export type ExecutorConfig = ConstantArrivalRateConfig | RampingArrivalRateConfig;

/** The executors by their k6 type string: an explicit map, no registration by side effect. */
export const EXECUTORS: Record<ExecutorConfig['executor'], (config: never) => ArrivalPlan> = {
  'constant-arrival-rate': planConstantArrivalRate,
  'ramping-arrival-rate': planRampingArrivalRate,
};

export interface SimulationConfig {
  /** Players (default 10,000), the seeder's ids for the same seed. */
  readonly players: number;
  readonly seed: number;
  /** Zipf exponent of player activity; 0 = uniform. */
  readonly skew: number;
  /** Weights per source (`login` or a stat code). */
  readonly mix: Readonly<Record<string, number>>;
  readonly namespace: string;
  readonly partitions: number;
  readonly shard: Shard;
  readonly executor: ExecutorConfig;
  /**
   * Several scenarios (k6's `scenarios`), each from its `startTimeMs`; when given, they are
   * the plan and `executor` is not used.
   */
  readonly scenarios?: readonly ScenarioPlanConfig[];
  /** Events more than this late are dropped (ms). */
  readonly dropAfterMs: number;
}

export interface ScenarioPlanConfig {
  readonly name: string;
  readonly executor: ExecutorConfig;
  readonly startTimeMs: number;
}

/** The plan of several scenarios: each planned, shifted by its start, merged in time order. */
export function planScenarios(scenarios: readonly ScenarioPlanConfig[]): CombinedPlan {
  return combinePlans(
    scenarios.map((s) => ({
      name: s.name,
      plan: planArrivals(s.executor),
      startMs: s.startTimeMs,
    })),
  );
}

export const DEFAULT_SIMULATION: Omit<SimulationConfig, 'executor'> = {
  players: PRODUCTION.players,
  seed: PRODUCTION.seed,
  skew: 0,
  mix: DEFAULT_MIX_WEIGHTS,
  namespace: 'harness',
  partitions: PRODUCTION.partitions,
  shard: { index: 0, count: 1 },
  dropAfterMs: 1000,
};

/** The executor's schedule; a UsageError for one that cannot be planned. */
export function planArrivals(executor: ExecutorConfig): ArrivalPlan {
  return (EXECUTORS[executor.executor] as (c: ExecutorConfig) => ArrivalPlan)(executor);
}

/** Parses `i/N` (0-based i < N). */
export function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index >= count) {
    throw new UsageError(
      `--shard "${value}" must be i/N with 0 <= i < N, like 0/4 for the first of four simulators`,
    );
  }
  return { index, count };
}

/** Everything checked and planned before a single event goes out. */
export interface PreparedSimulation {
  readonly plan: ArrivalPlan;
  readonly population: Population;
  readonly generator: EventGenerator;
}

export function prepareSimulation(config: SimulationConfig): PreparedSimulation {
  const problems: string[] = [];
  if (!Number.isInteger(config.players) || config.players < 1 || config.players > MAX_PLAYERS)
    problems.push(
      `players must be an integer from 1 to ${MAX_PLAYERS.toLocaleString('en-US')}, got ${config.players}`,
    );
  if (!(config.skew >= 0))
    problems.push(`skew (Zipf exponent) must be at least 0, got ${config.skew}`);
  if (
    !Number.isInteger(config.partitions) ||
    config.partitions < 1 ||
    config.partitions > MAX_PARTITIONS
  )
    problems.push(
      `partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${config.partitions}`,
    );
  if (problems.length > 0) throw new UsageError('the simulation is not valid:', problems);
  const mix = buildMix(config.mix);
  const plan =
    config.scenarios === undefined
      ? planArrivals(config.executor)
      : planScenarios(config.scenarios);
  const population = new Population(config.players, config.seed, config.partitions, config.skew);
  return {
    plan,
    population,
    generator: new EventGenerator(population, mix, config.seed, config.namespace),
  };
}

/** The library entry point the scenario runner uses: plan, run against a sink, report. */
export async function simulate(
  config: SimulationConfig,
  sink: EventSinkTarget,
  options: {
    clock?: SimClock;
    onProgress?: Parameters<typeof runArrivals>[0]['onProgress'];
    prepared?: PreparedSimulation;
    signal?: AbortSignal;
  } = {},
): Promise<RunStats> {
  const { plan, population, generator } = options.prepared ?? prepareSimulation(config);
  return runArrivals({
    plan,
    generator,
    population,
    shard: config.shard,
    sink,
    clock: options.clock ?? systemClock,
    dropAfterMs: config.dropAfterMs,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
