import { basename, join } from 'node:path';
import { Command } from 'commander';
import { collectEnvironment } from '../../results/environment.ts';
import { linkShortfall, networkExplanation } from '../../scenarios/engine/db-link.ts';
import { readGitInfo } from '../../results/git-info.ts';
import { RUNS_DIR, runFileName, saveResult } from '../../results/run-store.ts';
import { SCHEMA_VERSION, runResultSchema } from '../../results/schema/result-schema.ts';
import { runHistograms } from '../../scenarios/engine/run-histograms.ts';
import { type Breakpoint } from '../../scenarios/engine/breakpoint-reading.ts';
import { handleSummaryData, legacySummaryExport } from '../../scenarios/engine/k6-summary.ts';
import { createTable } from '../../lib/table.ts';
import { loadScenario, shippedScenarios } from '../../scenarios/engine/load-scenario.ts';
import { latestSweepFor } from '../../scenarios/engine/revisit-verdict.ts';
import { faultProblems, runScenario } from '../../scenarios/engine/run-scenario.ts';
import { judgeRun } from '../../scenarios/engine/judge-run.ts';
import { machineLoadLine } from '../../scenarios/engine/machine-load.ts';
import { settlingLine } from '../../scenarios/engine/settling.ts';
import {
  renderRunSummary,
  scenarioParts,
  targetsRevisited,
} from '../../scenarios/engine/run-summary.ts';
import { prepareScenario } from '../../scenarios/engine/prepare-scenario.ts';
import { mainScenarioName, withOverrides } from '../../scenarios/engine/scenario-overrides.ts';
import { parseDuration } from '../../simulator/duration.ts';
import { loadVariants } from '../../sut/sql/variant-registry.ts';
import { withDatabase } from '../db/with-database.ts';
import type { Logger } from '../../lib/logger.ts';
import { InterruptedError, ThresholdsFailedError, UsageError } from '../../lib/errors.ts';
import {
  auditVerdict,
  failedAuditChecks,
  withAudit,
} from '../../scenarios/engine/audit-verdict.ts';
import { ledgerPathFor, writeRunLedger } from '../../scenarios/engine/run-ledger.ts';
import { seedingProgress } from '../lib/progress.ts';
import {
  collectEnv,
  outputFile,
  portNumber,
  positiveInt,
  positiveNumber,
} from '../lib/option-parsers.ts';
import {
  addDatabaseOptions,
  addLinkOptions,
  databaseFrom,
  addKafkaBrokerOptions,
  provisionKafkaFrom,
  type DatabaseOptions,
  type KafkaOptions,
} from './common-options.ts';
import { describeKafka } from '../kafka/provision-kafka.ts';
import { addK6Flags } from '../lib/k6-flags.ts';
import { checkListenAddress } from '../lib/listen-check.ts';
import { K6JsonOutput } from '../../scenarios/engine/k6-json-output.ts';
import { trendStat, customTagsOf } from '../../scenarios/engine/scenario-options.ts';
import type { ProvisionedKafka } from '../../scenarios/engine/provisioned-kafka.ts';

interface RunFlags extends DatabaseOptions, Omit<KafkaOptions, 'topic'> {
  rate?: number;
  duration?: string;
  variant?: string[];
  env: Record<string, string>;
  output?: string;
  summaryExport?: string;
  summaryData?: string;
  ledger?: string;
  healthFlushOverdue?: number;
  healthFlushRunning?: number;
  healthFetchOverdue?: number;
  healthRefusalHold?: number;
  /** --out json=<file>: k6's JSON lines. */
  out?: string;
  summaryTrendStats?: string[];
  sutPort: number;
  freshTable: boolean;
  generators: number;
  services: number;
}

/** More generator processes than this is a typo, not a load: each holds a core's worth of work. */
const MAX_GENERATORS = 64;

