import { randomBytes } from 'node:crypto';
import { CleanupStack } from '../../lib/cleanup-stack.ts';
import type { Logger } from '../../lib/logger.ts';
import type { HarnessMetric } from '../../results/metric-registry.ts';
import { sumOf, type PromSample } from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import { parseDuration } from '../../simulator/duration.ts';
import { prepareSimulation } from '../../simulator/simulation.ts';
import { createKafka } from '../../sut/kafka/kafka-client.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';
import type { RunCost } from '../cost/run-cost.ts';
import type { FaultRecord } from '../faults/fault-runner.ts';
import { faultNeeds, planFaults, type FaultSpec, type TimedFault } from '../faults/fault-spec.ts';
import { pickPoisonPlayers } from '../faults/poison-players.ts';
import type { GeneratorLine } from './generator-fleet.ts';
import { auditKey, type AuditRecord, type AuditReport } from './increment-audit.ts';
import { LatencyStore, type EncodedLatencies } from './latency-store.ts';
import type { MachineLoad } from './machine-load.ts';
import {
  evaluate,
  metricReaders,
  parseThresholds,
  type MetricReader,
  type ThresholdOutcome,
} from './run-metrics.ts';
import { auditRun } from './run-stages/audit-increments.ts';
import { startCostMeter } from './run-stages/cost-meter.ts';
import { drain } from './run-stages/drain.ts';
import { driveLoad } from './run-stages/drive-load.ts';
import { openEventSink } from './run-stages/event-sink.ts';
import { connectFaultProducer } from './run-stages/fault-producer.ts';
import { faultInjection } from './run-stages/fault-injection.ts';
import { startLinkProxy } from './run-stages/link-proxy.ts';
import { liveClient } from './run-stages/live-client.ts';
import { measureRunCost } from './run-stages/measure-cost.ts';
import { startProbes } from './run-stages/probes.ts';
import { runStages, type AfterStage } from './run-stages/run-stage.ts';
import { seedTable, type SeededTable } from './run-stages/seed-table.ts';
import { startGenerators } from './run-stages/start-generators.ts';
import { startServices } from './run-stages/start-services.ts';
import {
  scenarioWindows,
  simulationOf,
  type RunSession,
  type RunSettings,
  type SeriesPoint,
} from './run-plan.ts';
import { type ValidScenarioOptions } from './scenario-options.ts';
import type { ServiceInstanceLine } from './service-group.ts';
import { settlingOf, type Settling } from './settling.ts';

export interface RunOutcome {
  readonly durationMs: number;
  readonly samples: PromSample[];
  readonly sim: RunStats;
  readonly readers: Record<HarnessMetric, MetricReader>;
  readonly thresholds: ThresholdOutcome[];
  readonly series: SeriesPoint[];
  readonly dbCpu: { percent: number } | { unavailable: string };
  /** What the audit judged, for the run's ledger (docs/audit.md). */
  readonly auditRecord: AuditRecord;
  readonly aborted: string | null;
  readonly faults: FaultRecord[];
  readonly audit: AuditReport;
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
 * One scenario, end to end, as a sequence of named stages (`RUN_STAGES`): seed, start the
 * service as a child process, drive it with the simulator, sample its /metrics and the
 * database's CPU every second (checking abortOnFail thresholds as it goes), carry out the
 * scenario's faults at their times, stop everything, audit every increment against the
 * table, and evaluate the thresholds. Each stage that starts something puts how to stop it on
 * one cleanup stack: whichever stage fails, or a Ctrl-C before the load, everything started
 * is stopped, the last first.
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
    /** Hears of each stage that finished: the seam the cleanup tests fail stages through. */
    readonly afterStage?: AfterStage;
    /** Told of every second's exact values as they arrive (k6's --out json). */
    readonly onInterval?: ConstructorParameters<typeof LatencyStore>[1];
  } = {},
): Promise<RunOutcome> {
  const brokers = session.kafka?.brokers;
  if (settings.transport === 'kafka' && brokers === undefined)
    throw new Error('a Kafka scenario needs the brokers provisioned by the caller');
  if ((hooks.services ?? 1) > 1 && settings.transport !== 'kafka')
    throw new Error('several services need the Kafka transport (one consumer group)');
  const stack = new CleanupStack();
  let outcome: RunOutcome;
  try {
    outcome = await runStagesOn(stack, session, options, settings, logger, signal, hooks);
  } catch (error) {
    // The failure is what the user needs; a part that would not stop is said beside it.
    for (const failure of await stack.unwind()) logger.warn(failure.message);
    throw error;
  }
  // What is left is the run's own connections: one that will not close fails the run.
  const failures = await stack.unwind();
  for (const failure of failures.slice(1)) logger.warn(failure.message);
  if (failures[0] !== undefined) throw failures[0];
  return outcome;
}

