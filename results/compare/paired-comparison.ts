import { BASE_SUFFIX } from '../../sut/sql/variant-registry.ts';
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
  if (result.kind !== 'sweep') return [];
  const cells = result.metrics.cells;
  const out: TwinRatio[] = [];
  for (const head of cells) {
    if (head.variant.endsWith(BASE_SUFFIX)) continue;
    const base = cells.find(
      (c) =>
        c.variant === `${head.variant}${BASE_SUFFIX}` &&
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
      label: `${head.variant} ${head.size} rows`,
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
        : [
            `noise floors from this machine's paired calibration ${calibration.source} (${calibration.trials} trials)`,
          ]),
      spread === undefined
        ? `intervals hold for this session only: fewer than ${FEWEST_SESSIONS} other paired sessions saved on this machine measure how much a change moves from one session to the next (every ab session of SQL files and paired calibration adds one)`
        : `intervals widened by how much a change moves on this machine: ${describeSpread(spread)}`,
      `paired: both sides' SQL variant files ran in each of ${trials.length} sweeps, round by round (the change touches nothing else, so one harness runs both); each trial gives the median of its rounds' head/base ratios, and the interval is the signed-rank interval over trials`,
    ],
  };
}
