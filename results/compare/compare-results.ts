import { UsageError } from '../../scripts/lib/usage-error.ts';
import {
  weightedBuckets,
  bucketQuantile,
  type BucketHistogram,
} from '../stats/bucket-histogram.ts';
import { median } from '../stats/descriptive.ts';
import { mannWhitneyU, weightsOf, type WeightedValue } from '../stats/mann-whitney.ts';
import { resultFigures } from '../key-figures.ts';
import { exactHistogram, judgedPart, machineFigure, type ExactMetric } from '../run-latency.ts';
import type { IndexedResult } from '../run-index.ts';
import type { ResultFile, RunResult, SweepResult } from '../schema/result-schema.ts';

/** benchstat's default: a change is significant when p < 0.05. */
export const ALPHA = 0.05;

/** Which way is good: lower latencies, higher throughput; `none` for figures that only describe. */
export type Direction = 'lower' | 'higher' | 'none';

export interface ComparisonRow {
  /** Rows of one section share a heading and unit, like a benchstat table. */
  readonly section: string;
  readonly label: string;
  readonly base: number | null;
  readonly head: number | null;
  /** (head - base) / base x 100; null when either side is missing or base is 0. */
  readonly deltaPercent: number | null;
  /** Two-sided Mann-Whitney p; null when there is nothing to test (a single figure). */
  readonly p: number | null;
  readonly nBase: number;
  readonly nHead: number;
  readonly direction: Direction;
  readonly significant: boolean;
  /** Significant and in the bad direction. */
  readonly regression: boolean;
}

export interface ComparedSide {
  readonly path: string;
  readonly commit: string;
  readonly dirty: boolean;
  readonly createdAt: string;
}

export interface Comparison {
  readonly kind: ResultFile['kind'];
  readonly name: string;
  readonly base: ComparedSide;
  readonly head: ComparedSide;
  readonly rows: readonly ComparisonRow[];
  readonly notes: readonly string[];
}

interface Measure {
  readonly value: number | null;
  /** The samples behind the value, when it has any: raw, or histogram buckets. */
  readonly samples?: readonly WeightedValue[];
}

/** How many observations stand behind a measure: its samples' weight, 1 for a single figure. */
function sampleCount(m: Measure | undefined): number {
  if (m === undefined) return 0;
  return m.samples === undefined ? 1 : m.samples.reduce((sum, v) => sum + v.weight, 0);
}

function row(
  section: string,
  label: string,
  direction: Direction,
  base: Measure | undefined,
  head: Measure | undefined,
): ComparisonRow {
  const b = base?.value ?? null;
  const h = head?.value ?? null;
  const deltaPercent = b === null || h === null || b === 0 ? null : ((h - b) / b) * 100;
  let p: number | null = null;
  if (base?.samples !== undefined && head?.samples !== undefined)
    p = mannWhitneyU(base.samples, head.samples).p;
  const significant = p !== null && p < ALPHA && deltaPercent !== null && deltaPercent !== 0;
  const worse =
    deltaPercent !== null &&
    ((direction === 'lower' && deltaPercent > 0) || (direction === 'higher' && deltaPercent < 0));
  return {
    section,
    label,
    base: b,
    head: h,
    deltaPercent,
    p,
    nBase: sampleCount(base),
    nHead: sampleCount(head),
    direction,
    significant,
    regression: significant && worse,
  };
}

function side(r: IndexedResult): ComparedSide {
  return {
    path: r.path,
    commit: r.result.git.commit,
    dirty: r.result.git.dirty,
    createdAt: r.result.createdAt,
  };
}

/**
 * Compares two results of the same kind (and, for runs and benchmarks, the same scenario or
 * benchmark) metric by metric. Significance comes from a Mann-Whitney U test on the samples
 * behind each figure: a sweep cell's timed batches, a run's flush and event-to-commit
 * histograms (bucket by bucket), a run's per-second series. Single figures (counts, CPU) are
 * shown with their change but never called significant: one run cannot tell noise apart.
 */