async function runStagesOn(
  stack: CleanupStack,
  session: RunSession,
  options: ValidScenarioOptions,
  settings: RunSettings,
  logger: Logger,
  signal: AbortSignal,
  hooks: Parameters<typeof runScenario>[5] & object,
): Promise<RunOutcome> {
  const stage = runStages(signal, hooks.afterStage);
  const brokers = session.kafka?.brokers;
  // A topic and group of its own per run: a run never reads another run's events.
  const kafkaNames = `scenario-${settings.scenarioName}-${randomBytes(4).toString('hex')}`;
  const thresholds = parseThresholds(options, (d) => parseDuration(d, 'delayAbortEval'));
  const simulation = simulationOf(settings);
  const prepared = prepareSimulation(simulation);
  const latency = new LatencyStore(scenarioWindows(settings), hooks.onInterval);
  const faultPlan = planFaults(settings.faults);
  const ledger = new DeliveryLedger(prepared.plan.totalEvents);
  const generatorCount = hooks.generators ?? 1;
  const kafka =
    settings.transport === 'kafka'
      ? createKafka(brokers ?? [], `harness-run-${process.pid}`)
      : undefined;

  const seeded = await stage('seed', () =>
    seedTable(stack, session, settings, hooks.onSeedProgress),
  );
  const { client } = seeded;
  const poisonPlayers = poisonPlayersFor(faultPlan, prepared, seeded, simulation.namespace, logger);
  const link = await stage('link-proxy', () =>
    startLinkProxy(stack, session.database.url, faultPlan),
  );
  const services = await stage('services', () =>
    startServices(stack, {
      settings,
      schema: session.schema,
      table: session.table,
      // With link faults the service reaches the database through the proxy.
      databaseUrl: link?.proxy.url ?? session.database.url,
      brokers,
      kafkaNames,
      count: hooks.services ?? 1,
      port: hooks.sutPort ?? 0,
      ledger,
      latency,
      logger,
    }),
  );
  const { service } = services;
  const sink = await stage('event-sink', () =>
    openEventSink(stack, {
      generators: generatorCount,
      kafka,
      topic: kafkaNames,
      serviceUrl: service.url,
      partitions: settings.partitions,
      ledger,
    }),
  );
  const probes = await stage('probes', () => startProbes(client, session, service));
  const faultProducer = await stage('fault-producer', () => connectFaultProducer(stack, kafka));
  const generators = await stage('generators', () =>
    startGenerators(stack, generatorCount, {
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
    }),
  );
  const costMeter = await stage('cost-meter', () =>
    startCostMeter(stack, client, session, probes.serverPid),
  );

  const injection = faultInjection(faultProducer?.producer, kafkaNames, service.url);
  const load = await stage('load', () =>
    driveLoad({
      signal,
      settings,
      simulation,
      prepared,
      service,
      sink,
      generators,
      probes,
      thresholds,
      latency,
      ledger,
      faultPlan,
      faultTargets: {
        service: {
          kill: (ms, instance) => service.kill(ms, instance),
          terminate: (ms, instance) => service.terminate(ms, instance),
          inject: injection.inject,
        },
        poisonPlayers,
        namespace: simulation.namespace,
        ...(session.database.control === undefined ? {} : { postgres: session.database.control }),
        ...(session.kafka?.control === undefined ? {} : { broker: session.kafka.control }),
        ...(link === undefined ? {} : { link: link.proxy }),
      },
      logger,
    }),
  );
  const waits = await costMeter.stopWaits.stop();
  const { series, faults } = load;
  for (const f of faults) {
    const point = series.find((p) => p.t >= f.t) ?? series[series.length - 1];
    if (point !== undefined) (point.faults ??= []).push(f.detail);
  }

  const auditClient = await liveClient(session, client);
  if (auditClient !== client && auditClient !== session.client)
    stack.defer('the audit’s database connection', () => auditClient.end());
  const drained = await stage('drain', () =>
    drain({
      client: auditClient,
      kafka,
      kafkaNames,
      flushIntervalMs: settings.flushIntervalMs,
      services,
      probes,
      cpuSamples: load.cpuSamples,
      link,
      faultProducer,
    }),
  );
  const durationMs = performance.now() - load.started;
  const audit = await stage('audit', () =>
    auditRun({
      client: auditClient,
      session,
      seeded,
      ledger,
      prepared,
      service,
      injected: injection.injected,
      transport: settings.transport,
      loadStartedAt: load.startedAt,
    }),
  );
  const { cpu } = probes;
  const { cpuSamples } = load;
  const dbCpu =
    'sample' in cpu
      ? { percent: cpuSamples.reduce((a, b) => a + b, 0) / Math.max(cpuSamples.length, 1) }
      : { unavailable: cpu.unavailable };
  const { samples } = drained;
  const cost = await stage('cost', () =>
    measureRunCost(auditClient, session, {
      meter: costMeter.meter,
      waits,
      seconds: durationMs / 1000,
      sessions: settings.partitions,
      meanFlushRows:
        sumOf(samples, `${METRIC_NAMES.flushSizeRows}_sum`) /
        sumOf(samples, `${METRIC_NAMES.flushSizeRows}_count`),
      seed: settings.seed,
      logger,
    }),
  );
  const readers = metricReaders(
    samples,
    load.sim,
    // Rates are over the time the load ran (to an abort, if one came), not the stop and
    // drain after it.
    load.sim.elapsedMs / 1000,
    'percent' in dbCpu ? dbCpu.percent : undefined,
    audit.report,
    { latency, variant: settings.variant },
    series,
  );
  return {
    durationMs,
    samples,
    sim: load.sim,
    readers,
    thresholds: evaluate(thresholds, readers, settings.variant),
    series,
    dbCpu,
    aborted: load.aborted,
    faults,
    audit: audit.report,
    auditRecord: audit.record,
    serviceLives: service.lives,
    services: drained.services,
    link: link === undefined ? null : { ...link.proxy.stats },
    latency: latency.encode(),
    machine: probes.machine.summary() ?? null,
    settling: settlingOrNull(latency, series, prepared.plan.durationMs),
    cost,
    generators: load.generators,
  };
}

/**
 * Each poison fault names a player of its own, one with a row the overflow can reach; in a
 * population too small to have one, the last players, and the overflows may find nothing.
 */
function poisonPlayersFor(
  faultPlan: readonly TimedFault[],
  prepared: ReturnType<typeof prepareSimulation>,
  seeded: SeededTable,
  namespace: string,
  logger: Logger,
): string[] {
  const poisons = faultPlan.some((f) => f.spec.action === 'poison');
  const overflowable = poisons
    ? pickPoisonPlayers(
        prepared.population.ids,
        seeded.router,
        (userId, goalId) => seeded.before.get(auditKey(userId, goalId)),
        namespace,
      )
    : [];
  if (poisons && overflowable.length === 0)
    logger.warn(
      'no seeded player has a row an overflow poison can reach (active, not claimed, not daily, progress above 0): the overflow poisons may find nothing to overflow; seed more players',
    );
  return overflowable.length > 0 ? overflowable : prepared.population.ids.slice(-16).reverse();
}

function settlingOrNull(
  latency: LatencyStore,
  series: readonly SeriesPoint[],
  loadMs: number,
): Settling | null {
  const edges = latency.edges(loadMs);
  return edges === undefined ? null : settlingOf(edges, series, loadMs / 1000);
}
