import { formatInteger, formatUpTo } from '../../lib/format.ts';
import { createTable } from '../../lib/table.ts';
import type { SweepResult, VerdictAudit } from '../../results/schema/result-schema.ts';
import { HARNESS_METRICS, type HarnessMetric } from '../../results/metric-registry.ts';
import type { MetricReader, ThresholdOutcome } from './run-metrics.ts';
import { formatFilter, type MetricFilter } from '../thresholds/metric-key.ts';
import { planArrivals, type ScenarioPlanConfig } from '../../simulator/simulation.ts';
import { formatDuration } from '../../simulator/duration.ts';
import type { Aggregation } from '../thresholds/threshold-parser.ts';
import type { Verdict } from './revisit-verdict.ts';
import { speedVerdict } from './audit-verdict.ts';
import type { AuditReport } from './increment-audit.ts';
import type { AuditError, AuditExample } from './audit-judgement.ts';
import type { FaultRecord } from '../faults/fault-runner.ts';
import type { GeneratorLine } from './generator-fleet.ts';
import type { ServiceInstanceLine } from './service-group.ts';

const TREND = [
  ['avg', { kind: 'avg' }],
  ['min', { kind: 'min' }],
  ['med', { kind: 'med' }],
  ['max', { kind: 'max' }],
  ['p(90)', { kind: 'p', percentile: 90 }],
  ['p(95)', { kind: 'p', percentile: 95 }],
  ['p(99)', { kind: 'p', percentile: 99 }],
  ['p(99.9)', { kind: 'p', percentile: 99.9 }],
] as const;
const UNITS: Partial<Record<HarnessMetric, string>> = {
  flush_duration: 'ms',
  event_to_commit: 'ms',
  schedule_lag: 'ms',
  flush_size: 'rows',
  rows_updated: 'rows',
  db_cpu: '%',
};

/** A sub-metric a threshold names: `flush_duration{scenario:steady}`. */
export interface SubMetric {
  readonly key: string;
  readonly metric: HarnessMetric;
  readonly filter: MetricFilter;
}

/**
 * Every metric under the aggregations the summary shows, for the results JSON; each
 * sub-metric a threshold names follows its metric, keyed as k6 keys it.
 */
export function metricValues(
  readers: Record<HarnessMetric, MetricReader>,
  subMetrics: readonly SubMetric[] = [],
  trendStats: readonly string[] = [],
): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  // The scenario's summaryTrendStats add their percentiles to the ones always kept.
  const trend: (readonly [string, Aggregation])[] = [...TREND];
  for (const stat of trendStats) {
    const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
    if (p !== null && !trend.some(([name]) => name === stat))
      trend.push([stat, { kind: 'p', percentile: Number(p[1]) }]);
  }
  const valuesOf = (metric: HarnessMetric, filter: MetricFilter) => {
    const read = (a: Aggregation) => readers[metric](a, filter);
    const type = HARNESS_METRICS[metric];
    const entries: [string, number][] =
      type === 'trend'
        ? trend.map(([name, a]) => [name, read(a)])
        : type === 'counter'
          ? [
              ['count', read({ kind: 'count' })],
              ['rate', read({ kind: 'rate' })],
            ]
          : // A gauge sampled over the run also has its lowest and highest sample, as in k6.
            (['value', 'min', 'max'] as const)
              .map((k): [string, number] => [k, read({ kind: k })])
              .filter(([k, v]) => k === 'value' || Number.isFinite(v));
    return Object.fromEntries(entries.map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
  };
  for (const metric of Object.keys(HARNESS_METRICS) as HarnessMetric[]) {
    out[metric] = valuesOf(metric, {});
    for (const sub of subMetrics)
      if (sub.metric === metric && sub.key !== metric) out[sub.key] = valuesOf(metric, sub.filter);
  }
  return out;
}

/** The trends each scenario of a file of several gets as a sub-metric, thresholds or not. */
const PER_SCENARIO: readonly HarnessMetric[] = ['flush_duration', 'event_to_commit', 'flush_size'];

/**
 * A file of several scenarios (a warm-up, then the steady part) reports each one's latencies
 * apart, judged or not, so the warm-up is seen without moving the verdict.
 */
export function perScenarioSubMetrics(
  scenarios: readonly { readonly name: string }[],
): SubMetric[] {
  return PER_SCENARIO.flatMap((metric) =>
    scenarios.map((sc) => ({
      key: `${metric}${formatFilter({ scenario: sc.name })}`,
      metric,
      filter: { scenario: sc.name },
    })),
  );
}

