// The service end to end on one machine: embedded PostgreSQL (full durability), `harness sut`
// in its own process, the simulator in this one over HTTP.
// Each run starts on freshly seeded data and measures after a 30 s warm-up at the same rate.
//  1. per variant: 5,000 events/s for D seconds
//     [join: sustained, p99 event-to-commit < 300 ms, no circuit-breaker rejections];
//  2. the highest rate join sustains (steps of 1,000 events/s up to 10,000);
//  3. efficiency (join): the service driven past what the database takes, its rows/s against
//     the sweep's rows/s at the same batch size and concurrency [>= 70 %].
// Run: npm run bench:e2e [-- [seconds] [variants] [--prepared] [--staggered] [--only-rate] [--from-rate n] [--profile dir] [--http-transport auto|stream|requests] [--pg-setting name=value ...]]
// (--from-rate: the sustained-rate steps start there, 1,000 to 10,000 events/s. --profile:
// V8 CPU profiles of the service and the simulator at 5,000 events/s, written to dir and
// summarized by function; they cost CPU themselves, so their runs' figures are not the bar.)
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { collectPgSetting } from '../db/server-settings.ts';
import { UsageError } from '../../lib/errors.ts';
import {
  histogramQuantile,
  parsePrometheusText,
  sampleDelta,
  sumOf,
  type PromSample,
} from '../../results/stats/prometheus-text.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { DEFAULT_SIMULATION, simulate } from '../../simulator/simulation.ts';
import {
  DEFAULT_HTTP_SINK,
  HTTP_TRANSPORTS,
  HttpSink,
  type HttpTransport,
} from '../../simulator/sinks/http-sink.ts';
import { listVariantNames, loadVariant, variantFor } from '../../sut/sql/variant-registry.ts';
import { harnessTable } from '../../sut/db/target-table.ts';
import { runSweep } from '../../scenarios/sweep/sweep-runner.ts';
import { DEFAULT_SWEEP_SETTINGS } from '../../scenarios/sweep/sweep-settings.ts';
import { startChildSut } from '../../sut/service/child-sut.ts';
import { startBenchDatabase } from './bench-database.ts';
import { saveBenchResult } from './bench-results.ts';
import { formatFixed } from '../../lib/format.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';
import { CpuSplit } from '../../scenarios/cost/process-tree-cpu.ts';
import { WakeUpRate } from '../../scenarios/cost/wake-ups.ts';
import { postmasterPid } from '../../scenarios/engine/postmaster-pid.ts';
import { summarizeCpuProfileFile } from './cpu-profile-summary.ts';

