/**
 * The change within pairs, with a distribution-free confidence interval: for paired trials
 * (both sides measured in the same rounds of one run, so the noise they share cancels), the
 * Hodges-Lehmann estimate is the median of the Walsh averages of the pair differences and the
 * interval comes from the exact distribution of the Wilcoxon signed-rank statistic, as R's
 * `wilcox.test(d, conf.int = TRUE)` computes it. Only symmetry of the differences around
 * their centre is assumed.
 */

/** The largest number of pairs the exact distribution is built for (R's limit too). */
export const MAX_PAIRS = 49;

export interface PairedInterval {
  /** Hodges-Lehmann estimate of the difference (the median Walsh average). */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /** The confidence the interval actually has (the statistic is discrete). */
  readonly confidence: number;
  readonly n: number;
}

/** How many of the 2^n sign assignments give each signed-rank statistic T = 0..n(n+1)/2. */
export function signedRankCounts(n: number): number[] {
  let counts = [1];
  for (let k = 1; k <= n; k += 1) {
    // rank k is either negative (T unchanged) or positive (T + k)
    const next = new Array<number>(counts.length + k).fill(0);
    for (let t = 0; t < counts.length; t += 1) {
      next[t] = (next[t] as number) + (counts[t] as number);
      next[t + k] = (next[t + k] as number) + (counts[t] as number);
    }
    counts = next;
  }
  return counts;
}

function median(sorted: readonly number[]): number {
  const m = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[m] as number)
    : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
}

/**
 * The centre of the differences and its interval at `level`. With too few pairs for that
 * level the interval is every Walsh average, from the smallest to the largest, and
 * `confidence` says how much less it holds (5 pairs: 93.75 %).
 */
export function pairedInterval(differences: readonly number[], level = 0.95): PairedInterval {
  const n = differences.length;
  if (n < 1) throw new RangeError('at least one pair is needed');
  if (n > MAX_PAIRS) throw new RangeError(`at most ${MAX_PAIRS} pairs`);
  for (const d of differences)
    if (!Number.isFinite(d)) throw new RangeError(`difference ${d} is not a finite number`);
  const walsh: number[] = [];
  for (let i = 0; i < n; i += 1)
    for (let j = i; j < n; j += 1)
      walsh.push(((differences[i] as number) + (differences[j] as number)) / 2);
  walsh.sort((a, b) => a - b);
  const counts = signedRankCounts(n);
  const total = 2 ** n;
  const cumulative = (q: number) => {
    let below = 0;
    for (let t = 0; t <= q && t < counts.length; t += 1) below += counts[t] as number;
    return below / total;
  };
  const alpha = 1 - level;
  // R's qsignrank(alpha / 2, n): the smallest q with P(T <= q) >= alpha / 2
  let qu = 0;
  while (qu < counts.length - 1 && cumulative(qu) < alpha / 2 - 1e-12) qu += 1;
  if (qu === 0) qu = 1;
  const ql = walsh.length - qu;
  return {
    estimate: median(walsh),
    lower: walsh[qu - 1] as number,
    upper: walsh[ql] as number,
    confidence: 1 - Math.min(1, 2 * cumulative(qu - 1)),
    n,
  };
}

/** The paired change as a factor (1.15: 15 % more) with its interval, from ratios head/base. */
export function pairedRatioInterval(
  ratios: readonly number[],
  level = 0.95,
): { ratio: number; lower: number; upper: number; confidence: number; n: number } | undefined {
  if (ratios.some((r) => !(r > 0) || !Number.isFinite(r))) return undefined;
  const p = pairedInterval(ratios.map(Math.log), level);
  return {
    ratio: Math.exp(p.estimate),
    lower: Math.exp(p.lower),
    upper: Math.exp(p.upper),
    confidence: p.confidence,
    n: p.n,
  };
}
