import type pg from 'pg';
import type { HealthLimits } from './health-limits.ts';
import { parseDuration } from '../../simulator/duration.ts';
import {
  DEFAULT_SIMULATION,
  planScenarios,
  type ExecutorConfig,
  type ScenarioPlanConfig,
  type SimulationConfig,
} from '../../simulator/simulation.ts';
import type { FlushPhase } from '../../sut/buffer/flush-worker.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';
import type { FaultSpec } from '../faults/fault-spec.ts';
import type { ScenarioWindow } from './latency-store.ts';
import type { ProvisionedDatabase } from './provisioned-database.ts';
import type { ProvisionedKafka } from './provisioned-kafka.ts';
import type { ValidScenarioOptions } from './scenario-options.ts';

/*
 * What a run is given and what its stages share: the scenario's settings with every default
 * filled in, the simulator's plan, the database session, and the shape of one second of it.
 */

/** The harness keys of a scenario with every default filled in (the production configuration). */
export interface RunSettings {
  /** How events reach the service: `POST /events`, or a Kafka topic (KAFKA_BROKERS). */
  readonly transport: 'http' | 'kafka';
  readonly variant: string;
  readonly partitions: number;
  readonly flushIntervalMs: number;
  readonly flushPhase: FlushPhase;
  readonly bufferSize: number;
  readonly players: number;
  readonly goals: number;
  readonly seed: number;
  /** Zipf exponent of player activity and the event mix (harness.skew, harness.mix). */
  readonly skew: number;
  readonly mix: Readonly<Record<string, number>>;
  readonly dbCpuLimitPercent: number;
  /** The main scenario's executor (the one that starts last) and its name. */
  readonly executor: ExecutorConfig;
  readonly scenarioName: string;
  /** Every scenario of the file, each from its start time (k6's `scenarios`). */
  readonly scenarios: readonly (ScenarioPlanConfig & { readonly gracefulStopMs: number })[];
  /** Seed the table as COPY leaves it, not as a long-lived one (--fresh-table). */
  readonly freshTable: boolean;
  /** What to break during the run (harness.faults), in the scenario's terms. */
  readonly faults: readonly FaultSpec[];
  /**
   * false: HTTP flushes without their fence (--no-flush-fence), to show what a lost COMMIT
   * reply does without it.
   */
  readonly flushFence: boolean;
  /** The /healthz limits given to the service(s); the rest keep the service's defaults. */
  readonly health: HealthLimits;
}

function executorOf(scenario: ValidScenarioOptions['scenarios'][string]): ExecutorConfig {
  return scenario.executor === 'constant-arrival-rate'
    ? {
        executor: 'constant-arrival-rate',
        rate: scenario.rate,
        duration: scenario.duration,
        ...(scenario.timeUnit === undefined ? {} : { timeUnit: scenario.timeUnit }),
      }
    : {
        executor: 'ramping-arrival-rate',
        startRate: scenario.startRate ?? 0,
        stages: scenario.stages,
        ...(scenario.timeUnit === undefined ? {} : { timeUnit: scenario.timeUnit }),
      };
}

/** k6's default gracefulStop: how long a scenario's last events may still be in flight. */
const DEFAULT_GRACEFUL_STOP = '30s';

export function runSettings(options: ValidScenarioOptions): RunSettings {
  const scenarios = Object.entries(options.scenarios).map(([name, scenario]) => {
    const executor = executorOf(scenario);
    return {
      name,
      executor,
      startTimeMs: parseDuration(scenario.startTime ?? '0s', 'startTime'),
      gracefulStopMs: parseDuration(scenario.gracefulStop ?? DEFAULT_GRACEFUL_STOP, 'gracefulStop'),
    };
  });
  // The scenario that starts last is the one a run is about (a warm-up comes first): the
  // summary names it, and --rate and --duration change it.
  const main = scenarios.reduce((a, b) => (b.startTimeMs >= a.startTimeMs ? b : a));
  const h = options.harness ?? {};
  return {
    transport: h.transport ?? 'http',
    variant: h.variant ?? PRODUCTION.variant,
    partitions: h.partitions ?? PRODUCTION.partitions,
    flushIntervalMs: h.flushIntervalMs ?? PRODUCTION.flushIntervalMs,
    flushPhase: h.flushPhase ?? 'aligned',
    bufferSize: h.bufferSize ?? PRODUCTION.bufferSize,
    players: h.players ?? PRODUCTION.players,
    goals: h.goals ?? PRODUCTION.goalsPerPlayer,
    seed: h.seed ?? PRODUCTION.seed,
    skew: h.skew ?? DEFAULT_SIMULATION.skew,
    mix: h.mix ?? DEFAULT_SIMULATION.mix,
    dbCpuLimitPercent: h.dbCpuLimitPercent ?? PRODUCTION.dbCpuLimitPercent,
    executor: main.executor,
    scenarioName: main.name,
    scenarios,
    faults: h.faults ?? [],
    flushFence: h.flushFence ?? true,
    health: h.health ?? {},
    freshTable: h.freshTable ?? false,
  };
}

/** The simulator's plan for a run: the scenario's players, seed, partitions and schedule. */
export function simulationOf(
  settings: RunSettings,
): SimulationConfig & { scenarios: RunSettings['scenarios'] } {
  return {
    ...DEFAULT_SIMULATION,
    players: settings.players,
    seed: settings.seed,
    skew: settings.skew,
    mix: settings.mix,
    partitions: settings.partitions,
    executor: settings.executor,
    scenarios: settings.scenarios,
  };
}

/** When each scenario's samples were taken, for tagging them: its run, and its graceful stop. */
export function scenarioWindows(settings: RunSettings): ScenarioWindow[] {
  const plan = planScenarios(settings.scenarios);
  return settings.scenarios.map((s, i) => {
    const runEndMs = s.startTimeMs + (plan.scenarios[i]?.plan.durationMs ?? 0);
    return { name: s.name, startMs: s.startTimeMs, endMs: runEndMs + s.gracefulStopMs, runEndMs };
  });
}

/** One second of the run, from the difference between two scrapes of the service. */
export interface SeriesPoint {
  t: number;
  targetRate: number;
  eventsPerSecond: number;
  flushP95Ms: number | null;
  eventToCommitP99Ms: number | null;
  bufferDepth: number;
  errors: number;
  /** Faults that started in this second. */
  faults?: string[];
}

/** What a run works on: the database session, and the broker for a Kafka scenario. */
export interface RunSession {
  readonly client: pg.Client;
  readonly database: ProvisionedDatabase;
  readonly schema: string;
  readonly table: TargetTable;
  readonly kafka?: ProvisionedKafka;
}