export function compareResults(base: IndexedResult, head: IndexedResult): Comparison {
  const a = base.result;
  const b = head.result;
  if (a.kind !== b.kind)
    throw new UsageError(
      `cannot compare a ${a.kind} result (${base.path}) with a ${b.kind} result (${head.path}): both sides must be the same kind`,
    );
  if (a.kind !== 'sweep' && a.name !== b.name)
    throw new UsageError(
      `cannot compare ${a.kind} "${a.name}" (${base.path}) with ${b.kind} "${b.name}" (${head.path}): both sides must be the same ${a.kind === 'run' ? 'scenario' : a.kind}`,
    );
  const notes: string[] = [...environmentNotes(a.env, b.env), ...noiseNotes(a, b)];
  let rows: ComparisonRow[];
  switch (a.kind) {
    case 'sweep':
      rows = sweepRows(a, b as SweepResult, notes);
      break;
    case 'run':
      rows = runRows(a, b as RunResult, notes);
      break;
    default:
      rows = figureRows(a, b);
  }
  return { kind: a.kind, name: b.name, base: side(base), head: side(head), rows, notes };
}

type Environment = NonNullable<ResultFile['env']>;

/** Past this many points more of the machine taken by other processes, one side was the noisier. */
const NOISIER_BY_POINTS = 5;

/**
 * How busy the machine was on each side, and which side was the noisier: a slower head
 * measured beside other work may be the machine, not the commit.
 */
export function noiseNotes(base: ResultFile, head: ResultFile): string[] {
  const load = (r: ResultFile) =>
    r.kind === 'run' || r.kind === 'sweep' ? r.metrics.machine : undefined;
  const b = load(base);
  const h = load(head);
  if (b === undefined && h === undefined) return [];
  if (b === undefined || h === undefined)
    return [
      `machine load: only the ${b === undefined ? 'head' : 'base'} recorded it (${machineFigure(b ?? h) ?? ''}); the other side's noise is unknown`,
    ];
  const both = `base ${machineFigure(b) ?? ''}; head ${machineFigure(h) ?? ''}`;
  const gap = h.cpuPercent.others - b.cpuPercent.others;
  if (Math.abs(gap) <= NOISIER_BY_POINTS && b.warning === null && h.warning === null)
    return [`machine load: alike on both sides (${both})`];
  const noisier = gap > 0 ? 'head' : 'base';
  return [
    `machine load: the ${noisier} ran on the noisier machine (${both}); part of any change may come from that`,
  ];
}

/**
 * Where the two sides ran differently (PostgreSQL settings and version, cores, Node): a
 * change there moves figures by itself, so the reader is told before reading the table.
 */
export function environmentNotes(base: Environment | null, head: Environment | null): string[] {
  if (base === null || head === null) return [];
  const changes: string[] = [];
  const differ = (what: string, b: string, h: string) => {
    if (b !== h) changes.push(`${what} ${b} -> ${h}`);
  };
  differ('PostgreSQL', base.postgres.version, head.postgres.version);
  differ('PostgreSQL from', base.postgres.source, head.postgres.source);
  // A setting recorded on one side only (a newer harness records more) is no known difference.
  for (const [name, value] of Object.entries(base.postgres.settings)) {
    const other = head.postgres.settings[name];
    if (other !== undefined) differ(name, value, other);
  }
  differ('cores', String(base.cpu.count), String(head.cpu.count));
  differ('node', base.node, head.node);
  return changes.length === 0
    ? []
    : [
        `the two sides ran in different environments (${changes.join('; ')}): part of any change may come from that`,
      ];
}

