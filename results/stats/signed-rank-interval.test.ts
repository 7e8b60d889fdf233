import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairedInterval, pairedRatioInterval, signedRankCounts } from './signed-rank-interval.ts';

/**
 * Reference intervals from SciPy 1.17: scipy.stats.wilcoxon(d - mu, method='exact') inverted
 * (the interval holds every mu the test at 5 % does not reject), the estimate the median of
 * the Walsh averages.
 */
const REFERENCE = [
  {
    name: 'six pairs, all up',
    d: [0.12, 0.15, 0.09, 0.2, 0.14, 0.11],
    estimate: 0.13,
    lower: 0.09,
    upper: 0.2,
  },
  {
    name: 'eight pairs around 0',
    d: [-0.03, 0.02, 0.01, -0.01, 0.04, -0.02, 0.005, 0.015],
    estimate: 0.005,
    lower: -0.02,
    upper: 0.025,
  },
  {
    name: 'ten pairs, skewed by two outliers',
    d: [0.5, 0.1, 0.12, 0.08, 0.3, 0.11, 0.09, 0.13, 0.1, 0.14],
    estimate: 0.12,
    lower: 0.1,
    upper: 0.3,
  },
];

describe('the signed-rank interval of paired differences', () => {
  it.each(REFERENCE)('matches SciPy: $name', ({ d, estimate, lower, upper }) => {
    const p = pairedInterval(d);
    expect(p.estimate).toBeCloseTo(estimate, 10);
    expect(p.lower).toBeCloseTo(lower, 10);
    expect(p.upper).toBeCloseTo(upper, 10);
    expect(p.confidence).toBeGreaterThanOrEqual(0.95);
  });

  it('counts every sign assignment: the distribution agrees with enumerating all 2^n', () => {
    for (let n = 1; n <= 10; n += 1) {
      const brute = new Array<number>((n * (n + 1)) / 2 + 1).fill(0);
      for (let mask = 0; mask < 2 ** n; mask += 1) {
        let t = 0;
        for (let k = 1; k <= n; k += 1) if (mask & (1 << (k - 1))) t += k;
        brute[t] = (brute[t] as number) + 1;
      }
      expect(signedRankCounts(n)).toEqual(brute);
    }
  });

  it('says how much confidence too few pairs give, and reaches 95 % from 6 pairs', () => {
    expect(pairedInterval([0.1, 0.2, 0.3, 0.4, 0.5]).confidence).toBeCloseTo(1 - 2 / 32, 10);
    expect(pairedInterval([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).confidence).toBeCloseTo(1 - 2 / 64, 10);
  });

  it('as a ratio: logs in, factors out; no ratio for a value of 0', () => {
    const r = pairedRatioInterval([1.12, 1.15, 1.1, 1.2, 1.14, 1.13]);
    expect(r?.ratio).toBeGreaterThan(1.1);
    expect(r?.lower).toBeCloseTo(1.1, 10);
    expect(r?.upper).toBeCloseTo(1.2, 10);
    expect(pairedRatioInterval([1, 0, 1])).toBeUndefined();
  });

  it('property: differences centred on 0 exclude 0 rarely; a shift of 10 noise widths is seen', () => {
    // Symmetric noise: at 95 % the interval may miss 0 in at most about 5 % of samples.
    let missed = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
        (noise) => {
          const symmetric = noise.map((x, i) => (i % 2 === 0 ? x : -x));
          const p = pairedInterval(symmetric);
          runs += 1;
          if (p.lower > 0 || p.upper < 0) missed += 1;
          const shifted = pairedInterval(noise.map((x) => x * 0.01 + 0.1));
          return shifted.lower > 0;
        },
      ),
      { numRuns: 300, seed: 11 },
    );
    expect(missed / runs).toBeLessThanOrEqual(0.05);
  });
});
