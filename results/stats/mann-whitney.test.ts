import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mannWhitneyU, normalUpperTail, weightsOf } from './mann-whitney.ts';

// Expected values from SciPy 1.x `scipy.stats.mannwhitneyu(..., alternative='two-sided')`.
describe('mannWhitneyU', () => {
  it.each([
    {
      name: "R's wilcox.test example (exact)",
      a: [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46],
      b: [1.15, 0.88, 0.9, 0.74, 1.21],
      u: 35,
      p: 0.2544122544122544,
      method: 'exact',
    },
    {
      name: 'complete separation, 3 v 3',
      a: [1, 2, 3],
      b: [4, 5, 6],
      u: 0,
      p: 0.1,
      method: 'exact',
    },
    {
      name: 'ties (normal, tie and continuity corrections)',
      a: [1, 2, 2, 3, 3, 3, 4, 5],
      b: [3, 4, 4, 5, 5, 6, 6, 7, 7],
      u: 7.5,
      p: 0.006340074742489072,
      method: 'normal',
    },
  ])('$name', ({ a, b, u, p, method }) => {
    const result = mannWhitneyU(weightsOf(a), weightsOf(b));
    expect(result.u).toBe(u);
    expect(result.p).toBeCloseTo(p, 5);
    expect(result.method).toBe(method);
  });

  it('uses the normal approximation for large samples', () => {
    const a = Array.from({ length: 60 }, (_, i) => i);
    const b = Array.from({ length: 60 }, (_, i) => i + 0.5);
    const result = mannWhitneyU(weightsOf(a), weightsOf(b));
    expect(result.method).toBe('normal');
    expect(result.p).toBeGreaterThan(0.8);
  });

  it('treats a histogram bucket as tied values of its weight', () => {
    const raw = mannWhitneyU(weightsOf([1, 1, 1, 2, 2, 5]), weightsOf([2, 3, 3, 3, 6, 6]));
    const binned = mannWhitneyU(
      [
        { value: 1, weight: 3 },
        { value: 2, weight: 2 },
        { value: 5, weight: 1 },
      ],
      [
        { value: 2, weight: 1 },
        { value: 3, weight: 3 },
        { value: 6, weight: 2 },
      ],
    );
    expect(binned.u).toBe(raw.u);
    expect(binned.p).toBeCloseTo(raw.p, 12);
  });

  it('says p = 1 when a side is empty or everything ties', () => {
    expect(mannWhitneyU([], weightsOf([1, 2])).p).toBe(1);
    expect(mannWhitneyU(weightsOf([4, 4, 4]), weightsOf([4, 4])).p).toBe(1);
  });

  it('rejects values it cannot rank', () => {
    expect(() => mannWhitneyU(weightsOf([Number.NaN]), weightsOf([1]))).toThrow(/not usable/);
  });

  it('is symmetric: swapping the sides keeps p and mirrors U', () => {
    const sample = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ab = mannWhitneyU(weightsOf(a), weightsOf(b));
        const ba = mannWhitneyU(weightsOf(b), weightsOf(a));
        expect(ab.p).toBeCloseTo(ba.p, 9);
        expect(ab.u + ba.u).toBeCloseTo(a.length * b.length, 9);
        expect(ab.p).toBeGreaterThan(0);
        expect(ab.p).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('does not move when both sides shift by the same amount', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 1000 }),
        (a, b, shift) => {
          const base = mannWhitneyU(weightsOf(a), weightsOf(b));
          const shifted = mannWhitneyU(
            weightsOf(a.map((v) => v + shift)),
            weightsOf(b.map((v) => v + shift)),
          );
          expect(shifted.p).toBeCloseTo(base.p, 9);
        },
      ),
    );
  });
});

describe('normalUpperTail', () => {
  it.each([
    [0, 0.5],
    [1.96, 0.0249979],
    [-1.96, 0.9750021],
    [3, 0.0013499],
  ])('P(Z > %d) = %d', (z, p) => {
    expect(normalUpperTail(z)).toBeCloseTo(p, 6);
  });
});
