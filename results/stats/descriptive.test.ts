import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iqrOverlap, median, quantile, summarize } from './descriptive.ts';

describe('descriptive statistics', () => {
  it.each([
    [[1], 0.5, 1],
    [[1, 2], 0.5, 1.5],
    [[3, 1, 2], 0.5, 2],
    [[1, 2, 3, 4], 0.25, 1.75],
    [[1, 2, 3, 4], 0.75, 3.25],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95, 95.5],
    [[5, 5, 5], 0.95, 5],
  ])('quantile(%j, %d) = %d', (values, q, expected) => {
    expect(quantile(values, q)).toBeCloseTo(expected, 10);
  });

  it('is NaN for no samples and rejects a quantile outside [0, 1]', () => {
    expect(median([])).toBeNaN();
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('summarizes', () => {
    const s = summarize([4, 1, 3, 2]);
    expect(s).toMatchObject({ n: 4, min: 1, max: 4, mean: 2.5, median: 2.5, q1: 1.75, q3: 3.25 });
    expect(s.p95).toBeCloseTo(3.85, 10);
  });

  it('detects overlapping interquartile ranges', () => {
    expect(iqrOverlap(summarize([1, 2, 3, 4]), summarize([2, 3, 4, 5]))).toBe(true);
    expect(iqrOverlap(summarize([1, 2, 3, 4]), summarize([10, 11, 12]))).toBe(false);
  });

  const samples = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), {
    minLength: 1,
    maxLength: 200,
  });

  it('property: min <= q1 <= median <= q3 <= p95 <= max, and mean within [min, max]', () => {
    fc.assert(
      fc.property(samples, (values) => {
        const s = summarize(values);
        expect(s.min).toBeLessThanOrEqual(s.q1);
        expect(s.q1).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.q3);
        expect(s.q3).toBeLessThanOrEqual(s.p95);
        expect(s.p95).toBeLessThanOrEqual(s.max);
        expect(s.mean).toBeGreaterThanOrEqual(s.min - 1e-6);
        expect(s.mean).toBeLessThanOrEqual(s.max + 1e-6);
      }),
    );
  });

  it('property: quantiles do not depend on sample order and scale with the samples', () => {
    fc.assert(
      fc.property(
        samples,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (values, q, k) => {
          expect(quantile([...values].reverse(), q)).toBeCloseTo(quantile(values, q), 6);
          expect(
            quantile(
              values.map((v) => v * k),
              q,
            ),
          ).toBeCloseTo(quantile(values, q) * k, 0);
        },
      ),
    );
  });
});