/** `harness run <scenario>`: a k6-style scenario against the service, thresholds, and the revisit verdict. */
export function runCommand(logger: () => Logger): Command {
  const command = new Command('run')
    .description(
      'run a load scenario (scenarios/<name>.ts or a file) against the service; thresholds and the revisit verdict',
    )
    .argument(
      '<scenario>',
      `${shippedScenarios().join(', ')}, or a path to a .ts, .mts, .js or .mjs scenario file`,
    )
    .option(
      '--rate <n>',
      'override the scenario rate (constant-arrival-rate)',
      positiveNumber('--rate'),
    )
    .option(
      '--duration <duration>',
      'override the scenario duration (constant-arrival-rate)',
      (v) => {
        parseDuration(v, '--duration');
        return v;
      },
    )
    .option(
      '--variant <names>',
      'override the SQL variant; several, comma-separated, run one after another on fresh data',
      (v: string) => v.split(',').map((n) => n.trim()),
    )
    .option(
      '-e, --env <KEY=VALUE>',
      'environment for the scenario file, like k6 --env (repeatable)',
      collectEnv,
      {},
    )
    .option('--output <file>', 'results JSON path', outputFile('--output'))
    .option(
      '--ledger <file>',
      'where to write the audit ledger, what each event became and the table before and after (default: beside the results, <results>.ledger.jsonl.gz; docs/audit.md)',
      outputFile('--ledger'),
    )
    .option(
      '--summary-export <file>',
      "also write k6's legacy summary export (thresholds.<expr> is true when it FAILED)",
      outputFile('--summary-export'),
    )
    .option(
      '--summary-data <file>',
      'also write the data k6 gives handleSummary() (k6 summary tools read it)',
      outputFile('--summary-data'),
    )
    .option(
      '--fresh-table',
      "seed the table as COPY leaves it (every page full) instead of as a long-lived table's (scenario key harness.freshTable)",
      false,
    )
    .option(
      '--sut-port <n>',
      'the port the service listens on, so Prometheus can scrape its /metrics during the run (0: a free one, printed at start)',
      portNumber('--sut-port'),
      0,
    )
    .option(
      '--health-flush-overdue <ms>',
      "the service's /healthz degrades when a partition holds increments and no flush of it completed for this long (scenario key harness.health.flushOverdueMs; default: harness sut's)",
      positiveInt('--health-flush-overdue'),
    )
    .option(
      '--health-flush-running <ms>',
      "the service's /healthz degrades while a flush has been running this long (harness.health.flushRunningMs)",
      positiveInt('--health-flush-running'),
    )
    .option(
      '--health-fetch-overdue <ms>',
      "the service's /healthz degrades when its Kafka consumer has not fetched for this long with records to read (harness.health.fetchOverdueMs)",
      positiveInt('--health-fetch-overdue'),
    )
    .option(
      '--health-refusal-hold <ms>',
      "the service's /healthz stays degraded this long after ingest last refused events for backpressure (harness.health.refusalHoldMs)",
      positiveInt('--health-refusal-hold'),
    )
    .option(
      '--generators <n>',
      `simulator processes making the load, each with its shard of the players (--shard i/N); their figures are merged and the thresholds judged on the merge (at most ${MAX_GENERATORS})`,
      positiveInt('--generators', MAX_GENERATORS),
      1,
    )
    .option(
      '--services <n>',
      "Kafka transport: services in one consumer group, sharing the topic's partitions; their metrics are merged (a service fault names one with service: i, the first by default)",
      positiveInt('--services', MAX_GENERATORS),
      1,
    );
  addK6Flags(addKafkaBrokerOptions(addLinkOptions(addDatabaseOptions(command))));
  return command.action(async (scenario: string, flags: RunFlags) => {
    const log = logger();
    const loaded = await loadScenario(scenario, flags.env);
    const { raw, overridden } = withOverrides(loaded.options, {
      rate: flags.rate,
      duration: flags.duration,
      variant: flags.variant,
      freshTable: flags.freshTable,
      health: {
        flushOverdueMs: flags.healthFlushOverdue,
        flushRunningMs: flags.healthFlushRunning,
        fetchOverdueMs: flags.healthFetchOverdue,
        refusalHoldMs: flags.healthRefusalHold,
      },
    });
    const name = mainScenarioName(raw);
    const {
      options,
      settings: baseSettings,
      thresholds: thresholdSpecs,
      ignored,
    } = prepareScenario(`${loaded.path}${overridden ? ' (with command-line overrides)' : ''}`, raw);
    for (const stat of flags.summaryTrendStats ?? [])
      if (!trendStat.safeParse(stat).success)
        throw new UsageError(
          `--summary-trend-stats: ${JSON.stringify(stat)} is not a trend statistic; give avg, min, med, max or p(N), comma-separated`,
        );
    // The command line's, as in k6, over the file's.
    const trendStats = flags.summaryTrendStats ?? options.summaryTrendStats;
    if (ignored.length > 0)
      log.info(`k6 options with no use in the harness, ignored: ${ignored.join(', ')}`);
    // Several variants run one after another, each on freshly seeded data.
    const variants = options.harness?.variants ?? [baseSettings.variant];
    await loadVariants(variants);
    if (flags.services > 1 && baseSettings.transport !== 'kafka')
      throw new UsageError(
        `--services ${flags.services}: several services share the load through a Kafka consumer group, and scenario ${loaded.path} runs over ${baseSettings.transport} (set harness.transport to 'kafka')`,
      );
    if (flags.sutPort !== 0 && flags.sutPort + flags.services - 1 > 65_535)
      throw new UsageError(
        `--sut-port ${flags.sutPort} with --services ${flags.services}: the services listen on ${flags.sutPort} to ${flags.sutPort + flags.services - 1}, beyond the last port, 65535`,
      );
    if (flags.services > baseSettings.partitions)
      throw new UsageError(
        `--services ${flags.services}: more services than the scenario's ${baseSettings.partitions} partitions would leave some with nothing to consume`,
      );
    // A port in use is found now, not after the database is up and the table seeded.
    if (flags.sutPort !== 0)
      for (let i = 0; i < flags.services; i++)
        await checkListenAddress(
          '127.0.0.1',
          flags.sutPort + i,
          `--sut-port ${flags.sutPort}${flags.services > 1 ? ` (service ${i + 1} of ${flags.services} listens on ${flags.sutPort + i})` : ''}`,
          '--sut-port',
        );
    const faultTrouble = faultProblems(baseSettings.faults, {
      transport: baseSettings.transport,
      serverControl:
        flags.db === 'embedded' || (flags.db === 'auto' && (process.env.DATABASE_URL ?? '') === ''),
      brokerControl: flags.kafka === 'local',
      generators: flags.generators,
      services: flags.services,
    });
    if (faultTrouble.length > 0)
      throw new UsageError(
        `scenario ${loaded.path}: its faults cannot be carried out here:`,
        faultTrouble,
      );
    const createdAt = new Date();
    const git = readGitInfo();
    const interrupt = new AbortController();
    const onSignal = () => {
      log.warn('interrupted: stopping the load, then the service and the database');
      interrupt.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // Provisioned before the database so a missing broker fails before anything starts.
    const kafka: ProvisionedKafka | undefined =
      baseSettings.transport === 'kafka' ? await provisionKafkaFrom(flags, log) : undefined;
    try {
      // The command line's network over the scenario file's.
      const dbFlags = {
        ...flags,
        ...(flags.dbLatency === undefined && options.harness?.dbLatencyMs !== undefined
          ? {
              dbLatency: options.harness.dbLatencyMs,
              ...(options.harness.dbJitterMs === undefined
                ? {}
                : { dbJitter: options.harness.dbJitterMs }),
            }
          : {}),
      };
      await withDatabase(
        databaseFrom(dbFlags, log),
        async ({ database, client, schema, table, link }) => {
          const env = {
            ...(await collectEnvironment(client, database.kind)),
            ...(kafka === undefined ? {} : { kafka: describeKafka(kafka) }),
          };
          const failures: string[] = [];
          // Audit checks that failed: wrong results fail a run whatever its thresholds say.
          const wrong: string[] = [];
          const readings: {
            variant: string;
            breakpoint: Breakpoint | null;
            aborted: string | null;
          }[] = [];
          for (const variant of variants) {
            const settings = { ...baseSettings, variant };
            const runName = `${basename(loaded.path).replace(/\.[cm]?[tj]s$/, '')}${variants.length > 1 ? `-${variant}` : ''}`;
            const seeding = seedingProgress(log, table.label);
            const exchangesBefore = link?.exchanges() ?? 0;
            const jsonLines =
              flags.out === undefined
                ? undefined
                : K6JsonOutput.open(
                    variants.length > 1
                      ? flags.out.replace(/(\.json)?$/, `-${variant}$1`)
                      : flags.out,
                    { variant, tags: customTagsOf(options), thresholds: thresholdSpecs },
                  );
            const outcome = await runScenario(
              { client, database, schema, table, ...(kafka === undefined ? {} : { kafka }) },
              options,
              settings,
              log,
              interrupt.signal,
              {
                sutPort: flags.sutPort,
                onSeedProgress: seeding.onProgress,
                generators: flags.generators,
                services: flags.services,
                ...(jsonLines === undefined
                  ? {}
                  : {
                      onInterval: (at, values) => {
                        jsonLines.interval(at, values);
                      },
                    }),
              },
            ).finally(async () => {
              seeding.stop();
              await jsonLines?.close();
            });
            const sweep = await latestSweepFor(git.commit);
            const judgement = judgeRun(outcome, settings, thresholdSpecs, sweep, trendStats);
            const { several, judged, values, breakpoint, partitions, flushSize } = judgement;
            const audited = auditVerdict(
              outcome.audit,
              settings.variant,
              options.harness?.allowWrongResults ?? [],
            );
            const linkRecord = await link?.measure();
            const networkLines =
              linkRecord === undefined
                ? []
                : networkExplanation(
                    linkRecord,
                    (link?.exchanges() ?? 0) - exchangesBefore,
                    outcome.readers.flushes({ kind: 'count' }),
                    judged.flush_duration({ kind: 'p', percentile: 95 }),
                  );
            const verdict = withAudit(
              networkLines.length === 0
                ? judgement.verdict
                : {
                    ...judgement.verdict,
                    explanation: [...judgement.verdict.explanation, ...networkLines],
                  },
              audited,
            );
            const measured = flushSize.measured;
            const predicted = flushSize.predicted;
            // One file per variant: a breakpoint or --variant a,b run keeps every variant's result.
            const outputPath =
              flags.output === undefined
                ? join(RUNS_DIR, runFileName(createdAt, git, runName))
                : variants.length > 1
                  ? flags.output.replace(/(\.json)?$/, `-${variant}$1`)
                  : flags.output;
            const out = process.stdout;
            out.write(
              renderRunSummary({
                scriptPath: loaded.path,
                ...(trendStats === undefined ? {} : { trendStats }),
                outputPath,
                scenario: {
                  name,
                  executor: settings.executor.executor,
                  variant: settings.variant,
                  partitions: settings.partitions,
                  flushIntervalMs: settings.flushIntervalMs,
                  bufferSize: settings.bufferSize,
                  parts: several ? scenarioParts(settings.scenarios, settings.scenarioName) : null,
                },
                database: {
                  version: env.postgres.version,
                  kind: database.kind,
                  players: settings.players,
                  goals: settings.goals,
                },
                aborted: outcome.aborted,
                values,
                thresholds: outcome.thresholds,
                partitions,
                faults:
                  outcome.faults.length === 0
                    ? null
                    : {
                        records: outcome.faults,
                        serviceLives: outcome.serviceLives,
                        link: outcome.link,
                      },
                audit: { report: outcome.audit, transport: settings.transport },
                generators: outcome.generators,
                services: outcome.services,
                settling: outcome.settling === null ? null : settlingLine(outcome.settling),
                machine: outcome.machine === null ? null : machineLoadLine(outcome.machine),
                flushSize,
                verdict,
                targets: targetsRevisited(judged, sweep, settings.variant),
              }),
            );
            if (outcome.machine?.warning != null) log.warn(outcome.machine.warning);
            const shortfall = linkRecord === undefined ? undefined : linkShortfall(linkRecord);
            if (shortfall !== undefined) log.warn(shortfall);
            const result = runResultSchema.parse({
              schemaVersion: SCHEMA_VERSION,
              kind: 'run',
              name: runName,
              createdAt: createdAt.toISOString(),
              git,
              env: linkRecord === undefined ? env : { ...env, link: linkRecord },
              config: {
                scenarioFile: loaded.path,
                options,
                env: flags.env,
                generators: flags.generators,
                services: flags.services,
                ...(kafka === undefined
                  ? {}
                  : { kafka: { provisionedBy: kafka.kind, brokers: kafka.brokers } }),
              },
              metrics: {
                durationMs: outcome.durationMs,
                values,
                ...(several ? { steadyScenario: settings.scenarioName } : {}),
                series: outcome.series,
                partitions,
                predictedFlushRows: predicted,
                measuredFlushRows: Number.isFinite(measured) ? measured : null,
                dbCpu: outcome.dbCpu,
                simulator: { ...outcome.sim },
                aborted: outcome.aborted,
                histograms: runHistograms(outcome.samples),
                latency: outcome.latency,
                settling: outcome.settling,
                ...(outcome.machine === null ? {} : { machine: outcome.machine }),
                breakpoint,
                faults: outcome.faults,
                serviceLives: outcome.serviceLives,
                ...(outcome.link === null ? {} : { link: outcome.link }),
                audit: outcome.audit,
                ...(outcome.generators === null ? {} : { generators: outcome.generators }),
                ...(outcome.services.length > 1 ? { services: outcome.services } : {}),
                cost: outcome.cost,
              },
              thresholds: outcome.thresholds.map((t) => ({
                metric: t.metric,
                expression: t.expression,
                value: t.value,
                ok: t.ok,
              })),
              verdict,
            });
            if (flags.summaryExport !== undefined)
              await saveResult(
                legacySummaryExport(values, outcome.thresholds, trendStats),
                flags.summaryExport,
              );
            if (flags.summaryData !== undefined)
              await saveResult(
                handleSummaryData(values, outcome.thresholds, outcome.durationMs, trendStats),
                flags.summaryData,
              );
            const path = await saveResult(result, outputPath);
            const ledgerPath =
              flags.ledger === undefined
                ? ledgerPathFor(path)
                : variants.length > 1
                  ? flags.ledger.replace(/(\.jsonl\.gz)?$/, `-${variant}$1`)
                  : flags.ledger;
            await writeRunLedger(
              ledgerPath,
              {
                scenario: runName,
                variant: settings.variant,
                transport: settings.transport,
                table: table.label,
                faults: outcome.faults,
              },
              outcome.auditRecord,
            );
            out.write(`ledger: ${ledgerPath} (check it with harness audit ${path})\n`);
            out.write(`results: ${path}\n`);
            const failed = outcome.thresholds.filter((t) => !t.ok);
            const of = variants.length > 1 ? `${settings.variant}: ` : '';
            failures.push(...failed.map((t) => `${of}${t.metric} ${t.expression}`));
            wrong.push(...failedAuditChecks(audited).map((f) => `${of}${f}`));
            readings.push({ variant: settings.variant, breakpoint, aborted: outcome.aborted });
            // Ctrl-C ends the run with this variant's summary; the others do not start.
            if (interrupt.signal.aborted) break;
          }
          if (variants.length > 1) {
            const table = createTable(
              ['Variant', 'Highest sustained', 'First second over the limit', 'Stopped early'],
              ['left', 'right', 'right', 'left'],
            );
            for (const r of readings) {
              table.push([
                r.variant,
                r.breakpoint?.highestSustainedRate == null
                  ? '-'
                  : `${r.breakpoint.highestSustainedRate.toFixed(0)} ev/s`,
                r.breakpoint?.firstOverAt == null
                  ? 'none'
                  : `${r.breakpoint.firstOverAt.toFixed(0)} s`,
                r.aborted ?? 'no',
              ]);
            }
            process.stdout.write(
              `\nside by side${readings[0]?.breakpoint == null ? '' : ` (event-to-commit p99 limit ${readings[0].breakpoint.limitMs} ms, per second)`}\n${table.toString()}\n`,
            );
          }
          if (failures.length > 0 || wrong.length > 0)
            throw new ThresholdsFailedError(
              [
                ...(wrong.length > 0
                  ? [`WRONG RESULTS, the audit failed: ${wrong.join('; ')}`]
                  : []),
                ...(failures.length > 0
                  ? [
                      `${failures.length} threshold${failures.length > 1 ? 's' : ''} failed: ${failures.join(', ')}`,
                    ]
                  : []),
              ].join('\n'),
            );
          if (interrupt.signal.aborted)
            throw new InterruptedError(
              'interrupted: the run stopped early; its summary and results are above',
            );
        },
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await kafka?.stop();
    }
  });
}
