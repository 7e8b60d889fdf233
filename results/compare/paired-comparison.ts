import { AA_SUFFIX, BASE_SUFFIX } from '../../sut/sql/variant-registry.ts';
import { median } from '../stats/descriptive.ts';
import { pairedRatioInterval } from '../stats/signed-rank-interval.ts';
import type { IndexedResult } from '../run-index.ts';
import type { ResultFile } from '../schema/result-schema.ts';
import { isCalled, type Calibration } from './calibration.ts';
import { widenForSessions } from '../stats/session-spread.ts';
import { describeSpread, FEWEST_SESSIONS, type MachineSpread } from './session-effects.ts';
import { metricKey } from './trial-metrics.ts';
import { CONFIDENCE, type Comparison, type ComparisonRow } from './compare-results.ts';

/** What paired comparisons and their calibrations are filed under. */
export const PAIRED_NAME = 'sweep-quick-paired';

/** The two-sided normal quantile of CONFIDENCE (95 %): the between-session term is added at it. */
const Z_CONFIDENCE = 1.959963984540054;

/** Paired trials whose signed-rank interval can reach 95 %. */
export const PAIRED_TRIALS_FOR_A_TEST = 6;

/** One row of one paired trial: the median over its rounds of head / base, and each side's median. */
export interface TwinRatio {
  readonly section: string;
  readonly label: string;
  readonly ratio: number;
  readonly base: number;
  readonly head: number;
}

/** Every head cell of a paired sweep with its base twin, as one ratio per row. */
export function twinRatios(result: ResultFile): TwinRatio[] {
  return ratiosTo(result, '');
}

/**
 * The A/A twins of a self-calibrating paired sweep: each `<name>_aa` cell (the base's SQL
 * again) over its `<name>_base` cell, round by round, under the row of `<name>`.
 */
export function aaTwinRatios(result: ResultFile): TwinRatio[] {
  return ratiosTo(result, AA_SUFFIX);
}

/** Cells `<name><suffix>` over `<name>_base` in the same rounds, one ratio per row of `<name>`. */
function ratiosTo(result: ResultFile, suffix: string): TwinRatio[] {
  if (result.kind !== 'sweep') return [];
  const cells = result.metrics.cells;
  const out: TwinRatio[] = [];
  for (const head of cells) {
    if (head.variant.endsWith(BASE_SUFFIX)) continue;
    if (suffix === '' ? head.variant.endsWith(AA_SUFFIX) : !head.variant.endsWith(suffix)) continue;
    const name = head.variant.slice(0, head.variant.length - suffix.length);
    const base = cells.find(
      (c) =>
        c.variant === `${name}${BASE_SUFFIX}` &&
        c.statement === head.statement &&
        c.size === head.size,
    );
    if (base === undefined) continue;
    const pairs = Math.min(base.samplesMs.length, head.samplesMs.length);
    if (pairs === 0) continue;
    const roundRatios: number[] = [];
    for (let i = 0; i < pairs; i++)
      roundRatios.push((head.samplesMs[i] as number) / (base.samplesMs[i] as number));
    out.push({
      section: `wall time per batch, ${head.statement} (ms; base and head in the same rounds)`,
      label: `${name} ${head.size} rows`,
      ratio: median(roundRatios),
      base: median(base.samplesMs),
      head: median(head.samplesMs),
    });
  }
  return out;
}

/** Whether a sweep holds twins: a paired trial, compared and calibrated as one. */
export const isPairedTrial = (result: ResultFile): boolean => twinRatios(result).length > 0;

/**
 * A paired comparison: both sides' SQL ran in the same sweeps, round by round, so each trial
 * holds a base and a head cell of every variant, timed in the same rounds. A trial's value
 * for a row is the median over its rounds of head / base, in which whatever slowed the
 * machine during a round (other work, a checkpoint) cancels; the trials' values are then
 * tested with the signed-rank interval (n = trials). That interval is right about this
 * session; with `spread`, the between-session spread of this machine, it is widened to hold
 * the change as another session would measure it. A row is called when its interval
 * excludes no change and its estimate is beyond the floor of this machine's paired
 * calibration (none without one).
 */
