import { UsageError } from '../../lib/errors.ts';
import { median } from '../stats/descriptive.ts';
import { ratioInterval, type RatioInterval } from '../stats/shift-interval.ts';
import { judgedPart, machineFigure } from '../run-latency.ts';
import type { IndexedResult } from '../run-index.ts';
import type { ResultFile } from '../schema/result-schema.ts';
import {
  describeDifferences,
  describeGroups,
  groupByIdentity,
  identityDifferences,
  type ResultIdentity,
} from '../result-identity.ts';
import { isCalled, type Calibration } from './calibration.ts';
import { metricKey, trialMetrics, type Direction } from './trial-metrics.ts';

export type { Direction } from './trial-metrics.ts';

/** The confidence of every interval a comparison prints. */
export const CONFIDENCE = 0.95;

/** Trials per side whose rank-sum interval can reach 95 %: fewer are shown, never tested. */
export const TRIALS_FOR_A_TEST = 4;

/** What a row says about the change from base to head. */
export type RowVerdict =
  /** The interval excludes no change and the estimate is beyond the noise floor, the bad way. */
  | 'worse'
  | 'better'
  /** Beyond the floor, for a figure with no good direction (flush size). */
  | 'changed'
  /** The interval holds no change, or the estimate is within the noise floor: `~`. */
  | 'same'
  /** Too few trials (or a value of 0) to test: the change is shown, nothing is called. */
  | 'untested';

export interface ComparisonRow {
  /** Rows of one section share a heading and unit, like a benchstat table. */
  readonly section: string;
  readonly label: string;
  /** Median over each side's trials. */
  readonly base: number | null;
  readonly head: number | null;
  /** (head - base) / base x 100 from the Hodges-Lehmann ratio, or from the medians untested. */
  readonly deltaPercent: number | null;
  /** The ratio head / base with its interval; null with no test. */
  readonly interval: RatioInterval | null;
  /** Changes within this many percent are noise on this machine (its calibration), 0 without one. */
  readonly floorPercent: number;
  readonly nBase: number;
  readonly nHead: number;
  readonly direction: Direction;
  readonly verdict: RowVerdict;
  /** Why a row is untested, for the reader. */
  readonly untestedBecause: string | null;
  /**
   * Trials per side a test of this row needs, when it went untested for too few; null when
   * it was tested or more trials would not help (a value of 0, a side without the metric).
   */
  readonly trialsNeeded: number | null;
  /** `worse`: a change for the worse beyond the noise floor. */
  readonly regression: boolean;
}

export interface ComparedSide {
  readonly path: string;
  readonly commit: string;
  readonly dirty: boolean;
  readonly createdAt: string;
  /** How many results (trials) stand behind this side. */
  readonly trials: number;
}

export interface Comparison {
  readonly kind: ResultFile['kind'];
  readonly name: string;
  readonly base: ComparedSide;
  readonly head: ComparedSide;
  readonly rows: readonly ComparisonRow[];
  readonly notes: readonly string[];
  /**
   * What the two sides ran differently, besides the commit ("variant join (base) vs cte
   * (head)"); null when they ran the same thing. Printed ahead of the table.
   */
  readonly sidesDiffer: string | null;
}

export interface CompareOptions {
  /** The machine's calibration for this kind and name: its noise floors. */
  readonly calibration?: Calibration;
}

/**
 * Compares trials of two sides (one result each per trial, all of one kind and name) metric
 * by metric: each trial gives one value per metric; the change is the Hodges-Lehmann ratio
 * of the two sides' values with its 95 % distribution-free interval. A row is called worse
 * or better only when its interval excludes no change and its estimate lies beyond the
 * machine's noise floor (from `harness calibrate`; without one, the interval alone), so
 * repeated runs of one commit come out `~`. One trial on either side is shown, never tested: the variance that
 * matters (between runs) has not been sampled.
 */
