/**
 * Descriptive statistics over raw samples. Pure functions; quantiles interpolate linearly
 * between order statistics (Hyndman & Fan type 7, the default of R and NumPy), so the median
 * of an even count is the mean of the middle two.
 */

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The q-quantile (0 <= q <= 1) of already sorted values; NaN for none. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = (n - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(sortedCopy(values), q);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly median: number;
  readonly p95: number;
  /** First and third quartiles: the interquartile range is q3 - q1. */
  readonly q1: number;
  readonly q3: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  return {
    n,
    min: n === 0 ? Number.NaN : (sorted[0] as number),
    max: n === 0 ? Number.NaN : (sorted[n - 1] as number),
    mean: n === 0 ? Number.NaN : sorted.reduce((s, v) => s + v, 0) / n,
    median: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    q1: quantileSorted(sorted, 0.25),
    q3: quantileSorted(sorted, 0.75),
  };
}

/** Whether two interquartile ranges overlap: a cheap sign that a difference is within noise. */
export function iqrOverlap(a: Summary, b: Summary): boolean {
  return a.q1 <= b.q3 && b.q1 <= a.q3;
}
