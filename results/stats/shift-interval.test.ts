import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankSumCounts, ratioInterval, shiftInterval } from './shift-interval.ts';

/**
 * Reference values from SciPy 1.17 (scipy.stats.mannwhitneyu, method='exact', inverted: the
 * 95 % interval is every shift the two-sided test does not reject at 0.05; the estimate is
 * numpy's median of all head - base differences). The script:
 *
 *   diffs = np.sort((head[:, None] - base[None, :]).ravel())
 *   cands = midpoints between consecutive diffs, and one beyond each end
 *   accepted = [i for i, d in enumerate(cands)
 *               if mannwhitneyu(head - d, base, method='exact').pvalue > 0.05]
 *   interval = [diffs[min(accepted) - 1], diffs[max(accepted)]]
 */
const REFERENCE = [
  {
    name: 'five against five',
    base: [10.1, 9.8, 10.4, 10.0, 9.9],
    head: [11.2, 11.0, 11.9, 10.7, 11.4],
    estimate: 1.2,
    lower: 0.6,
    upper: 1.9,
  },
  {
    name: 'six against four, head faster',
    base: [3.21, 3.05, 3.4, 3.12, 3.33, 3.18],
    head: [3.01, 2.95, 3.3, 2.88],
    estimate: -0.185,
    lower: -0.45,
    upper: 0.12,
  },
  {
    name: 'eight against eight, logs of times',
    base: [4.42, 4.51, 4.38, 4.61, 4.47, 4.55, 4.4, 4.49].map(Math.log),
    head: [5.1, 5.02, 5.21, 4.98, 5.15, 5.07, 5.3, 5.05].map(Math.log),
    estimate: 0.13183876194211241,
    lower: 0.11076885766708755,
    upper: 0.15257958759521695,
  },
  {
    name: 'seven against seven, overlapping',
    base: [1.0, 1.3, 0.9, 1.1, 1.2, 1.05, 0.95],
    head: [1.1, 1.0, 1.25, 0.98, 1.15, 1.02, 1.3],
    estimate: 0.05,
    lower: -0.12,
    upper: 0.2,
  },
];

describe('shiftInterval: Hodges-Lehmann shift and its distribution-free interval', () => {
  it.each(REFERENCE)('matches SciPy: $name', ({ base, head, estimate, lower, upper }) => {
    const s = shiftInterval(base, head);
    expect(s.estimate).toBeCloseTo(estimate, 10);
    expect(s.lower).toBeCloseTo(lower, 10);
    expect(s.upper).toBeCloseTo(upper, 10);
    expect(s.confidence).toBeGreaterThanOrEqual(0.95);
  });

  it("counts the rank-sum statistic's arrangements exactly", () => {
    expect(rankSumCounts(3, 3)).toEqual([1, 1, 2, 3, 3, 3, 3, 2, 1, 1]);
    expect(rankSumCounts(5, 5).reduce((a, b) => a + b, 0)).toBe(252); // C(10, 5)
    expect(rankSumCounts(1, 4)).toEqual([1, 1, 1, 1, 1]);
  });

  it('says how much confidence a small interval really has', () => {
    // 5 against 5: the exact statistic gives 1 - 2 x 4/252 = 96.8 %, not 95 %
    expect(shiftInterval([1, 2, 3, 4, 5], [2, 3, 4, 5, 6]).confidence).toBeCloseTo(1 - 8 / 252, 12);
    // 3 against 3 cannot reach 95 %: every difference, at 90 %
    const small = shiftInterval([1, 2, 3], [4, 5, 6]);
    expect([small.lower, small.upper, small.confidence]).toEqual([1, 5, 0.9]);
  });

  it('gives a ratio from logs, and none for a value of 0', () => {
    const r = ratioInterval([10, 10.2, 9.9, 10.1, 10], [11.5, 11.4, 11.6, 11.5, 11.45]);
    expect(r?.ratio).toBeCloseTo(1.14, 2);
    expect(r?.lower).toBeGreaterThan(1);
    expect(ratioInterval([0, 1, 2, 3], [1, 2, 3, 4])).toBeUndefined();
  });

  it('refuses what it cannot test', () => {
    expect(() => shiftInterval([], [1])).toThrow(/at least one trial/);
    expect(() => shiftInterval([1, Number.NaN], [1, 2])).toThrow(/not a finite number/);
    expect(() =>
      shiftInterval(
        Array.from({ length: 50 }, (_, i) => i),
        [1],
      ),
    ).toThrow(/at most 49/);
  });
});

/** Trials as a machine gives them: log-normal around a level, `sd` apart. */
const trialsOf = (n: number) =>
  fc.array(fc.double({ min: -2.5, max: 2.5, noNaN: true }), { minLength: n, maxLength: n });

describe('the interval on synthetic trials (property)', () => {
  it('same distribution on both sides: the interval holds no change in at least 95 % of cases', () => {
    let holds = 0;
    let cases = 0;
    fc.assert(
      fc.property(trialsOf(6), trialsOf(6), (b, h) => {
        const base = b.map((z) => 5 * Math.exp(0.05 * z));
        const head = h.map((z) => 5 * Math.exp(0.05 * z));
        const r = ratioInterval(base, head);
        cases++;
        if (r !== undefined && r.lower <= 1 && r.upper >= 1) holds++;
      }),
      { numRuns: 1000, seed: 42 },
    );
    expect(holds / cases).toBeGreaterThanOrEqual(0.95);
  });

  it('a 30 % shift with 5 % spread: detected, and the interval holds the true ratio', () => {
    let detected = 0;
    let covers = 0;
    let cases = 0;
    fc.assert(
      fc.property(trialsOf(6), trialsOf(6), (b, h) => {
        const base = b.map((z) => 5 * Math.exp(0.05 * z));
        const head = h.map((z) => 5 * 1.3 * Math.exp(0.05 * z));
        const r = ratioInterval(base, head);
        cases++;
        if (r !== undefined && r.lower > 1) detected++;
        if (r !== undefined && r.lower <= 1.3 && r.upper >= 1.3) covers++;
      }),
      { numRuns: 1000, seed: 43 },
    );
    expect(detected / cases).toBeGreaterThanOrEqual(0.95);
    expect(covers / cases).toBeGreaterThanOrEqual(0.9);
  });
});