export function compareTrials(
  base: readonly IndexedResult[],
  head: readonly IndexedResult[],
  options: CompareOptions = {},
): Comparison {
  const all = [...base, ...head];
  const first = all[0];
  if (first === undefined || base.length === 0 || head.length === 0)
    throw new UsageError('a comparison needs at least one result on each side');
  for (const r of all) {
    if (r.result.kind !== first.result.kind)
      throw new UsageError(
        `cannot compare a ${first.result.kind} result (${first.path}) with a ${r.result.kind} result (${r.path}): every trial must be the same kind`,
      );
    if (first.result.kind !== 'sweep' && r.result.name !== first.result.name)
      throw new UsageError(
        `cannot compare ${first.result.kind} "${first.result.name}" (${first.path}) with ${r.result.kind} "${r.result.name}" (${r.path}): every trial must be the same ${first.result.kind === 'run' ? 'scenario' : first.result.kind}`,
      );
  }
  const baseGroups = requireOneRun('base', base);
  const headGroups = requireOneRun('head', head);
  const differences = identityDifferences(baseGroups.identity, headGroups.identity);
  const notes: string[] = [
    ...environmentNotes(
      base.map((r) => r.result.env),
      head.map((r) => r.result.env),
    ),
    ...noiseNotes(
      base.map((r) => r.result),
      head.map((r) => r.result),
    ),
  ];
  const rows = trialRows(base, head, notes, options.calibration);
  if (first.result.kind === 'run') notes.push(judgedNote(base, head));
  if (first.result.kind === 'sweep') notes.push(...sweepNotes(base, head));
  if (base.length === 1 || head.length === 1)
    notes.push(
      `${base.length} trial${base.length === 1 ? '' : 's'} against ${head.length}: with one run on a side the spread between runs (machine load, checkpoints, autovacuum, the table's state) is unknown, so changes are shown, not tested; \`harness ab\` runs several, interleaved`,
    );
  else if (options.calibration === undefined && rows.some((r) => r.interval !== null))
    notes.push(
      'no calibration of this machine for these results: a change is called when its interval excludes no change at all; `harness calibrate` measures the noise floor that ab and compare then hold changes to',
    );
  const lastHead = head[head.length - 1] as IndexedResult;
  return {
    kind: first.result.kind,
    name: lastHead.result.name,
    base: side(base),
    head: side(head),
    rows,
    notes,
    sidesDiffer:
      differences.length === 0 ? null : describeDifferences(differences, { a: 'base', b: 'head' }),
  };
}

/**
 * The one identity of a side's trials. Trials that ran different things (a join run and a
 * cte run under one name) are no sample of one thing: refused, naming the difference.
 */
export function requireOneRun(
  label: string,
  trials: readonly IndexedResult[],
): { identity: ResultIdentity } {
  const groups = groupByIdentity(trials);
  if (groups.length > 1)
    throw new UsageError(
      `the ${label} side's ${trials.length} results ran different things and cannot be trials of one: ${describeGroups(groups)}. Narrow the selection to one of them: --variant <name> where the variant differs, or name the files (--${label} a.json b.json ...)`,
    );
  return groups[0] as { identity: ResultIdentity };
}

/** One result against another: shown, never tested. */
export function compareResults(
  base: IndexedResult,
  head: IndexedResult,
  options: CompareOptions = {},
): Comparison {
  return compareTrials([base], [head], options);
}

function side(trials: readonly IndexedResult[]): ComparedSide {
  const last = trials[trials.length - 1] as IndexedResult;
  return {
    path: trials.length === 1 ? last.path : `${trials.length} results (newest ${last.path})`,
    commit: last.result.git.commit,
    dirty: last.result.git.dirty,
    createdAt: last.result.createdAt,
    trials: trials.length,
  };
}

