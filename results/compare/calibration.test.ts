import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sut/db/random.ts';
import { parseResultText } from '../result-file.ts';
import type { SweepResult } from '../schema/result-schema.ts';
import { calibrate } from './calibration.ts';

const path = 'results/compare/fixtures/sweep-head.json';
const sweep = parseResultText(readFileSync(path, 'utf8'), path) as SweepResult;

/** A/A trials of one sweep: each trial's batches scaled by its own log-normal factor. */
function aa(count: number, spread: number, seed: number): SweepResult[] {
  const random = createRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => {
    const factor = Math.exp(spread * gaussian());
    return {
      ...sweep,
      metrics: {
        ...sweep.metrics,
        cells: sweep.metrics.cells.map((c) => ({
          ...c,
          samplesMs: c.samplesMs.map((x) => x * factor),
        })),
      },
    };
  });
}

describe('calibrate: noise floors and trial counts from A/A trials', () => {
  it('finds floors near the spread between runs and recommends enough trials to see 15 %', () => {
    const { levels, recommendedTrials } = calibrate(aa(16, 0.03, 1), { resamples: 200 });
    expect(levels.map((l) => l.trials)).toEqual([4, 5, 6, 7, 8]);
    for (const l of levels) {
      expect(l.calledPercent).toBeLessThanOrEqual(5);
      // runs 3 % apart: two sets of trials land a few percent apart, not 0 and not 15
      expect(l.medianFloorPercent).toBeGreaterThan(0.5);
      expect(l.medianFloorPercent).toBeLessThan(10);
      expect(Object.keys(l.floors)).toHaveLength(sweep.metrics.cells.length);
    }
    // more trials, a lower floor
    expect(levels[levels.length - 1]?.medianFloorPercent).toBeLessThan(
      levels[0]?.medianFloorPercent ?? 0,
    );
    // 3 % between runs: a handful of trials per side sees 15 %, not the fewest possible
    expect(recommendedTrials).toBeGreaterThanOrEqual(4);
    expect(recommendedTrials).toBeLessThanOrEqual(6);
  });

  it('on a noisy machine, recommends more trials or says none measured is enough', () => {
    const quiet = calibrate(aa(16, 0.03, 2), { resamples: 200 }).recommendedTrials ?? 99;
    const noisy = calibrate(aa(16, 0.12, 2), { resamples: 200 }).recommendedTrials ?? 99;
    expect(noisy).toBeGreaterThan(quiet);
  });
});
