/**
 * The Mann-Whitney U test (Wilcoxon rank-sum), two-sided, as benchstat uses it to say whether
 * two sets of measurements differ by more than their noise. It assumes nothing about the
 * shape of the distributions, which suits latencies (skewed, long-tailed).
 *
 * Samples come as weighted values so that both raw samples (weight 1 each) and histogram
 * buckets (the bucket's representative value, weighted by its count) go through the same
 * code: ties within a bucket are handled by the tie correction like any other ties.
 *
 * The p-value is exact (by enumerating U's distribution) when both sides are small and
 * tie-free, and from the normal approximation with tie and continuity corrections otherwise
 * (the same split R's wilcox.test makes).
 */

export interface WeightedValue {
  readonly value: number;
  readonly weight: number;
}

export interface MannWhitneyResult {
  /** U of the first sample: how often one of its values exceeds one of the second's (ties 1/2). */
  readonly u: number;
  readonly n1: number;
  readonly n2: number;
  /** Two-sided p-value; 1 when either side is empty or every value is tied. */
  readonly p: number;
  readonly method: 'exact' | 'normal';
}

/** The largest n1 x n2 for which the exact distribution is enumerated. */
const EXACT_LIMIT = 2_500;

export function weightsOf(values: readonly number[]): WeightedValue[] {
  return values.map((value) => ({ value, weight: 1 }));
}

function totalWeight(sample: readonly WeightedValue[]): number {
  return sample.reduce((sum, v) => sum + v.weight, 0);
}

export function mannWhitneyU(
  first: readonly WeightedValue[],
  second: readonly WeightedValue[],
): MannWhitneyResult {
  const a = first.filter((v) => v.weight > 0);
  const b = second.filter((v) => v.weight > 0);
  for (const v of [...a, ...b]) {
    if (!Number.isFinite(v.value) || !Number.isFinite(v.weight) || v.weight < 0)
      throw new RangeError(`sample value ${v.value} with weight ${v.weight} is not usable`);
  }
  const n1 = totalWeight(a);
  const n2 = totalWeight(b);
  if (n1 === 0 || n2 === 0) return { u: Number.NaN, n1, n2, p: 1, method: 'normal' };

  // Pool, sort, and give each distinct value the average rank of its tie group.
  const pooled = [
    ...a.map((v) => ({ ...v, side: 0 as const })),
    ...b.map((v) => ({ ...v, side: 1 as const })),
  ].sort((x, y) => x.value - y.value);
  let rankSumFirst = 0;
  let tieTerm = 0;
  let position = 0;
  let untied = true;
  for (let i = 0; i < pooled.length;) {
    let j = i;
    let groupWeight = 0;
    let groupFirst = 0;
    while (j < pooled.length && (pooled[j] as (typeof pooled)[number]).value === pooled[i]?.value) {
      const item = pooled[j] as (typeof pooled)[number];
      groupWeight += item.weight;
      if (item.side === 0) groupFirst += item.weight;
      j += 1;
    }
    const averageRank = position + (groupWeight + 1) / 2;
    rankSumFirst += groupFirst * averageRank;
    tieTerm += groupWeight ** 3 - groupWeight;
    if (groupWeight > 1) untied = false;
    position += groupWeight;
    i = j;
  }
  const u = rankSumFirst - (n1 * (n1 + 1)) / 2;

  const integral = Number.isInteger(n1) && Number.isInteger(n2);
  if (untied && integral && n1 * n2 <= EXACT_LIMIT) {
    return { u, n1, n2, p: exactTwoSidedP(u, n1, n2), method: 'exact' };
  }
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, n1, n2, p: 1, method: 'normal' };
  const deviation = Math.max(0, Math.abs(u - mean) - 0.5);
  const z = deviation / Math.sqrt(variance);
  return { u, n1, n2, p: Math.min(1, 2 * normalUpperTail(z)), method: 'normal' };
}

/** Two-sided exact p for U without ties: counts of rank arrangements by U, by recursion on n. */
function exactTwoSidedP(u: number, n1: number, n2: number): number {
  // counts[k] = number of ways to get U = k; built with the standard recurrence
  // f(n1, n2, k) = f(n1 - 1, n2, k - n2) + f(n1, n2 - 1, k), one row of n2 at a time.
  const maxU = n1 * n2;
  let previous: number[][] = Array.from({ length: n1 + 1 }, () => [1]); // f(i, 0) = [1]
  for (let j = 1; j <= n2; j += 1) {
    const current: number[][] = [[1]]; // f(0, j) = [1]
    for (let i = 1; i <= n1; i += 1) {
      const withLargestFirst = current[i - 1] as number[]; // f(i - 1, j, k - j)
      const withLargestSecond = previous[i] as number[]; // f(i, j - 1, k)
      const row = new Array<number>(i * j + 1).fill(0);
      for (let k = 0; k <= i * j; k += 1) {
        row[k] = (withLargestFirst[k - j] ?? 0) + (withLargestSecond[k] ?? 0);
      }
      current[i] = row;
    }
    previous = current;
  }
  const counts = previous[n1] as number[];
  const total = counts.reduce((s, c) => s + c, 0);
  const low = Math.min(u, maxU - u);
  let tail = 0;
  for (let k = 0; k <= Math.floor(low + 1e-9); k += 1) tail += counts[k] ?? 0;
  return Math.min(1, (2 * tail) / total);
}

/** P(Z > z) for a standard normal Z (Abramowitz & Stegun 7.1.26 via erfc; |error| < 1.5e-7). */
export function normalUpperTail(z: number): number {
  if (z < 0) return 1 - normalUpperTail(-z);
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return (poly * Math.exp(-x * x)) / 2;
}