export function comparePairedTrials(
  trials: readonly IndexedResult[],
  sides: { base: { ref: string; commit: string }; head: { ref: string; commit: string } },
  calibration?: Calibration,
  spread?: MachineSpread,
): Comparison {
  const rows = new Map<
    string,
    { section: string; label: string; ratios: number[]; base: number[]; head: number[] }
  >();
  for (const { result } of trials)
    for (const t of twinRatios(result)) {
      const key = metricKey(t);
      const row = rows.get(key) ?? {
        section: t.section,
        label: t.label,
        ratios: [],
        base: [],
        head: [],
      };
      row.ratios.push(t.ratio);
      row.base.push(t.base);
      row.head.push(t.head);
      rows.set(key, row);
    }
  const out: ComparisonRow[] = [...rows.values()]
    .sort((a, b) => a.section.localeCompare(b.section))
    .map((r) => {
      const n = r.ratios.length;
      const common = {
        section: r.section,
        label: r.label,
        direction: 'lower' as const,
        base: median(r.base),
        head: median(r.head),
        floorPercent: calibration?.floors[metricKey(r)] ?? 0,
        nBase: n,
        nHead: n,
      };
      const within = pairedRatioInterval(r.ratios, CONFIDENCE);
      const interval =
        within === undefined || spread === undefined
          ? within
          : widenForSessions(within, spread, Z_CONFIDENCE);
      if (interval === undefined || interval.confidence < CONFIDENCE - 1e-9)
        return {
          ...common,
          deltaPercent: interval === undefined ? null : (interval.ratio - 1) * 100,
          interval: null,
          verdict: 'untested' as const,
          untestedBecause:
            interval === undefined
              ? 'a value of 0: no ratio'
              : `${n} paired trials give a ${Math.floor(interval.confidence * 100)} % interval at most: not tested (${PAIRED_TRIALS_FOR_A_TEST} reach 95 %)`,
          trialsNeeded: interval === undefined ? null : PAIRED_TRIALS_FOR_A_TEST,
          regression: false,
        };
      const called = isCalled(interval, common.floorPercent / 100);
      const verdict = !called
        ? ('same' as const)
        : interval.ratio > 1
          ? ('worse' as const)
          : ('better' as const);
      return {
        ...common,
        deltaPercent: (interval.ratio - 1) * 100,
        interval: { ...interval, nBase: n, nHead: n },
        verdict,
        untestedBecause: null,
        trialsNeeded: null,
        regression: verdict === 'worse',
      };
    });
  const first = trials[0];
  const last = trials[trials.length - 1];
  const side = (s: { ref: string; commit: string }) => ({
    path: first === undefined ? '' : first.path.replace(/\/[^/]*$/, ''),
    commit: s.commit,
    dirty: false,
    createdAt: last?.result.createdAt ?? '',
    trials: trials.length,
  });
  return {
    kind: 'sweep',
    name: PAIRED_NAME,
    base: side(sides.base),
    head: side(sides.head),
    rows: out,
    // Both sides ran in the same sweeps, against one database: only their SQL differs.
    sidesDiffer: null,
    notes: [
      ...(calibration === undefined
        ? [
            'no paired calibration of this machine: a change is called when its interval excludes no change at all; `harness calibrate --from` A/A paired sessions measures the noise floor',
          ]
        : [`noise floors from ${calibration.source} (${calibration.trials} trials)`]),
      spread === undefined
        ? `intervals hold for this session only: fewer than ${FEWEST_SESSIONS} other paired sessions saved on this machine measure how much a change moves from one session to the next (every ab session of SQL files and paired calibration adds one)`
        : `intervals widened by how much a change moves on this machine: ${describeSpread(spread)}`,
      `paired: both sides' SQL variant files ran in each of ${trials.length} sweeps, round by round (the change touches nothing else, so one harness runs both); each trial gives the median of its rounds' head/base ratios, and the interval is the signed-rank interval over trials`,
    ],
  };
}

/** The noise floors a paired session measured itself, from the A/A twins in its sweeps. */
export interface SessionFloors extends Calibration {
  /** A/A rows, and how many of them had an interval excluding no change. */
  readonly rows: number;
  readonly excluded: number;
  readonly medianFloorPercent: number;
}

/**
 * Per row, the noise floor of this session from its A/A twin (the base's SQL twice, in the
 * same rounds as the A/B pair), as a calibration defines it (how far an estimate of identical
 * code lands, 95 % of the time): the larger of the twin's own estimate (what running the same
 * SQL in two places of a round does in this session) and its interval's half-width (how far
 * such an estimate strays), and never below the median of every row's floor (a row whose twin
 * happened to agree closely says little about that row's noise).
 */
export function sessionFloors(trials: readonly IndexedResult[]): SessionFloors | undefined {
  const rows = new Map<string, number[]>();
  for (const { result } of trials)
    for (const t of aaTwinRatios(result))
      rows.set(metricKey(t), [...(rows.get(metricKey(t)) ?? []), t.ratio]);
  const raw: Record<string, number> = {};
  let excluded = 0;
  for (const [key, ratios] of rows) {
    const interval = pairedRatioInterval(ratios, CONFIDENCE);
    if (interval === undefined) continue;
    if (interval.lower > 1 || interval.upper < 1) excluded++;
    // How far this row's twin of identical SQL landed from no change, and how far such an
    // estimate strays at 95 % (the interval's half-width): the larger of the two.
    const halfWidth = (Math.log(interval.upper) - Math.log(interval.lower)) / 2;
    raw[key] = (Math.exp(Math.max(Math.abs(Math.log(interval.ratio)), halfWidth)) - 1) * 100;
  }
  const values = Object.values(raw);
  if (values.length === 0) return undefined;
  const pooled = median(values);
  const floors = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Math.max(v, pooled)]));
  return {
    source: `this session's A/A twins (the base's SQL timed twice in every round, no calibration of this machine kind in reach)`,
    trials: trials.length,
    floors,
    rows: values.length,
    excluded,
    medianFloorPercent: median(Object.values(floors)),
  };
}