/** `warmup 0s-30s, steady 30s-10m30s (the verdict and tables are about steady)`. */
export function scenarioParts(
  scenarios: readonly (ScenarioPlanConfig & { readonly gracefulStopMs: number })[],
  main: string,
): string {
  const at = (ms: number) => formatDuration(ms);
  return `${scenarios
    .map((sc) => {
      const end = sc.startTimeMs + planArrivals(sc.executor).durationMs;
      return `${sc.name} ${at(sc.startTimeMs)}-${at(end)}`;
    })
    .join(', ')} (the verdict and the partition table are about ${main})`;
}

/**
 * A trend's statistics as summaryTrendStats lists them (in its order), or all it has; other
 * metrics' values as they are.
 */
export function shownStats<T>(
  metric: string,
  values: Record<string, T>,
  trendStats: readonly string[] | undefined,
): Record<string, T> {
  const name = metric.split('{', 1)[0] as HarnessMetric;
  if (trendStats === undefined || HARNESS_METRICS[name] !== 'trend') return values;
  return Object.fromEntries(
    trendStats.flatMap((s) => (Object.hasOwn(values, s) ? [[s, values[s] as T]] : [])),
  );
}

/**
 * k6's end-of-test summary shape: one line per metric, a check mark when its thresholds
 * passed, and under a metric each of its sub-metrics (`{ scenario:steady }`).
 */
export function metricLines(
  values: Record<string, Record<string, number | null>>,
  thresholds: readonly ThresholdOutcome[],
  trendStats?: readonly string[],
): string {
  const label = (key: string) => {
    const brace = key.indexOf('{');
    return brace < 0
      ? key
      : `  { ${key
          .slice(brace + 1, -1)
          .split(',')
          .join(', ')} }`;
  };
  const width = Math.max(...Object.keys(values).map((m) => label(m).length)) + 3;
  return Object.entries(values)
    .map(([key, v]) => {
      const own = thresholds.filter((t) => t.metric === key);
      const mark = own.length === 0 ? ' ' : own.every((t) => t.ok) ? '✓' : '✗';
      const metric = key.split('{', 1)[0] as HarnessMetric;
      const unit = UNITS[metric] ?? '';
      const parts = Object.entries(shownStats(metric, v, trendStats)).map(
        ([k, x]) =>
          `${k}=${x === null ? '-' : `${formatUpTo(x)}${unit === '%' ? '%' : unit === '' ? '' : ` ${unit}`}`}`,
      );
      const name = label(key);
      return name.startsWith('  ')
        ? `    ${mark} ${name.slice(2).padEnd(width - 2, '.')}: ${parts.join(' ')}`
        : `  ${mark} ${name.padEnd(width, '.')}: ${parts.join(' ')}`;
    })
    .join('\n');
}

/**
 * The thresholds, and the audit's checks below them: every run holds its table to the
 * increments it sent, whether or not the scenario names a threshold on them.
 */
export function thresholdTable(
  thresholds: readonly ThresholdOutcome[],
  audit?: VerdictAudit,
): string {
  if (thresholds.length === 0 && audit === undefined) return 'no thresholds';
  const table = createTable(
    ['Metric', 'Threshold', 'Value', 'Result'],
    ['left', 'left', 'right', 'left'],
  );
  for (const t of thresholds)
    table.push([
      t.metric,
      t.expression,
      t.value === null ? '-' : formatUpTo(t.value),
      t.ok ? 'ok' : 'FAILED',
    ]);
  for (const c of audit?.checks ?? [])
    table.push([
      `audit: ${c.name}`,
      'count==0',
      formatInteger(c.count),
      c.ok ? 'ok' : c.allowed ? 'FAILED (allowed by the scenario)' : 'FAILED',
    ]);
  return table.toString();
}

