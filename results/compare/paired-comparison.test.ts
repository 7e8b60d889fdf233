import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import type { SweepResult } from '../schema/result-schema.ts';
import { createRandom } from '../../sut/db/random.ts';
import { BASE_SUFFIX } from '../../sut/sql/variant-registry.ts';
import { calibratePaired } from './calibration.ts';
import { comparePairedTrials, twinRatios } from './paired-comparison.ts';
import { metricKey } from './trial-metrics.ts';

const path = 'results/compare/fixtures/sweep-head.json';
const real = parseResultText(readFileSync(path, 'utf8'), path) as SweepResult;
const sides = {
  base: { ref: 'a', commit: 'a'.repeat(40) },
  head: { ref: 'b', commit: 'b'.repeat(40) },
};

/**
 * A paired trial from a real sweep: every cell gets a base twin whose rounds share the
 * head's moments (`load`, one factor per round, the same for both twins), each batch with
 * its own jitter; `planted` multiplies the head's `join` batches.
 */
function pairedTrial(seed: number, planted: number, i: number): IndexedResult {
  const random = createRandom(seed);
  const cells = real.metrics.cells.flatMap((c) => {
    const load = c.samplesMs.map(() => 1 + (random() < 0.2 ? 2 * random() : 0.1 * random()));
    const jitter = () => 1 + 0.04 * (random() - 0.5);
    const head = c.samplesMs.map(
      (s, r) => s * (load[r] as number) * jitter() * (c.variant === 'join' ? planted : 1),
    );
    const base = c.samplesMs.map((s, r) => s * (load[r] as number) * jitter());
    return [
      { ...c, samplesMs: head },
      { ...c, variant: `${c.variant}${BASE_SUFFIX}`, samplesMs: base },
    ];
  });
  return { path: `trial-${i}.json`, result: { ...real, metrics: { ...real.metrics, cells } } };
}

const trials = (planted: number, seed: number) =>
  Array.from({ length: 6 }, (_, i) => pairedTrial(seed * 100 + i, planted, i));

describe('paired comparison of both sides in the same sweeps', () => {
  it('A/A: the shared load cancels and nothing is called, whatever the load', () => {
    let called = 0;
    let rows = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const c = comparePairedTrials(trials(1, seed), sides);
      rows += c.rows.length;
      called += c.rows.filter((r) => r.verdict !== 'same').length;
    }
    expect(rows).toBeGreaterThan(100);
    expect(called / rows).toBeLessThanOrEqual(0.05);
  });

  it('a planted 15 % slower join is called worse in every join row, its interval holding 15 %; nothing else moves', () => {
    const c = comparePairedTrials(trials(1.15, 3), sides);
    const join = c.rows.filter((r) => r.label.startsWith('join '));
    expect(join.length).toBeGreaterThan(0);
    for (const r of join) {
      expect(r.verdict, r.label).toBe('worse');
      expect(r.interval?.lower).toBeLessThan(1.15);
      expect(r.interval?.upper).toBeGreaterThan(1.15);
    }
    expect(
      c.rows.filter((r) => !r.label.startsWith('join ')).every((r) => r.verdict === 'same'),
    ).toBe(true);
    expect(
      comparePairedTrials(trials(1 / 1.15, 4), sides)
        .rows.filter((r) => r.label.startsWith('join '))
        .every((r) => r.verdict === 'better'),
    ).toBe(true);
  });

  it('fewer than 6 trials: shown, not tested', () => {
    const c = comparePairedTrials(trials(1.15, 5).slice(0, 4), sides);
    expect(c.rows.every((r) => r.verdict === 'untested')).toBe(true);
    expect(c.rows[0]?.untestedBecause).toMatch(/4 paired trials give a 87 % interval at most/);
  });

  it('calibrates from paired A/A trials: small floors, few rows called, and the floors then apply', () => {
    const aa = Array.from({ length: 24 }, (_, i) => pairedTrial(900 + i, 1, i));
    const rows = new Map<string, number[]>();
    for (const t of aa)
      for (const r of twinRatios(t.result))
        rows.set(metricKey(r), [...(rows.get(metricKey(r)) ?? []), r.ratio]);
    const { levels, recommendedTrials } = calibratePaired(rows, { resamples: 100 });
    expect(levels.map((l) => l.trials)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    for (const l of levels) {
      expect(l.calledPercent).toBeLessThanOrEqual(5);
      expect(l.medianFloorPercent).toBeGreaterThan(0);
      expect(l.medianFloorPercent).toBeLessThan(5);
    }
    expect(recommendedTrials).toBe(6);
    const level = levels[0];
    if (level === undefined) throw new Error('no level');
    const c = comparePairedTrials(trials(1.15, 3), sides, {
      source: 'calibration.json',
      trials: 6,
      floors: level.floors,
    });
    expect(
      c.rows.filter((r) => r.label.startsWith('join ')).every((r) => r.verdict === 'worse'),
    ).toBe(true);
    expect(c.rows.every((r) => r.floorPercent > 0)).toBe(true);
  });

  it("widens each interval by the machine's spread between sessions, and says so", () => {
    const spread = { sessions: 5, effects: 20, relative: 0.05, additive: 0.002, store: 'results' };
    const plain = comparePairedTrials(trials(1.15, 3), sides);
    const widened = comparePairedTrials(trials(1.15, 3), sides, undefined, spread);
    expect(plain.notes.join('\n')).toMatch(/hold for this session only/);
    expect(widened.notes.join('\n')).toMatch(
      /widened .* by 5\.0 % of itself and ±0\.20 % .* 20 effects over 5 paired sessions saved in results/,
    );
    for (const [i, r] of widened.rows.entries()) {
      const p = plain.rows[i];
      if (p?.interval == null || r.interval === null) throw new Error(`${r.label}: no interval`);
      expect(r.deltaPercent).toBe(p.deltaPercent);
      expect(r.interval.lower).toBeLessThan(p.interval.lower);
      expect(r.interval.upper).toBeGreaterThan(p.interval.upper);
    }
    // a 15 % change moves by about 5 % of 14 % (log 1.15) between sessions: still called
    expect(
      widened.rows.filter((r) => r.label.startsWith('join ')).every((r) => r.verdict === 'worse'),
    ).toBe(true);
  });
});
