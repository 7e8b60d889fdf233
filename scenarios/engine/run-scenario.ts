import type { FlushPhase } from '../../sut/buffer/flush-worker.ts';
import type { ProvisionedDatabase } from './provisioned-database.ts';
import type { Logger } from '../../lib/logger.ts';
import { sampleDelta, sumOf, type PromSample } from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { parseDuration } from '../../simulator/duration.ts';
import {
  DEFAULT_SIMULATION,
  prepareSimulation,
  simulate,
  planScenarios,
  type ExecutorConfig,
  type ScenarioPlanConfig,
  type SimulationConfig,
} from '../../simulator/simulation.ts';
import { DEFAULT_HTTP_SINK, HttpSink } from '../../simulator/sinks/http-sink.ts';
import { DEFAULT_KAFKA_SINK, KafkaSink } from '../../simulator/sinks/kafka-sink.ts';
import type { EventSinkTarget } from '../../simulator/sinks/event-sink.ts';
import { createKafka } from '../../sut/kafka/kafka-client.ts';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../sut/db/seeder.ts';
import type { TargetTable } from '../../sut/db/target-table.ts';
import { loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { GoalRouter } from '../../sut/catalogue/goal-router.ts';
import { connectClient } from '../../sut/db/pool.ts';
import { DELIVERY, DeliveryLedger, type Delivery } from '../../simulator/delivery-ledger.ts';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { encodeEvent } from '../../sut/kafka/event-codec.ts';
import type { ProvisionedKafka } from './provisioned-kafka.ts';
import { faultNeeds, planFaults, type FaultSpec } from '../faults/fault-spec.ts';
import { runFaults, type FaultRecord } from '../faults/fault-runner.ts';
import { healthLimitArgs, type HealthLimits } from './health-limits.ts';
import { pickPoisonPlayers } from '../faults/poison-players.ts';
import { startPgLinkProxy } from '../faults/pg-link-proxy.ts';
import {
  auditIncrements,
  auditKey,
  readAuditRows,
  readDeadLetters,
  readProgress,
  type AuditReport,
  type InjectedEvent,
  type AuditInput,
  type AuditRecord,
  auditRecordOf,
} from './increment-audit.ts';
import { topicEnds, waitForStoredOffsets } from './kafka-catch-up.ts';
import { ServiceGroup, type ServiceInstanceLine } from './service-group.ts';
import { GeneratorFleet, type GeneratorLine } from './generator-fleet.ts';
import { MachineLoadMeter, type MachineLoad } from './machine-load.ts';
import { postmasterPid, sessionPostmasterPid } from './postmaster-pid.ts';
import { labelScenarios } from './scenario-label.ts';
import { LatencyStore, type EncodedLatencies, type ScenarioWindow } from './latency-store.ts';
import { settlingOf, type Settling } from './settling.ts';
import type { IntervalMetric } from '../../sut/metrics/interval-recorder.ts';
import type { Aggregation } from '../thresholds/threshold-parser.ts';
import { dbCpuProbe } from './db-cpu.ts';
import { RunCostMeter, type RunCost } from '../cost/run-cost.ts';
import { measureCeilingAt } from '../cost/ceiling.ts';
import { startPerSecondSampler } from './per-second-sampler.ts';
import {
  evaluate,
  fromHdr,
  metricReaders,
  parseThresholds,
  type MetricReader,
  type ThresholdOutcome,
} from './run-metrics.ts';
import { type ValidScenarioOptions } from './scenario-options.ts';
import { END_OF_RUN_METRICS, type HarnessMetric } from '../../results/metric-registry.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';

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

export interface RunOutcome {
  readonly durationMs: number;
  readonly samples: PromSample[];
  readonly sim: RunStats;
  readonly readers: Record<HarnessMetric, MetricReader>;
  readonly thresholds: ThresholdOutcome[];
  readonly series: SeriesPoint[];
  readonly dbCpu: { percent: number } | { unavailable: string };
  readonly aborted: string | null;
  readonly faults: FaultRecord[];
  readonly audit: AuditReport;
  /** What the audit judged, for the run's ledger (docs/audit.md). */
  readonly auditRecord: AuditRecord;
  /** Processes the service ran as: one per instance, plus one per restart a fault caused. */
  readonly serviceLives: number;
  /** Each instance of the service in one consumer group (--services N): one for a single service. */
  readonly services: readonly ServiceInstanceLine[];
  /** How busy the machine was while the run measured, and with what. */
  readonly machine: MachineLoad | null;
  /** Whether the load measured steady from its start: its first and last seconds compared. */
  readonly settling: Settling | null;
  /** The service's exact histograms: metric -> scenario -> partition -> compressed HdrHistogram. */
  readonly latency: EncodedLatencies;
  /** What the link proxy did, when the run's faults put one in. */
  readonly link: { connections: number; resets: number; commitRepliesDropped: number } | null;
  /** What the load cost the database per row, where its time went, and the ceiling. */
  readonly cost: RunCost | null;
  /** Each generator's share, when several processes made the load (--generators N). */
  readonly generators: readonly GeneratorLine[] | null;
}

/** What a run works on: the database session, and the broker for a Kafka scenario. */
export interface RunSession {
  readonly client: pg.Client;
  readonly database: ProvisionedDatabase;
  readonly schema: string;
  readonly table: TargetTable;
  readonly kafka?: ProvisionedKafka;
}

/**
 * The parts a scenario's faults act on must be there: a server the harness runs for
 * PostgreSQL faults, a broker of the run's own (--kafka local) for broker restarts. Refused
 * before anything starts.
 */
export function faultProblems(
  faults: readonly FaultSpec[],
  context: {
    readonly transport: 'http' | 'kafka';
    readonly serverControl: boolean;
    readonly brokerControl: boolean;
    /** Processes making the load (--generators N). */
    readonly generators?: number;
    /** Services in one consumer group (--services N). */
    readonly services?: number;
  },
): string[] {
  const problems: string[] = [];
  for (const f of faults) {
    const needs = faultNeeds(f.action);
    if (
      (f.action === 'kill-service' || f.action === 'stop-service') &&
      f.service !== undefined &&
      f.service >= (context.services ?? 1)
    )
      problems.push(
        `${f.action}: service ${f.service} does not exist: the run has ${context.services ?? 1} service${(context.services ?? 1) === 1 ? '' : 's'}, numbered from 0 (--services N)`,
      );
    // The audit bounds what a crash may lose by the events acknowledged while the service
    // died, in the order they were: only a generator in this process has that order.
    if (f.action === 'kill-service' && (context.generators ?? 1) > 1)
      problems.push(
        `${f.action}: the audit's crash window needs the order of the acknowledgements, which only one generator in the harness's own process records: run it without --generators`,
      );
    if (needs === 'postgres' && !context.serverControl)
      problems.push(
        `${f.action}: needs a PostgreSQL the harness starts and controls (the embedded one: unset DATABASE_URL or pass --db embedded)`,
      );
    if (needs === 'broker' && context.transport !== 'kafka')
      problems.push(`${f.action}: the scenario's transport is http, which has no broker`);
    else if (needs === 'broker' && !context.brokerControl)
      problems.push(
        `${f.action}: needs a broker of the run's own to restart: pass --kafka local (a shared broker is not the run's to restart)`,
      );
  }
  return [...new Set(problems)];
}

/**
 * Where the service writes: the run's schema and, for a user's table, that table, with leave
 * to change its rows (the run has just seeded it, with the user's leave or because it was empty).
 */
function childTableArgs(schema: string, table: TargetTable): string[] {
  return ['--schema', schema, ...(table.owned ? [] : ['--table', table.label, '--replace-rows'])];
}

/**
 * One scenario, end to end: seed, start the service as a child process, drive it with the
 * simulator, sample its /metrics and the database's CPU every second (checking abortOnFail
 * thresholds as it goes), carry out the scenario's faults at their times, stop everything,
 * audit every increment against the table, and evaluate the thresholds.
 */
export async function runScenario(
  session: RunSession,
  options: ValidScenarioOptions,
  settings: RunSettings,
  logger: Logger,
  signal: AbortSignal,
  hooks: {
    /** Where the service listens (0: a free port). */
    readonly sutPort?: number;
    /** Called as the table is seeded, before the service starts. */
    readonly onSeedProgress?: (rows: number, total: number) => void;
    /** Simulator processes making the load, each a shard of it (1: the load runs in this one). */
    readonly generators?: number;
    /** Services in one consumer group (Kafka transport); service faults act on the first. */
    readonly services?: number;
    /** Told of every second's exact values as they arrive (k6's --out json). */
    readonly onInterval?: ConstructorParameters<typeof LatencyStore>[1];
  } = {},
): Promise<RunOutcome> {
  const brokers = session.kafka?.brokers;
  if (settings.transport === 'kafka' && brokers === undefined)
    throw new Error('a Kafka scenario needs the brokers provisioned by the caller');
  if ((hooks.services ?? 1) > 1 && settings.transport !== 'kafka')
    throw new Error('several services need the Kafka transport (one consumer group)');
  // A topic and group of its own per run: a run never reads another run's events.
  const kafkaNames = `scenario-${settings.scenarioName}-${randomBytes(4).toString('hex')}`;
  const thresholds = parseThresholds(options, (d) => parseDuration(d, 'delayAbortEval'));
  const simulation = simulationOf(settings);
  const prepared = prepareSimulation(simulation);
  const latency = new LatencyStore(scenarioWindows(settings), hooks.onInterval);
  const catalogue = await loadCatalogue();
  // The session's connection, or a new one when an earlier variant's faults cut it.
  const client = await liveClient(session, session.client);
  await seedProgress(client, {
    players: settings.players,
    goalsPerPlayer: settings.goals,
    seed: settings.seed,
    shares: DEFAULT_SEED_SHARES,
    catalogue,
    table: session.table,
    fresh: settings.freshTable,
    ...(hooks.onSeedProgress === undefined ? {} : { onProgress: hooks.onSeedProgress }),
  });
  // The audit's starting point, read before the first event.
  const auditStarted = performance.now();
  const dailyGoals = new Set(catalogue.goals.filter((g) => g.daily).map((g) => g.goalId));
  const before = await readAuditRows(client, session.table, dailyGoals);
  const router = new GoalRouter(catalogue);
  const runStart = (await client.query<{ now: Date }>('SELECT now() AS now')).rows[0]?.now as Date;
  let auditMs = performance.now() - auditStarted;
  const cpu = await dbCpuProbe(session.database.dataDir);
  const faultPlan = planFaults(settings.faults);
  // Each poison fault names a player of its own, one with a row the overflow can reach; in a
  // population too small to have one, the last players, and the overflows may find nothing.
  const poisons = faultPlan.some((f) => f.spec.action === 'poison');
  const overflowable = poisons
    ? pickPoisonPlayers(
        prepared.population.ids,
        router,
        (userId, goalId) => before.get(auditKey(userId, goalId)),
        simulation.namespace,
      )
    : [];
  if (poisons && overflowable.length === 0)
    logger.warn(
      'no seeded player has a row an overflow poison can reach (active, not claimed, not daily, progress above 0): the overflow poisons may find nothing to overflow; seed more players',
    );
  const poisonPlayers =
    overflowable.length > 0 ? overflowable : prepared.population.ids.slice(-16).reverse();
  const link = faultPlan.some((f) => faultNeeds(f.spec.action) === 'link')
    ? await startPgLinkProxy(session.database.url)
    : undefined;
  const ledger = new DeliveryLedger(prepared.plan.totalEvents);
  const sutPort = hooks.sutPort ?? 0;
  const service = await ServiceGroup.start(
    hooks.services ?? 1,
    [
      '--skip-seed',
      ...childTableArgs(session.schema, session.table),
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
      // With link faults the service reaches the database through the proxy.
      DATABASE_URL: link?.url ?? session.database.url,
      ...(brokers === undefined ? {} : { KAFKA_BROKERS: brokers.join(',') }),
    },
    sutPort,
    ledger,
    latency,
  );
  logger.info(
    service.size === 1
      ? `service (variant ${settings.variant}) at ${service.url}: Prometheus can scrape ${service.url}/metrics while the scenario runs`
      : `${service.size} services (variant ${settings.variant}) in consumer group ${kafkaNames} at ${service.urls.join(', ')}: Prometheus can scrape each one's /metrics while the scenario runs`,
  );
  const kafka =
    settings.transport === 'kafka'
      ? createKafka(brokers ?? [], `harness-run-${process.pid}`)
      : undefined;
  const generatorCount = hooks.generators ?? 1;
  const sink: EventSinkTarget | undefined =
    generatorCount > 1
      ? undefined
      : kafka !== undefined
        ? await KafkaSink.connect({
            ...DEFAULT_KAFKA_SINK,
            kafka,
            topic: kafkaNames,
            partitions: settings.partitions,
            ledger,
          })
        : new HttpSink({
            ...DEFAULT_HTTP_SINK,
            url: service.url,
            partitions: settings.partitions,
            ledger,
          });
  const series: SeriesPoint[] = [];
  const cpuSamples: number[] = [];
  const abort = new AbortController();
  let aborted: string | null = null;
  const onOuterAbort = () => {
    aborted = 'interrupted';
    abort.abort();
  };
  signal.addEventListener('abort', onOuterAbort);
  if (signal.aborted) onOuterAbort();
  const dataDir = session.database.dataDir;
  // A server named by URL may still run here (an ab session's, a local one): count its CPU.
  const serverPid = dataDir === undefined ? await sessionPostmasterPid(client) : undefined;
  const machine = new MachineLoadMeter({
    harness: process.pid,
    service: () => service.pids,
    database: () => (dataDir === undefined ? Promise.resolve(serverPid) : postmasterPid(dataDir)),
    broker: () => session.kafka?.control?.pid() ?? Promise.resolve(undefined),
  });
  await machine.sample();
  // The producer of the poison faults' events, connected before the load starts.
  const injector = kafka?.producer();
  await injector?.connect();
  // Several generators: each its own process with its shard of the players, started and
  // prepared after everything else that may fail before the load, told to go when the run
  // starts measuring.
  const fleet =
    generatorCount > 1
      ? await GeneratorFleet.start(generatorCount, {
          players: simulation.players,
          seed: simulation.seed,
          skew: simulation.skew,
          mix: simulation.mix,
          partitions: simulation.partitions,
          namespace: simulation.namespace,
          scenarios: settings.scenarios,
          sink:
            kafka !== undefined
              ? { kind: 'kafka', brokers: brokers ?? [], topic: kafkaNames }
              : { kind: 'http', url: service.url },
        }).catch(async (error: unknown) => {
          await injector?.disconnect();
          await service.stop();
          throw error;
        })
      : undefined;
  const costMeter = await RunCostMeter.start(
    client,
    session.database.url,
    session.schema,
    session.table,
    () => (dataDir === undefined ? Promise.resolve(serverPid) : postmasterPid(dataDir)),
  ).catch(async (error: unknown) => {
    await fleet?.kill();
    throw error;
  });
  const started = performance.now();
  const loadStartedAt = Date.now();
  latency.startLoad();
  const scenarioLabel = labelScenarios(() => service.urls, scenarioWindows(settings), logger);
  let previous: PromSample[] = [];
  let sent = 0;
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
        targetRate: prepared.plan.rateAt(t * 1000),
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
        `${t} s | target ${prepared.plan.rateAt(t * 1000).toFixed(0)} ev/s, achieved ${accepted.toFixed(0)} ev/s | flush p95 ${point.flushP95Ms === null ? '-' : point.flushP95Ms.toFixed(1)} ms | buffer ${point.bufferDepth} | errors ${point.errors} | sent ${sent}`,
      );
      const meanCpu =
        cpuSamples.length === 0
          ? undefined
          : cpuSamples.reduce((a, b) => a + b, 0) / cpuSamples.length;
      const elapsed = (performance.now() - started) / 1000;
      const failing = evaluate(
        thresholds.filter(
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
          { latency, variant: settings.variant },
          series,
        ),
        settings.variant,
        // A sub-metric with no samples yet (its scenario has not started) is not failing.
      ).filter((o) => !o.ok && o.value !== null);
      if (failing.length > 0 && aborted === null) {
        aborted = `threshold ${failing[0]?.metric ?? ''} ${failing[0]?.expression ?? ''} failed with abortOnFail at ${t} s`;
        logger.warn(aborted);
        abort.abort();
      }
    },
    onError: (error: unknown) => {
      logger.warn(`sampling /metrics failed: ${(error as Error).message}`);
    },
  });
  const injected: InjectedEvent[] = [];
  const inject = async (events: readonly PlayerEvent[]): Promise<string> => {
    let delivery: Delivery = DELIVERY.unknown;
    let said: string;
    if (injector !== undefined) {
      await injector.send({
        topic: kafkaNames,
        messages: events.map((e) => ({ key: e.playerId, value: encodeEvent(e) })),
      });
      delivery = DELIVERY.acknowledged;
      said = 'acknowledged by the broker';
    } else {
      const res = await fetch(`${service.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: events.map((e) => JSON.stringify(e)).join('\n'),
      });
      const answer = (await res.json()) as { accepted?: number; error?: string };
      if (res.status === 200 && answer.accepted === events.length) delivery = DELIVERY.acknowledged;
      else if (res.status === 400) delivery = DELIVERY.refused;
      said = `HTTP ${res.status}${answer.error === undefined ? '' : ` (${answer.error.slice(0, 120)})`}`;
    }
    const acknowledgedAt = Date.now();
    injected.push(...events.map((event) => ({ event, delivery, acknowledgedAt })));
    return said;
  };
  const faultsOver = new AbortController();
  const faultsDone = runFaults(
    faultPlan,
    {
      service: {
        kill: (ms, instance) => service.kill(ms, instance),
        terminate: (ms, instance) => service.terminate(ms, instance),
        inject,
      },
      poisonPlayers,
      namespace: simulation.namespace,
      ...(session.database.control === undefined ? {} : { postgres: session.database.control }),
      ...(session.kafka?.control === undefined ? {} : { broker: session.kafka.control }),
      ...(link === undefined ? {} : { link }),
    },
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
        ({ merged: sim, generators } = await fleet.finish(ledger));
      } finally {
        clearInterval(progress);
        abort.signal.removeEventListener('abort', onStop);
      }
    } else if (sink !== undefined) {
      sim = await simulate(simulation, sink, {
        prepared,
        signal: abort.signal,
        onProgress: (p) => (sent = p.sent),
      });
      await sink.close();
    } else throw new Error('a run needs a sink or generators');
  } catch (error) {
    await fleet?.kill();
    throw error;
  } finally {
    signal.removeEventListener('abort', onOuterAbort);
    // Faults planned past the load's end are not carried out; one under way finishes (a
    // stopped server is started again) before the service is stopped and the table read.
    faultsOver.abort();
    await scenarioLabel.stop();
    faults = await faultsDone;
    await sampler.stop();
    await costMeter.stopWaits();
  }
  const waits = await costMeter.stopWaits();
  for (const f of faults) {
    const point = series.find((p) => p.t >= f.t) ?? series[series.length - 1];
    if (point !== undefined) (point.faults ??= []).push(f.detail);
  }
  const auditClient = await liveClient(session, client);
  try {
    if (kafka !== undefined) {
      // What the log holds is applied before the service stops, so the audit reads it all.
      await waitForStoredOffsets(
        auditClient,
        { group: kafkaNames, topic: kafkaNames },
        await topicEnds(kafka, kafkaNames),
      );
    }
    // The service flushes what it holds on SIGTERM; its last figures are read just before.
    await new Promise((r) => setTimeout(r, settings.flushIntervalMs * 3));
    const samples = await service.scrape();
    const serviceInstances = service.instances();
    await service.pullIntervals(true);
    if ('sample' in cpu) cpuSamples.push(await cpu.sample());
    await machine.sample();
    const code = await service.stop();
    if (code !== 0) throw new Error(`the service exited with ${String(code)} on SIGTERM`);
    await link?.close();
    await injector?.disconnect();
    const durationMs = performance.now() - started;
    const reading = performance.now();
    const auditInput: AuditInput = {
      ledger,
      generator: prepared.generator,
      playerIds: prepared.population.ids,
      router,
      before,
      after: await readProgress(auditClient, session.table),
      deadLetters: await readDeadLetters(auditClient, runStart),
      crashes: service.crashes,
      injected,
      transport: settings.transport,
      loadStartedAt,
    };
    const auditFigures = auditIncrements(auditInput);
    auditMs += performance.now() - reading;
    const audit: AuditReport = { ...auditFigures, durationMs: auditMs };
    const dbCpu =
      'sample' in cpu
        ? { percent: cpuSamples.reduce((a, b) => a + b, 0) / Math.max(cpuSamples.length, 1) }
        : { unavailable: cpu.unavailable };
    const cost = await runCost(auditClient, session, {
      meter: costMeter,
      waits,
      seconds: durationMs / 1000,
      sessions: settings.partitions,
      meanFlushRows:
        sumOf(samples, `${METRIC_NAMES.flushSizeRows}_sum`) /
        sumOf(samples, `${METRIC_NAMES.flushSizeRows}_count`),
      seed: settings.seed,
      logger,
    });
    const readers = metricReaders(
      samples,
      sim,
      // Rates are over the time the load ran (to an abort, if one came), not the stop and
      // drain after it.
      sim.elapsedMs / 1000,
      'percent' in dbCpu ? dbCpu.percent : undefined,
      audit,
      { latency, variant: settings.variant },
      series,
    );
    return {
      durationMs,
      samples,
      sim,
      readers,
      thresholds: evaluate(thresholds, readers, settings.variant),
      series,
      dbCpu,
      aborted,
      faults,
      audit,
      auditRecord: auditRecordOf(auditInput),
      serviceLives: service.lives,
      services: serviceInstances,
      link: link === undefined ? null : { ...link.stats },
      latency: latency.encode(),
      machine: machine.summary() ?? null,
      settling: settlingOrNull(latency, series, prepared.plan.durationMs),
      cost,
      generators,
    };
  } finally {
    if (auditClient !== session.client) await auditClient.end();
    if (client !== session.client && client !== auditClient) await client.end();
  }
}

/**
 * The load's cost per row (the server's counters across it, the CPU of every server process
 * when the run can read them) and the ceiling at the run's mean flush size, measured after
 * the audit so that its updates stay out of everything else.
 */
async function runCost(
  client: pg.Client,
  session: RunSession,
  input: {
    readonly meter: RunCostMeter;
    readonly waits: RunCost['waits'];
    readonly seconds: number;
    /** Flushes the service runs at once (its partitions): the ceiling runs as many loops. */
    readonly sessions: number;
    readonly meanFlushRows: number;
    readonly seed: number;
    readonly logger: Logger;
  },
): Promise<RunCost> {
  const { cost: window, note } = await input.meter.window(client, input.seconds);
  const base = { window, waits: input.waits, ...(note === undefined ? {} : { note }) };
  if (!(input.meanFlushRows >= 1))
    return { ...base, ceiling: null, ceilingShare: null, ceilingNote: 'no flush to size it by' };
  const size = Math.round(input.meanFlushRows);
  input.logger.info(
    `measuring the ceiling at ${size} rows per batch, ${input.sessions} sessions (loops on the server)`,
  );
  let ceiling;
  try {
    ceiling = await measureCeilingAt(
      { url: session.database.url, schema: session.schema, client },
      session.table,
      size,
      input.meter.counterViews,
      { seed: input.seed + 7, rows: 10_000, sessions: input.sessions },
    );
  } catch (error) {
    // The run measured what it came for: a ceiling the server refuses (no TEMP privilege on
    // a user's database, say) is reported with the reason, not allowed to discard the run.
    const reason = (error as Error).message;
    input.logger.warn(`the ceiling could not be measured: ${reason}`);
    return { ...base, ceiling: null, ceilingShare: null, ceilingNote: reason };
  }
  return {
    ...base,
    ceiling,
    ceilingShare:
      ceiling.cost.rowsPerSecond > 0 && note === undefined
        ? window.rowsPerSecond / ceiling.cost.rowsPerSecond
        : null,
  };
}

function settlingOrNull(
  latency: LatencyStore,
  series: readonly SeriesPoint[],
  loadMs: number,
): Settling | null {
  const edges = latency.edges(loadMs);
  return edges === undefined ? null : settlingOf(edges, series, loadMs / 1000);
}

/**
 * `client`, or a new connection when a fault restarted the server under it (its connection
 * was cut): the audit reads the table once the server is back.
 */
async function liveClient(session: RunSession, client: pg.Client): Promise<pg.Client> {
  try {
    await client.query('SELECT 1');
    return client;
  } catch {
    if (client !== session.client) await client.end().catch(() => undefined);
    return connectClient(session.database.url, session.schema);
  }
}