/** The audit's verdict in a few lines: which checks failed, what they mean, a few rows. */
export function wrongResultsLines(verdict: Verdict): string {
  const audit = verdict.audit;
  if (verdict.result !== 'WRONG RESULTS' || audit === undefined) return '';
  const failed = audit.checks.filter((c) => !c.ok);
  const lines = [
    `verdict: WRONG RESULTS (variant ${audit.variant}: ${failed
      .map(
        (c) =>
          `${c.name} ${formatInteger(c.count)} in ${formatInteger(c.rows)} rows${c.allowed ? ', allowed by the scenario' : ''}`,
      )
      .join('; ')})`,
  ];
  if (audit.meaning !== undefined) lines.push(`  ${audit.meaning}`);
  if (audit.examples.length > 0) {
    const table = createTable(
      ['Row', 'Player', 'Goal', 'Expected', 'Found'],
      ['left', 'left', 'left', 'right', 'right'],
    );
    for (const x of audit.examples)
      table.push([x.kind, x.player, x.goal, x.expected, formatInteger(x.found)]);
    lines.push(table.toString());
  }
  return `${lines.join('\n')}\n`;
}

export interface PartitionRow {
  readonly partition: number;
  readonly flushes: number;
  readonly sharePercent: number;
  readonly avgRows: number | null;
}

/**
 * The analysis's per-partition table: flushes, share of all flushes, average records per flush,
 * from readers already narrowed to the part of the run it is about (its steady part).
 */
export function partitionRows(
  readers: Pick<Record<HarnessMetric, MetricReader>, 'flushes' | 'flush_size'>,
  partitions: number,
): PartitionRow[] {
  const total = readers.flushes({ kind: 'count' });
  return Array.from({ length: partitions }, (_, p) => {
    const flushes = readers.flushes({ kind: 'count' }, { partition: p });
    const avg = readers.flush_size({ kind: 'avg' }, { partition: p });
    return {
      partition: p,
      flushes,
      sharePercent: total === 0 ? 0 : (flushes / total) * 100,
      avgRows: flushes === 0 || !Number.isFinite(avg) ? null : avg,
    };
  });
}

export function partitionTable(rows: readonly PartitionRow[]): string {
  const table = createTable(['Partition', 'Flushes', 'Share', 'Avg records/flush']);
  for (const r of rows)
    table.push([
      `Partition ${r.partition}`,
      formatInteger(r.flushes),
      `${formatUpTo(r.sharePercent, 1)} %`,
      r.avgRows === null ? '-' : formatUpTo(r.avgRows, 1),
    ]);
  return table.toString();
}

export function verdictTable(verdict: Verdict): string {
  const table = createTable(
    ['Revisit when', 'Measured', 'Limit', 'Fired'],
    ['left', 'left', 'left', 'left'],
  );
  // What a trigger read goes under it, so the table stays as wide as its figures.
  for (const c of verdict.checks)
    table.push([
      c.read === undefined ? c.trigger : `${c.trigger}\n  read: ${c.read}`,
      c.measured,
      c.limit,
      c.fired === null ? 'not evaluated' : c.fired ? 'YES' : 'no',
    ]);
  return table.toString();
}

/** The analysis's "Performance Targets Revisited" table, filled with this run's numbers. */
export function targetsRevisited(
  readers: Record<HarnessMetric, MetricReader>,
  sweep: SweepResult | undefined,
  variant: string,
): string {
  const avgRows = readers.flush_size({ kind: 'avg' });
  const p95 = readers.flush_duration({ kind: 'p', percentile: 95 });
  const avgMs = readers.flush_duration({ kind: 'avg' });
  const planning = sweep?.metrics.cells
    .filter((c) => c.variant === variant && c.statement === 'unprepared' && c.planningMs !== null)
    .sort((a, b) => Math.abs(a.size - avgRows) - Math.abs(b.size - avgRows))[0];
  const lin = sweep?.metrics.linearity.find(
    (l) => l.variant === variant && l.statement === 'unprepared',
  );
  const degrading = lin?.ratios.some((r) => r.ratio > 1.5);
  const table = createTable(
    ['Operation', 'Target', `Actual (${formatUpTo(avgRows, 0)} rows)`, 'Status'],
    ['left', 'left', 'left', 'left'],
  );
  table.push([
    'BatchIncrementProgress',
    '< 50ms',
    `${formatUpTo(p95)} ms (p95 flush)`,
    Number.isFinite(p95) ? (p95 < 50 ? 'PASS' : 'FAIL') : '-',
  ]);
  table.push([
    'Planning overhead',
    'N/A',
    planning === undefined
      ? 'no sweep for this commit'
      : `${formatUpTo(planning.planningMs ?? Number.NaN)} ms (sweep, ${planning.size} rows)`,
    planning === undefined ? '-' : 'measured',
  ]);
  table.push([
    'Per-row cost',
    'N/A',
    `${formatUpTo(avgMs / avgRows, 3)} ms/row`,
    degrading === undefined
      ? 'no sweep for this commit'
      : degrading
        ? 'Degrading'
        : 'Linear scaling',
  ]);
  return table.toString();
}