function trialRows(
  base: readonly IndexedResult[],
  head: readonly IndexedResult[],
  notes: string[],
  calibration: Calibration | undefined,
): ComparisonRow[] {
  const collect = (trials: readonly IndexedResult[]) => {
    const byKey = new Map<
      string,
      { section: string; label: string; direction: Direction; values: number[] }
    >();
    for (const t of trials)
      for (const m of trialMetrics(t.result)) {
        const key = metricKey(m);
        const entry = byKey.get(key) ?? { ...m, values: [] };
        entry.values.push(m.value);
        byKey.set(key, entry);
      }
    return byKey;
  };
  const b = collect(base);
  const h = collect(head);
  const keys = [...new Set([...b.keys(), ...h.keys()])];
  const onlyOne: string[] = [];
  const rows = keys.map((key) => {
    const bm = b.get(key);
    const hm = h.get(key);
    const meta = (hm ?? bm) as NonNullable<typeof bm>;
    if (bm === undefined || hm === undefined) onlyOne.push(meta.label);
    return compareValues(meta, bm?.values ?? [], hm?.values ?? [], calibration?.floors[key]);
  });
  if (onlyOne.length > 0)
    notes.push(`measured on one side only (no comparison): ${onlyOne.join(', ')}`);
  return rows;
}

/**
 * One metric's row from each side's trial values: medians, and the ratio with its interval
 * when both sides have enough trials, called against the noise floor (`floor`, percent).
 */
export function compareValues(
  meta: { section: string; label: string; direction: Direction },
  baseValues: readonly number[],
  headValues: readonly number[],
  floor: number | undefined,
): ComparisonRow {
  const base = baseValues.length === 0 ? null : median(baseValues);
  const head = headValues.length === 0 ? null : median(headValues);
  const floorPercent = floor ?? 0;
  const common = {
    ...meta,
    base,
    head,
    floorPercent,
    nBase: baseValues.length,
    nHead: headValues.length,
  };
  const untested = (because: string | null): ComparisonRow => ({
    ...common,
    deltaPercent:
      base === null || head === null || base === 0 ? null : ((head - base) / base) * 100,
    interval: null,
    verdict: 'untested',
    untestedBecause: because,
    trialsNeeded: null,
    regression: false,
  });
  const tooFew = (because: string): ComparisonRow => ({
    ...untested(because),
    trialsNeeded: TRIALS_FOR_A_TEST,
  });
  if (base === null || head === null) return untested(null);
  if (baseValues.length === 1 || headValues.length === 1)
    return tooFew(
      baseValues.length === 1 && headValues.length === 1
        ? '1 trial per side: not tested'
        : `${baseValues.length}+${headValues.length} trials: not tested`,
    );
  const interval = ratioInterval(baseValues, headValues, CONFIDENCE);
  if (interval === undefined) return untested('a value of 0: no ratio');
  const deltaPercent = (interval.ratio - 1) * 100;
  if (interval.confidence < CONFIDENCE - 1e-9)
    return {
      ...tooFew(
        `${baseValues.length}+${headValues.length} trials give a ${Math.floor(interval.confidence * 100)} % interval at most: not tested (${TRIALS_FOR_A_TEST} per side reach 95 %)`,
      ),
      deltaPercent,
      interval,
    };
  const called = isCalled(interval, floorPercent / 100);
  const up = called && interval.ratio > 1;
  const verdict: RowVerdict = !called
    ? 'same'
    : meta.direction === 'none'
      ? 'changed'
      : (meta.direction === 'lower') === up
        ? 'worse'
        : 'better';
  return {
    ...common,
    deltaPercent,
    interval,
    verdict,
    untestedBecause: null,
    trialsNeeded: null,
    regression: verdict === 'worse',
  };
}

type Environment = NonNullable<ResultFile['env']>;

/**
 * Where the two sides ran differently (PostgreSQL settings and version, cores, Node): a
 * change there moves figures by itself, so the reader is told before reading the table.
 * Each side is its newest trial's environment.
 */
