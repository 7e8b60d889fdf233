import { BASE_SUFFIX } from '../../sut/sql/variant-registry.ts';
import { median } from '../stats/descriptive.ts';
import { pairedRatioInterval } from '../stats/signed-rank-interval.ts';
import type { IndexedResult } from '../run-index.ts';
import { CONFIDENCE, type Comparison, type ComparisonRow } from './compare-results.ts';

/**
 * A paired comparison: both sides' SQL ran in the same sweeps, round by round, so each trial
 * holds a base and a head cell of every variant, timed in the same rounds. A trial's value
 * for a row is the median over its rounds of head / base, in which whatever slowed the
 * machine during a round (other work, a checkpoint) cancels; the trials' values are then
 * tested with the signed-rank interval (n = trials). A row is called when its interval
 * excludes no change.
 */
export function comparePairedTrials(
  trials: readonly IndexedResult[],
  sides: { base: { ref: string; commit: string }; head: { ref: string; commit: string } },
): Comparison {
  const rows = new Map<
    string,
    {
      section: string;
      label: string;
      ratios: number[];
      base: number[];
      head: number[];
    }
  >();
  for (const { result } of trials) {
    if (result.kind !== 'sweep') continue;
    const cells = result.metrics.cells;
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
      const section = `wall time per batch, ${head.statement} (ms; base and head in the same rounds)`;
      const label = `${head.variant} ${head.size} rows`;
      const key = `${section} / ${label}`;
      const row = rows.get(key) ?? { section, label, ratios: [], base: [], head: [] };
      row.ratios.push(median(roundRatios));
      row.base.push(median(base.samplesMs));
      row.head.push(median(head.samplesMs));
      rows.set(key, row);
    }
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
        floorPercent: 0,
        nBase: n,
        nHead: n,
      };
      const interval = pairedRatioInterval(r.ratios, CONFIDENCE);
      if (interval === undefined || interval.confidence < CONFIDENCE - 1e-9)
        return {
          ...common,
          deltaPercent: interval === undefined ? null : (interval.ratio - 1) * 100,
          interval: null,
          verdict: 'untested' as const,
          untestedBecause:
            interval === undefined
              ? 'a value of 0: no ratio'
              : `${n} paired trials give a ${Math.floor(interval.confidence * 100)} % interval at most: not tested (6 reach 95 %)`,
          regression: false,
        };
      const up = interval.lower > 1;
      const down = interval.upper < 1;
      const verdict = up ? ('worse' as const) : down ? ('better' as const) : ('same' as const);
      return {
        ...common,
        deltaPercent: (interval.ratio - 1) * 100,
        interval: { ...interval, nBase: n, nHead: n },
        verdict,
        untestedBecause: null,
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
    name: 'sweep-quick-paired',
    base: side(sides.base),
    head: side(sides.head),
    rows: out,
    notes: [
      `paired: both sides' SQL variant files ran in each of ${trials.length} sweeps, round by round (the change touches nothing else, so one harness runs both); each trial gives the median of its rounds' head/base ratios, and the interval is the signed-rank interval over trials`,
    ],
  };
}