/** Each generator's share of the load: what it was given, sent, and what its target said. */
export function generatorTable(lines: readonly GeneratorLine[]): string {
  const table = createTable(
    [
      'Generator',
      'Scheduled',
      'Sent',
      'Dropped',
      'Achieved',
      'Lag p99',
      'Acknowledged',
      'Refused',
      'Failed',
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  for (const g of lines)
    table.push([
      g.shard,
      formatInteger(g.scheduled),
      formatInteger(g.sent),
      formatInteger(g.dropped),
      `${formatUpTo(g.achievedRate, 1)} ev/s`,
      `${formatUpTo(g.lagP99Ms, 2)} ms`,
      formatInteger(g.delivered),
      formatInteger(g.rejected),
      formatInteger(g.failed),
    ]);
  return table.toString();
}

/** Which partitions each service flushed: a partition handed over in a rebalance shows on both. */
export function serviceTable(lines: readonly ServiceInstanceLine[]): string {
  const table = createTable(
    ['Service', 'Processes', 'Flushes', 'Flushes by partition'],
    ['left', 'right', 'right', 'left'],
  );
  for (const s of lines) {
    const parts = Object.entries(s.flushes)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => Number(a) - Number(b));
    table.push([
      String(s.instance),
      String(s.lives),
      formatInteger(parts.reduce((n, [, f]) => n + f, 0)),
      parts.length === 0 ? 'none' : parts.map(([p, n]) => `${p}: ${formatInteger(n)}`).join(', '),
    ]);
  }
  return table.toString();
}

/** The faults of the run as they happened. */
export function faultTable(faults: readonly FaultRecord[]): string {
  const table = createTable(['At', 'Fault', 'Took', 'Result'], ['right', 'left', 'right', 'left']);
  for (const f of faults)
    table.push([
      `${formatUpTo(f.t, 1)} s`,
      f.detail,
      `${formatUpTo(f.durationMs / 1000, 1)} s`,
      f.ok ? 'done' : `FAILED: ${f.error ?? ''}`,
    ]);
  return table.toString();
}

/** One example row: its key, what it held before and after, and the bounds it had to keep. */
function exampleLine(
  label: string,
  // Results from before the bounds were saved have none.
  x: Omit<AuditExample, 'low' | 'high'> & { readonly low?: number; readonly high?: number },
): string {
  const window =
    x.inCrashWindow === undefined ? '' : `, ${formatInteger(x.inCrashWindow)} in a crash window`;
  const bounds =
    x.low === undefined || x.high === undefined
      ? ''
      : `, expected ${x.low === x.high ? formatInteger(x.low) : `${formatInteger(x.low)} to ${formatInteger(x.high)}`}`;
  return `  ${label}: ${x.userId} / ${x.goalId}: ${x.before} -> ${x.after}, acknowledged +${x.acknowledged}${window}, sent +${x.sent}${bounds}`;
}

function errorText(e: AuditError | null | undefined): string | undefined {
  return e === null || e === undefined
    ? undefined
    : `${formatInteger(e.absolute)} (${formatUpTo(e.relative * 100, 1)} % of what the row had to move)`;
}

/** The audit in a few lines: what was sent and acknowledged, and what the table says of it. */
export function auditLines(audit: AuditReport, transport: 'http' | 'kafka'): string {
  const e = audit.events;
  const perKey = audit.crashes !== undefined;
  const lines = [
    `audit: ${formatInteger(audit.rowsChecked)} rows against ${formatInteger(e.scheduled)} events (${formatInteger(e.acknowledged)} acknowledged, ${formatInteger(e.unknown)} sent without an answer, ${formatInteger(e.refused)} refused, ${formatInteger(e.notSent)} not sent), in ${formatUpTo(audit.durationMs / 1000, 1)} s`,
    perKey
      ? `  lost increments ${formatInteger(audit.lost)} outside the crash windows${audit.keysLost > 0 ? ` (${formatInteger(audit.keysLost)} rows short)` : ''}; doubled ${formatInteger(audit.doubled)}${audit.keysDoubled > 0 ? ` (${formatInteger(audit.keysDoubled)} rows over)` : ''}; rows that must not move and did ${formatInteger(audit.untouchableMoved)}`
      : `  lost increments ${formatInteger(audit.lost)}${audit.keysLost > 0 ? ` (${formatInteger(audit.keysLost)} rows short${audit.lost === 0 ? ', all within the crash window below' : ''})` : ''}; doubled ${formatInteger(audit.doubled)}${audit.keysDoubled > 0 ? ` (${formatInteger(audit.keysDoubled)} rows over)` : ''}; rows that must not move and did ${formatInteger(audit.untouchableMoved)}`,
  ];
  if (audit.crashes !== undefined)
    audit.crashes.forEach((c, i) => {
      lines.push(
        transport === 'kafka'
          ? `  crash ${i + 1}${c.atSeconds === undefined ? '' : ` at ${formatUpTo(c.atSeconds, 1)} s`}: no window (the log keeps every event until a flush commits it; the service reported ${formatInteger(c.unwrittenReported)} unwritten)`
          : `  crash ${i + 1}${c.atSeconds === undefined ? '' : ` at ${formatUpTo(c.atSeconds, 1)} s`}: lost ${formatInteger(c.lost)} in ${formatInteger(c.keysLost)} rows, within its window of ${formatInteger(c.window)} increments in ${formatInteger(c.keys)} rows acknowledged and not known written (the service reported ${formatInteger(c.unwrittenReported)} unwritten)`,
      );
    });
  else if (transport === 'http' && (audit.crashBound > 0 || audit.lostAtCrash > 0))
    lines.push(
      `  lost at crash ${formatInteger(audit.lostAtCrash)} (the service was killed holding up to ${formatInteger(audit.crashBound)} increments it had acknowledged but not written: the in-memory buffer's known window)`,
    );
  if ((audit.indeterminate ?? 0) > 0)
    lines.push(
      `  indeterminate ${formatInteger(audit.indeterminate ?? 0)} increments (sent without an answer: they may or may not be in the table, so they widen the upper bounds only)`,
    );
  if (audit.deadLettered > 0)
    lines.push(
      `  set aside in dead_letters ${formatInteger(audit.deadLettered)} (the database refused them; not counted as lost)`,
    );
  const lost = errorText(audit.maxError?.lost);
  const over = errorText(audit.maxError?.doubled);
  if (lost !== undefined || over !== undefined)
    lines.push(
      `  largest error of a row: ${[lost === undefined ? undefined : `short ${lost}`, over === undefined ? undefined : `over ${over}`].filter((x) => x !== undefined).join('; ')}`,
    );
  for (const x of audit.examples.lost.slice(0, 3)) lines.push(exampleLine('short', x));
  for (const x of audit.examples.lostAtCrash?.slice(0, 3) ?? [])
    lines.push(exampleLine('short within a crash window', x));
  for (const x of audit.examples.doubled.slice(0, 3)) lines.push(exampleLine('over', x));
  for (const x of audit.examples.untouchable?.slice(0, 3) ?? [])
    lines.push(exampleLine('moved though it must not', x));
  return lines.join('\n');
}

/** Everything the end-of-run summary shows, as plain data: a run just made or one read back. */
export interface RunSummaryView {
  readonly scriptPath: string;
  /** The scenario's summaryTrendStats: the trend statistics shown (all when absent). */
  readonly trendStats?: readonly string[];
  readonly outputPath: string;
  readonly scenario: {
    readonly name: string;
    readonly executor: string;
    readonly variant: string;
    readonly partitions: number;
    readonly flushIntervalMs: number;
    readonly bufferSize: number;
    /** The parts of a file of several scenarios (scenarioParts), or null for one. */
    readonly parts: string | null;
  };
  readonly database: {
    readonly version: string;
    readonly kind: string;
    readonly players: number;
    readonly goals: number;
  };
  readonly aborted: string | null;
  readonly values: Record<string, Record<string, number | null>>;
  readonly thresholds: readonly ThresholdOutcome[];
  readonly partitions: readonly PartitionRow[];
  readonly faults: {
    readonly records: readonly FaultRecord[];
    readonly serviceLives: number;
    readonly link: {
      readonly connections: number;
      readonly commitRepliesDropped: number;
      readonly resets: number;
    } | null;
  } | null;
  readonly audit: { readonly report: AuditReport; readonly transport: 'http' | 'kafka' } | null;
  /** One line per generator process, when several made the load (the metrics are their merge). */
  readonly generators?: readonly GeneratorLine[] | null;
  /** Each service in one consumer group, when more than one consumed the topic. */
  readonly services?: readonly ServiceInstanceLine[];
  /** The settling line (settlingLine) and the machine's load line (machineLoadLine). */
  readonly settling: string | null;
  readonly machine: string | null;
  readonly flushSize: {
    readonly predicted: number;
    readonly eventsPerSecond: number;
    /** The scenario whose rate predicts it, in a file of several. */
    readonly of?: string;
    readonly rowsPerEvent: number;
    readonly measured: number;
  };
  readonly verdict: Verdict;
  /** The analysis's targets table (targetsRevisited), or '' when there is nothing to fill it. */
  readonly targets: string;
}

/**
 * What `harness run` prints at the end, k6's summary first: its header lines (tools that read
 * k6's console output, k6-to-junit, name the suite from `script:`), the metrics, thresholds
 * and partitions, then the faults, the audit, the flush size and the revisit verdict.
 */
export function renderRunSummary(v: RunSummaryView): string {
  const { scenario: sc, database: db, flushSize: fs } = v;
  let out = `\n  execution: local\n     script: ${v.scriptPath}\n     output: ${v.outputPath}\n`;
  out +=
    `\n     scenario: ${sc.name} (${v.scriptPath}), ${sc.executor}, variant ${sc.variant}, ${sc.partitions} partitions, ${sc.flushIntervalMs} ms / ${sc.bufferSize} keys\n` +
    (sc.parts === null ? '' : `     parts:    ${sc.parts}\n`) +
    `     database: PostgreSQL ${db.version} (${db.kind}); ${formatInteger(db.players)} players x ${db.goals} goals\n` +
    (v.aborted === null ? '' : `     aborted:  ${v.aborted}\n`) +
    `\n${metricLines(v.values, v.thresholds, v.trendStats)}\n\n${thresholdTable(v.thresholds, v.verdict.audit)}\n\n${partitionTable(v.partitions)}\n`;
  if (v.services !== undefined && v.services.length > 1)
    out += `\nservices: ${v.services.length} instances of harness sut in one consumer group; the figures above add up every instance's /metrics and exact histograms, each partition over whichever instance held it:\n${serviceTable(v.services)}\n`;
  if (v.generators != null && v.generators.length > 0)
    out += `\ngenerators (${v.generators.length} processes, each a shard of the players; the figures above are their merge):\n${generatorTable(v.generators)}\n`;
  if (v.faults !== null) {
    const { link, serviceLives } = v.faults;
    out += `\nfaults (the service ran as ${serviceLives} process${serviceLives === 1 ? '' : 'es'}${link === null ? '' : `; the link proxy saw ${link.connections} connections, dropped ${link.commitRepliesDropped} commit replies, cut ${link.resets} connections`}):\n${faultTable(v.faults.records)}\n`;
  }
  if (v.audit !== null) out += `\n${auditLines(v.audit.report, v.audit.transport)}\n`;
  if (v.settling !== null) out += `${v.settling}\n`;
  if (v.machine !== null) out += `${v.machine}\n`;
  out += '\n';
  out += `flush size: predicted ${fs.predicted.toFixed(1)} rows (${fs.eventsPerSecond.toFixed(1)} events/s${fs.of === undefined ? '' : ` of ${fs.of}`} x ${fs.rowsPerEvent} rows/event x ${sc.flushIntervalMs / 1000} s / ${sc.partitions} partitions), measured ${Number.isFinite(fs.measured) ? fs.measured.toFixed(1) : '-'} rows\n\n`;
  const fired = v.verdict.checks.filter((c) => c.fired === true);
  const speed = speedVerdict(v.verdict);
  out += `${verdictTable(v.verdict)}\n\n${v.targets === '' ? '' : `${v.targets}\n\n`}${v.verdict.result === 'WRONG RESULTS' ? 'speed verdict' : 'verdict'}: ${speed}${
    speed === 'REVISIT'
      ? ` (${fired.map((c) => `${c.trigger}: ${c.measured}`).join('; ')})`
      : ' (no revisit trigger fired)'
  }\n`;
  const why = v.verdict.explanation ?? [];
  if (why.length > 0)
    out += `${speed === 'REVISIT' ? 'why' : 'where the database time goes'}:\n${why.map((l) => `- ${l}`).join('\n')}\n`;
  // Last, where it is read: a wrong result outranks any speed verdict.
  const wrong = wrongResultsLines(v.verdict);
  if (wrong !== '') out += `\n${wrong}`;
  return out;
}