/** The arguments, checked before anything starts: bad ones exit 2 naming the input. */
async function benchArgs() {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        prepared: { type: 'boolean', default: false },
        staggered: { type: 'boolean', default: false },
        'only-rate': { type: 'boolean', default: false },
        'pg-setting': { type: 'string', multiple: true, default: [] },
        'from-rate': { type: 'string', default: '1000' },
        profile: { type: 'string' },
        'http-transport': { type: 'string', default: DEFAULT_HTTP_SINK.transport },
      },
    });
    const [secondsText = '60', variantsText = 'join,correlated,cte', ...extra] = positionals;
    const seconds = Number(secondsText);
    if (!/^\d+$/.test(secondsText) || seconds < 1)
      throw new UsageError(`seconds "${secondsText}" is not a positive whole number`);
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const fromRate = Number(values['from-rate']);
    if (!/^\d+$/.test(values['from-rate']) || fromRate < 1 || fromRate > 10_000)
      throw new UsageError(
        `--from-rate "${values['from-rate']}" is not a whole number of events/s from 1 to 10,000`,
      );
    const transport = values['http-transport'] as HttpTransport;
    if (!HTTP_TRANSPORTS.includes(transport))
      throw new UsageError(
        `--http-transport "${values['http-transport']}" unknown; expected ${HTTP_TRANSPORTS.join(' or ')}`,
      );
    const known = await listVariantNames();
    const variants = variantsText.split(',');
    const unknown = variants.filter((v) => !known.includes(v));
    if (unknown.length > 0)
      throw new UsageError(
        `variants "${unknown.join(',')}" unknown; expected a comma-separated list of ${known.join(', ')}`,
      );
    return {
      seconds,
      variants,
      prepared: values.prepared,
      phase: values.staggered ? ('staggered' as const) : ('aligned' as const),
      onlyRate: values['only-rate'],
      transport,
      fromRate,
      profileDir: values.profile === undefined ? undefined : resolve(values.profile),
      pgSettings: values['pg-setting'].reduce<Record<string, string>>(
        (settings, text) => collectPgSetting(text, settings),
        {},
      ),
    };
  } catch (error) {
    process.stderr.write(`bench:e2e: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}
const USAGE =
  'usage: npm run bench:e2e [-- [seconds, default 60] [variants, default join,correlated,cte] [--prepared] [--staggered] [--only-rate] [--from-rate n] [--profile dir] [--http-transport auto|stream|requests] [--pg-setting name=value ...]]';
const ARGS = await benchArgs();
const SECONDS = ARGS.seconds;
/** Variants for step 1 (default all three); `--prepared` runs the service with prepared statements. */
const VARIANTS = ARGS.variants;
const PREPARED = ARGS.prepared ? ['--prepared'] : [];
/** `--staggered`: the service's partitions flush at staggered phases (`harness sut --flush-phase`). */
const PHASE = ARGS.phase;
const ONLY_STEP_ONE = ARGS.onlyRate;
/** `--pg-setting name=value` (repeatable): the embedded server's settings, as `harness --pg-setting`. */
const PG_SETTINGS = ARGS.pgSettings;
const RATE = 5000;
const PROFILE_DIR = ARGS.profileDir;
if (PROFILE_DIR !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });
/** Rates tried for the highest sustained one, until the first that is not. */
const SUSTAIN_STEPS = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000].filter(
  (rate) => rate >= ARGS.fromRate,
);
const bench = await startBenchDatabase(PG_SETTINGS);
const { database, client, env, schema } = bench;
const figures: Record<string, number> = {};
const notes: string[] = [];

async function scrape(url: string): Promise<PromSample[]> {
  return parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
}

/**
 * Warm-up before every measured window. A freshly seeded table has full pages, so the first
 * update of each row cannot stay on its page (no HOT update): it writes all six indexes and
 * a full-page image, and flushes take about a second until most rows have moved once. At
 * 5,000 events/s that lasted 13 s with shared_buffers at 512MB and 24 s at 128MB (measured
 * second by second); a production table, updated for months, is past it.
 */
const WARMUP_SECONDS = 30;

async function drive(
  variant: string,
  rate: number,
  seconds: number,
  profile = false,
): Promise<{
  stats: RunStats;
  metrics: PromSample[];
  delivered: number;
  wallMs: number;
  cpu: Record<'database' | 'service' | 'simulator', number>;
  wakeUps: Record<'service' | 'simulator', number>;
}> {
  await bench.seed();
  const sut = await startChildSut(
    ['--skip-seed', '--variant', variant, '--flush-phase', PHASE, ...PREPARED],
    {
      DATABASE_URL: database.url,
    },
    0,
    // A directory per variant, files named by Node: each thread (tsx's loader runs in one of
    // its own) writes a profile, and a fixed name would let the last one overwrite the rest.
    profile && PROFILE_DIR !== undefined
      ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, `service-${variant}`)]
      : [],
  );
  const sink = new HttpSink({
    ...DEFAULT_HTTP_SINK,
    transport: ARGS.transport,
    url: sut.url,
    partitions: PRODUCTION.partitions,
  });
  const constant = (s: number) => ({
    ...DEFAULT_SIMULATION,
    executor: { executor: 'constant-arrival-rate' as const, rate, duration: `${s}s` },
  });
  await simulate(constant(WARMUP_SECONDS), sink);
  const serverPid =
    database.dataDir === undefined ? undefined : await postmasterPid(database.dataDir);
  // Each part's CPU over the measured window: the server with all its processes, the
  // service's process tree, and this process alone (the simulator and its HTTP client).
  const split = new CpuSplit({
    database: { pid: () => serverPid, tree: true },
    service: { pid: () => sut.child.pid, tree: true },
    simulator: { pid: () => process.pid, tree: false },
  });
  // What most of the service's and the simulator's CPU goes to at a few thousand events a
  // second (docs/findings.md): each event loop's wake-ups.
  const wakeUps = new WakeUpRate({ service: () => sut.child.pid, simulator: () => process.pid });
  await split.start();
  await wakeUps.start();
  const before = await scrape(sut.url);
  const deliveredBefore = sink.stats().delivered;
  const profiler = profile ? new Session() : undefined;
  if (profiler !== undefined) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const started = performance.now();
  const stats = await simulate(constant(seconds), sink);
  await sink.drain();
  if (profiler !== undefined && PROFILE_DIR !== undefined) {
    const { profile: taken } = await profiler.post('Profiler.stop');
    writeFileSync(join(PROFILE_DIR, `simulator-${variant}.cpuprofile`), JSON.stringify(taken));
    profiler.disconnect();
  }
  // Let the last flushes commit, then take what the measured window added.
  await new Promise((r) => setTimeout(r, 500));
  const metrics = sampleDelta(await scrape(sut.url), before);
  const wallMs = performance.now() - started;
  const cpu = await split.stop();
  const wakeUpsPerSecond = await wakeUps.stop();
  await sink.close();
  const code = await sut.stop();
  if (code !== 0) throw new Error(`harness sut exited with ${String(code)}`);
  return {
    stats,
    metrics,
    delivered: sink.stats().delivered - deliveredBefore,
    wallMs,
    cpu,
    wakeUps: wakeUpsPerSecond,
  };
}

/** Service and simulator CPU per event at 5,000 events/s over HTTP: the bar they are held to. */
const HARNESS_TARGETS_US = { service: 25, simulator: 15 };

/** The CPU split line: seconds, cores and microseconds per event of each part. */
function cpuLine(
  cpu: Record<'database' | 'service' | 'simulator', number>,
  delivered: number,
  rows: number,
  wallMs: number,
): string {
  const parts = (['database', 'service', 'simulator'] as const).map((part) => {
    const us = (cpu[part] * 1e6) / Math.max(delivered, 1);
    return `${part} ${formatFixed(cpu[part], 1)} s (${formatFixed(cpu[part] / (wallMs / 1000), 2)} cores, ${formatFixed(us, 1)} us/event${part === 'database' ? `, ${formatFixed((cpu[part] * 1e6) / Math.max(rows, 1), 1)} us/row` : ''})`;
  });
  return `CPU over the measured ${formatFixed(wallMs / 1000, 1)} s: ${parts.join('; ')}`;
}

/** Where the service's and the simulator's CPU went, by function (self time). */
function printProfiles(dir: string, variant: string): void {
  const serviceDir = join(dir, `service-${variant}`);
  // The service's busiest thread is the one that ran it; the others loaded modules.
  const service = readdirSync(serviceDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({
      file: join(`service-${variant}`, f),
      ...summarizeCpuProfileFile(join(serviceDir, f)),
    }))
    .sort((a, b) => b.busyMs - a.busyMs)[0];
  const simulatorFile = `simulator-${variant}.cpuprofile`;
  const simulator = { file: simulatorFile, ...summarizeCpuProfileFile(join(dir, simulatorFile)) };
  for (const { file, busyMs, entries } of service === undefined
    ? [simulator]
    : [service, simulator])
    process.stdout.write(
      `profile ${file}: ${formatFixed(busyMs / 1000, 1)} s busy, self time by function:\n` +
        entries
          .map((e) => `  ${formatFixed(e.share * 100, 1).padStart(5)} %  ${e.where}`)
          .join('\n') +
        '\n',
    );
}

try {
  for (const variant of VARIANTS) {
    const { stats, metrics, delivered, wallMs, cpu, wakeUps } = await drive(
      variant,
      RATE,
      SECONDS,
      PROFILE_DIR !== undefined,
    );
    const p99 = histogramQuantile(metrics, METRIC_NAMES.eventToCommitSeconds, 0.99) * 1000;
    const p50 = histogramQuantile(metrics, METRIC_NAMES.eventToCommitSeconds, 0.5) * 1000;
    const breaker = sumOf(metrics, METRIC_NAMES.circuitBreakerRejectionsTotal);
    const rows = sumOf(metrics, `${METRIC_NAMES.flushUpdatedRows}_sum`);
    const flushRows = sumOf(metrics, `${METRIC_NAMES.flushSizeRows}_sum`);
    const flushes = sumOf(metrics, `${METRIC_NAMES.flushSizeRows}_count`);
    const flushP95 = histogramQuantile(metrics, METRIC_NAMES.flushDurationSeconds, 0.95) * 1000;
    process.stdout.write(
      `${variant}: ${formatFixed(RATE)} ev/s for ${SECONDS} s: achieved ${formatFixed(stats.achievedRate)} ev/s, delivered ${formatFixed(delivered)}, dropped ${formatFixed(stats.dropped)}; ` +
        `event-to-commit p50 ${formatFixed(p50, 1)} ms p99 ${formatFixed(p99, 1)} ms; ${formatFixed(flushes)} flushes, avg ${formatFixed(flushRows / flushes, 1)} rows, flush p95 ${formatFixed(flushP95, 1)} ms; ` +
        `${formatFixed((rows / wallMs) * 1000)} rows updated/s; breaker rejections ${formatFixed(breaker)}\n`,
    );
    const perEvent = (part: keyof typeof cpu) => (cpu[part] * 1e6) / Math.max(delivered, 1);
    process.stdout.write(
      `${cpuLine(cpu, delivered, rows, wallMs)}\n` +
        `event-loop wake-ups a second: service ${formatFixed(wakeUps.service)}, simulator ${formatFixed(wakeUps.simulator)}\n` +
        `target (harness cost): service <= ${HARNESS_TARGETS_US.service} us/event -> ${perEvent('service') <= HARNESS_TARGETS_US.service ? 'met' : 'NOT met'}; simulator <= ${HARNESS_TARGETS_US.simulator} us/event -> ${perEvent('simulator') <= HARNESS_TARGETS_US.simulator ? 'met' : 'NOT met'}\n`,
    );
    Object.assign(figures, {
      [`${variant}_cpu_database_seconds`]: cpu.database,
      [`${variant}_cpu_service_seconds`]: cpu.service,
      [`${variant}_cpu_simulator_seconds`]: cpu.simulator,
      [`${variant}_database_us_per_row`]: (cpu.database * 1e6) / Math.max(rows, 1),
      [`${variant}_service_us_per_event`]: perEvent('service'),
      [`${variant}_simulator_us_per_event`]: perEvent('simulator'),
      [`${variant}_service_wake_ups_per_second`]: wakeUps.service,
      [`${variant}_simulator_wake_ups_per_second`]: wakeUps.simulator,
      [`${variant}_database_us_per_event`]: perEvent('database'),
      [`${variant}_achieved_events_per_second`]: stats.achievedRate,
      [`${variant}_event_to_commit_p99_ms`]: p99,
      [`${variant}_breaker_rejections`]: breaker,
      [`${variant}_avg_flush_rows`]: flushRows / flushes,
      [`${variant}_dropped`]: stats.dropped,
    });
    if (PROFILE_DIR !== undefined) printProfiles(PROFILE_DIR, variant);
    if (variant === 'join') {
      process.stdout.write(
        `target (join): >= 5,000 ev/s sustained, p99 event-to-commit < 300 ms, no breaker rejections -> ${stats.achievedRate >= RATE * 0.99 && p99 < 300 && breaker === 0 && stats.dropped === 0 ? 'met' : 'NOT met'}\n`,
      );
    }
  }

  if (!ONLY_STEP_ONE) {
    // The highest rate join sustains here: achieved within 1 %, nothing dropped, no breaker
    // rejections, p99 event-to-commit under 300 ms.
    let sustained = 0;
    for (const rate of SUSTAIN_STEPS) {
      const { stats, metrics, delivered, wallMs, cpu } = await drive('join', rate, 20);
      const p99 = histogramQuantile(metrics, METRIC_NAMES.eventToCommitSeconds, 0.99) * 1000;
      const stepRows = sumOf(metrics, `${METRIC_NAMES.flushUpdatedRows}_sum`);
      const ok =
        Math.abs(stats.achievedRate - rate) / rate <= 0.01 &&
        stats.dropped === 0 &&
        sumOf(metrics, METRIC_NAMES.circuitBreakerRejectionsTotal) === 0 &&
        p99 < 300;
      process.stdout.write(
        `join at ${formatFixed(rate)} ev/s for 20 s: p99 event-to-commit ${formatFixed(p99, 1)} ms, achieved ${formatFixed(stats.achievedRate)} ev/s, breaker rejections ${formatFixed(sumOf(metrics, METRIC_NAMES.circuitBreakerRejectionsTotal))} -> ${ok ? 'sustained' : 'not sustained'}\n  ${cpuLine(cpu, delivered, stepRows, wallMs)}\n`,
      );
      if (!ok) break;
      sustained = rate;
    }
    process.stdout.write(
      `highest rate join sustains here (of ${SUSTAIN_STEPS.map((r) => formatFixed(r)).join(' / ')} ev/s): ${formatFixed(sustained)} ev/s\n`,
    );
    figures.join_highest_sustained_events_per_second = sustained;

    // Efficiency: offer far more than the database takes; backpressure holds flushes at their
    // largest; compare the rows/s the service committed with the sweep's at that size.
    const overload = await drive('join', 30_000, 20);
    const rows = sumOf(overload.metrics, `${METRIC_NAMES.flushUpdatedRows}_sum`);
    const flushRows = sumOf(overload.metrics, `${METRIC_NAMES.flushSizeRows}_sum`);
    const flushes = sumOf(overload.metrics, `${METRIC_NAMES.flushSizeRows}_count`);
    const size = Math.max(1, Math.round(flushRows / flushes));
    const serviceRowsPerSecond = (rows / overload.wallMs) * 1000;
    const sweep = await runSweep(
      { client, url: database.url, schema, table: harnessTable(schema) },
      [variantFor(await loadVariant(PRODUCTION.variant), harnessTable(schema))],
      {
        ...DEFAULT_SWEEP_SETTINGS,
        sizes: [size],
        statements: ['unprepared'],
        concurrency: 8,
        minSamples: 40,
        minTimeMs: 10_000,
        explainRuns: 0,
      },
    );
    const cell = sweep.cells[0];
    const sweepRowsPerSecond =
      cell === undefined ? Number.NaN : (cell.rows * 1000) / cell.elapsedMs;
    const ratio = serviceRowsPerSecond / sweepRowsPerSecond;
    process.stdout.write(
      `efficiency (join, overload 30,000 ev/s for 20 s): service ${formatFixed(serviceRowsPerSecond)} rows/s at avg flush ${formatFixed(size)} rows, 8 partitions; ` +
        `sweep ${formatFixed(sweepRowsPerSecond)} rows/s at ${formatFixed(size)} rows, concurrency 8; ratio ${formatFixed(ratio * 100, 1)} % -> ${ratio >= 0.7 ? 'met' : 'NOT met'} (target >= 70 %)\n`,
    );
    Object.assign(figures, {
      efficiency_service_rows_per_second: serviceRowsPerSecond,
      efficiency_sweep_rows_per_second: sweepRowsPerSecond,
      efficiency_ratio: ratio,
      efficiency_flush_rows: size,
    });
  }
  notes.push('PostgreSQL, the service and the simulator share the 2 cores of one machine');
  notes.push(`flush phase: ${PHASE}`);
  notes.push(
    `simulator to service: HTTP --http-transport ${ARGS.transport}: ${ARGS.transport === 'requests' ? 'a POST /events per batch' : 'batches on one POST /events/stream'}`,
  );
  notes.push(`warm-up before each measured window: ${WARMUP_SECONDS} s at the same rate`);
  process.stdout.write(
    `${await saveBenchResult(
      'bench-e2e',
      figures,
      notes,
      {
        seconds: SECONDS,
        rate: RATE,
        variants: VARIANTS,
        prepared: PREPARED.length > 0,
        flushPhase: PHASE,
        httpTransport: ARGS.transport,
        pgSettings: PG_SETTINGS,
      },
      env,
    )}\n`,
  );
} finally {
  await bench.stop();
}