export function environmentNotes(
  baseEnvs: readonly (Environment | null)[],
  headEnvs: readonly (Environment | null)[],
): string[] {
  const base = baseEnvs[baseEnvs.length - 1] ?? null;
  const head = headEnvs[headEnvs.length - 1] ?? null;
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
  // --db-latency: a network on one side moves every figure by its round trips.
  const link = (e: Environment) =>
    e.link === undefined
      ? 'none'
      : `${e.link.roundTripMs} ms${e.link.jitterMs > 0 ? ` (jitter ${e.link.jitterMs} ms)` : ''}`;
  differ('database round trip added', link(base), link(head));
  differ('cores', String(base.cpu.count), String(head.cpu.count));
  differ('node', base.node, head.node);
  return changes.length === 0
    ? []
    : [
        `the two sides ran in different environments (${changes.join('; ')}): part of any change may come from that`,
      ];
}

/** Past this many points more of the machine taken by other processes, one side was the noisier. */
const NOISIER_BY_POINTS = 5;

type MachineLoad = NonNullable<Extract<ResultFile, { kind: 'run' }>['metrics']['machine']>;

/** The side's machine load over its trials: the mean share of other processes, the busiest trial. */
function sideLoad(results: readonly ResultFile[]): MachineLoad | undefined {
  const loads = results.flatMap((r) =>
    (r.kind === 'run' || r.kind === 'sweep') && r.metrics.machine !== undefined
      ? [r.metrics.machine]
      : [],
  );
  const first = loads[0];
  if (first === undefined) return undefined;
  const mean = (f: (l: MachineLoad) => number) =>
    loads.reduce((s, l) => s + f(l), 0) / loads.length;
  return {
    ...first,
    loadAverage: {
      min: Math.min(...loads.map((l) => l.loadAverage.min)),
      max: Math.max(...loads.map((l) => l.loadAverage.max)),
      mean: mean((l) => l.loadAverage.mean),
    },
    cpuPercent: { ...first.cpuPercent, others: mean((l) => l.cpuPercent.others) },
    warning: loads.find((l) => l.warning !== null)?.warning ?? null,
  };
}

/**
 * How busy the machine was on each side, and which side was the noisier: a slower head
 * measured beside other work may be the machine, not the commit.
 */
export function noiseNotes(base: readonly ResultFile[], head: readonly ResultFile[]): string[] {
  const b = sideLoad(base);
  const h = sideLoad(head);
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

/** Which part of the runs the latency rows read: their steady scenario, or the whole run. */
function judgedNote(base: readonly IndexedResult[], head: readonly IndexedResult[]): string {
  const parts = (trials: readonly IndexedResult[]) =>
    [
      ...new Set(
        trials.map((t) => (t.result.kind === 'run' ? judgedPart(t.result).label : 'whole run')),
      ),
    ].join(', ');
  const b = parts(base);
  const h = parts(head);
  const exact = [...base, ...head].every(
    (t) => t.result.kind === 'run' && t.result.metrics.latency !== undefined,
  );
  return `${exact ? 'latencies are exact percentiles' : "latencies are exact percentiles where a result has them, else its summary's (bucketed, from before exact histograms)"} of the part each run judges: ${b === h ? b : `${b} (base), ${h} (head)`}`;
}

function sweepNotes(base: readonly IndexedResult[], head: readonly IndexedResult[]): string[] {
  const sizes = (trials: readonly IndexedResult[]) =>
    [
      ...new Set(
        trials.map((t) =>
          t.result.kind === 'sweep' ? `${t.result.config.players} x ${t.result.config.goals}` : '',
        ),
      ),
    ].join(', ');
  const b = sizes(base);
  const h = sizes(head);
  return b === h ? [] : [`the table sizes differ (${b} vs ${h}): timings are not like for like`];
}

/** Rows called worse whose whole interval is beyond `percent` the bad way. */
export function regressionsBeyond(comparison: Comparison, percent: number): ComparisonRow[] {
  return comparison.rows.filter(
    (r) =>
      r.regression &&
      r.interval !== null &&
      (r.direction === 'lower'
        ? r.interval.lower > 1 + percent / 100
        : r.interval.upper < 1 - percent / 100),
  );
}