function sweepRows(base: SweepResult, head: SweepResult, notes: string[]): ComparisonRow[] {
  const key = (c: SweepResult['metrics']['cells'][number]) =>
    `${c.statement}\u0000${c.variant}\u0000${String(c.size).padStart(8, '0')}`;
  const baseCells = new Map(base.metrics.cells.map((c) => [key(c), c]));
  const headCells = new Map(head.metrics.cells.map((c) => [key(c), c]));
  const keys = [...new Set([...baseCells.keys(), ...headCells.keys()])].sort();
  const rows: ComparisonRow[] = [];
  const onlyOne: string[] = [];
  for (const k of keys) {
    const bc = baseCells.get(k);
    const hc = headCells.get(k);
    const cell = (hc ?? bc) as SweepResult['metrics']['cells'][number];
    const label = `${cell.variant} ${cell.size} rows`;
    if (bc === undefined || hc === undefined) onlyOne.push(`${label} ${cell.statement}`);
    const measure = (c: typeof bc): Measure | undefined =>
      c === undefined ? undefined : { value: median(c.samplesMs), samples: weightsOf(c.samplesMs) };
    rows.push(
      row(
        `wall time per batch, ${cell.statement} (ms, median)`,
        label,
        'lower',
        measure(bc),
        measure(hc),
      ),
    );
  }
  if (onlyOne.length > 0)
    notes.push(`measured on one side only (no comparison): ${onlyOne.join(', ')}`);
  if (base.config.players !== head.config.players || base.config.goals !== head.config.goals)
    notes.push(
      `the table sizes differ (${base.config.players} x ${base.config.goals} vs ${head.config.players} x ${head.config.goals}): timings are not like for like`,
    );
  return rows;
}

const HISTOGRAM_ROWS: readonly [
  keyof NonNullable<RunResult['metrics']['histograms']>,
  string,
  string,
  Direction,
][] = [
  ['flushDurationMs', 'flush_duration', 'ms', 'lower'],
  ['eventToCommitMs', 'event_to_commit', 'ms', 'lower'],
  ['flushSizeRows', 'flush_size', 'rows', 'none'],
];

const SERIES_ROWS: readonly [keyof RunResult['metrics']['series'][number], string, Direction][] = [
  ['eventsPerSecond', 'events/s', 'higher'],
  ['flushP95Ms', 'flush p95 (ms)', 'lower'],
  ['eventToCommitP99Ms', 'event-to-commit p99 (ms)', 'lower'],
  ['bufferDepth', 'buffer depth', 'lower'],
];

const COUNTER_ROWS: readonly [string, string, Direction][] = [
  ['events_sent', 'count', 'none'],
  ['dropped_events', 'count', 'lower'],
  ['rejected_events', 'count', 'lower'],
  ['flush_errors', 'count', 'lower'],
  ['flushes', 'count', 'none'],
  ['schedule_lag', 'p(99)', 'lower'],
  ['db_cpu', 'value', 'lower'],
];

const EXACT_OF: Record<(typeof HISTOGRAM_ROWS)[number][0], ExactMetric> = {
  flushDurationMs: 'flushDurationUs',
  eventToCommitMs: 'eventToCommitUs',
  flushSizeRows: 'flushRows',
};

/**
 * Both sides' exact percentiles of their judged parts (the steady scenario after a warm-up).
 * One run per side holds one value per percentile: shown with its change, not tested, since
 * the flushes inside one run are not independent trials.
 */
function exactRows(base: RunResult, head: RunResult, notes: string[]): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const bPart = judgedPart(base);
  const hPart = judgedPart(head);
  for (const [field, metric, unit, direction] of HISTOGRAM_ROWS) {
    const scale = unit === 'ms' ? 1 / 1000 : 1;
    const value = (r: RunResult, scenario: string | undefined, percentile: number): Measure => {
      const h = exactHistogram(r, EXACT_OF[field], scenario);
      if (h === undefined || h.totalCount === 0) {
        h?.destroy();
        return { value: null };
      }
      const v = h.getValueAtPercentile(percentile) * scale;
      h.destroy();
      return { value: v };
    };
    for (const [label, percentile] of [
      ['med', 50],
      ['p(95)', 95],
      ['p(99)', 99],
      ['p(99.9)', 99.9],
      ['max', 100],
    ] as const)
      rows.push(
        row(
          `${metric} (${unit}), ${bPart.label === hPart.label ? bPart.label : `${bPart.label} / ${hPart.label}`}, exact`,
          `${metric} ${label}`,
          direction,
          value(base, bPart.scenario, percentile),
          value(head, hPart.scenario, percentile),
        ),
      );
  }
  notes.push(
    'run percentiles are exact (HdrHistogram) over the judged part of each run; one run per side cannot tell a change from noise, so they are not tested',
  );
  return rows;
}

function runRows(base: RunResult, head: RunResult, notes: string[]): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const bh = base.metrics.histograms;
  const hh = head.metrics.histograms;
  const exact = base.metrics.latency !== undefined && head.metrics.latency !== undefined;
  if (exact) rows.push(...exactRows(base, head, notes));
  for (const [field, metric, unit, direction] of exact ? [] : HISTOGRAM_ROWS) {
    const section = `${metric} (${unit}), whole run`;
    const bHist = bh?.[field];
    const hHist = hh?.[field];
    const sameBounds =
      bHist !== undefined && hHist !== undefined && bHist.bounds.join() === hHist.bounds.join();
    for (const [label, q] of [
      ['med', 0.5],
      ['p(95)', 0.95],
      ['p(99)', 0.99],
    ] as const) {
      const measure = (h: BucketHistogram | undefined, r: RunResult): Measure => {
        if (h === undefined) return { value: r.metrics.values[metric]?.[label] ?? null };
        const v = bucketQuantile(h, q);
        return {
          value: Number.isFinite(v) ? v : null,
          ...(sameBounds ? { samples: weightedBuckets(h) } : {}),
        };
      };
      rows.push(
        row(section, `${metric} ${label}`, direction, measure(bHist, base), measure(hHist, head)),
      );
    }
  }
  if (!exact && (bh === null || hh === null))
    notes.push(
      'one side has no histograms (migrated from schema version 1): its percentiles come from the summary and are not tested',
    );
  for (const [field, label, direction] of SERIES_ROWS) {
    const values = (r: RunResult): Measure => {
      const xs = r.metrics.series
        .map((p) => p[field])
        .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      return xs.length === 0 ? { value: null } : { value: median(xs), samples: weightsOf(xs) };
    };
    rows.push(
      row(
        'per second of the run (median of the seconds)',
        label,
        direction,
        values(base),
        values(head),
      ),
    );
  }
  for (const [metric, aggregation, direction] of COUNTER_ROWS) {
    const value = (r: RunResult): Measure => ({
      value: r.metrics.values[metric]?.[aggregation] ?? null,
    });
    rows.push(
      row(
        'totals (one figure per run)',
        `${metric} ${aggregation}`,
        direction,
        value(base),
        value(head),
      ),
    );
  }
  return rows;
}

function figureRows(base: ResultFile, head: ResultFile): ComparisonRow[] {
  const bf = resultFigures(base);
  const hf = resultFigures(head);
  return [...new Set([...Object.keys(bf), ...Object.keys(hf)])]
    .sort()
    .map((name) =>
      row(
        'figures (one per run)',
        name,
        /per_second|ratio|efficiency/.test(name)
          ? 'higher'
          : /_ms$|dropped|failed|lag/.test(name)
            ? 'lower'
            : 'none',
        name in bf ? { value: bf[name] ?? null } : undefined,
        name in hf ? { value: hf[name] ?? null } : undefined,
      ),
    );
}

/** Rows that are significant regressions beyond `percent`. */
export function regressionsBeyond(comparison: Comparison, percent: number): ComparisonRow[] {
  return comparison.rows.filter(
    (r) => r.regression && r.deltaPercent !== null && Math.abs(r.deltaPercent) > percent,
  );
}
