/**
 * How far one set of trials sits from another, with a distribution-free confidence interval:
 * the Hodges-Lehmann estimate of the shift (the median of every head - base difference) and
 * the interval from the exact distribution of the Wilcoxon rank-sum statistic, computed as
 * R's `wilcox.test(head, base, conf.int = TRUE)` computes it for small samples. Nothing about
 * the shape of the distributions is assumed, only that a change moves all of it alike; on log
 * values that is a change by a factor, which is how slowdowns behave.
 */

export interface ShiftInterval {
  /** Hodges-Lehmann estimate of head - base. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /** The confidence the interval actually has (the rank-sum statistic is discrete). */
  readonly confidence: number;
  readonly nBase: number;
  readonly nHead: number;
}

/** The largest side the exact distribution is built for; R's limit too. */
export const MAX_TRIALS_PER_SIDE = 49;

/** How many arrangements of m and n values give each rank-sum statistic W = 0..m*n. */
export function rankSumCounts(m: number, n: number): number[] {
  // f(i, j, w) = f(i - 1, j, w - j) + f(i, j - 1, w): the largest value is a base or a head.
  let previous: number[][] = Array.from({ length: m + 1 }, () => [1]);
  for (let j = 1; j <= n; j += 1) {
    const current: number[][] = [[1]];
    for (let i = 1; i <= m; i += 1) {
      const largestFirst = current[i - 1] as number[];
      const largestSecond = previous[i] as number[];
      const row = new Array<number>(i * j + 1).fill(0);
      for (let w = 0; w <= i * j; w += 1)
        row[w] = (largestFirst[w - j] ?? 0) + (largestSecond[w] ?? 0);
      current[i] = row;
    }
    previous = current;
  }
  return previous[m] as number[];
}

/** P(W <= q) for the rank-sum statistic of m and n values. */
function cumulative(counts: readonly number[], q: number): number {
  const total = counts.reduce((s, c) => s + c, 0);
  let below = 0;
  for (let w = 0; w <= q && w < counts.length; w += 1) below += counts[w] as number;
  return below / total;
}

/** The smallest q with P(W <= q) >= p (R's qwilcox). */
function quantileOf(counts: readonly number[], p: number): number {
  const total = counts.reduce((s, c) => s + c, 0);
  let below = 0;
  for (let q = 0; q < counts.length; q += 1) {
    below += counts[q] as number;
    if (below / total >= p - 1e-12) return q;
  }
  return counts.length - 1;
}

function median(sorted: readonly number[]): number {
  const m = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[m] as number)
    : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
}

/**
 * The shift of `head` against `base` and its interval at `level` (0.95: 95 %). With too few
 * trials for that level the interval is every difference, from the smallest to the largest,
 * and `confidence` says how much less it holds (3 against 3: 90 %).
 */
export function shiftInterval(
  base: readonly number[],
  head: readonly number[],
  level = 0.95,
): ShiftInterval {
  const m = head.length;
  const n = base.length;
  if (m < 1 || n < 1) throw new RangeError('each side needs at least one trial');
  if (m > MAX_TRIALS_PER_SIDE || n > MAX_TRIALS_PER_SIDE)
    throw new RangeError(`at most ${MAX_TRIALS_PER_SIDE} trials per side`);
  for (const v of [...base, ...head])
    if (!Number.isFinite(v)) throw new RangeError(`trial value ${v} is not a finite number`);
  const diffs: number[] = [];
  for (const h of head) for (const b of base) diffs.push(h - b);
  diffs.sort((a, b) => a - b);
  const counts = rankSumCounts(m, n);
  const alpha = 1 - level;
  let qu = quantileOf(counts, alpha / 2);
  if (qu === 0) qu = 1;
  const ql = m * n - qu;
  return {
    estimate: median(diffs),
    lower: diffs[qu - 1] as number,
    upper: diffs[ql] as number,
    confidence: 1 - Math.min(1, 2 * cumulative(counts, qu - 1)),
    nBase: n,
    nHead: m,
  };
}

/** The shift of `head` against `base` as a ratio (0.15: 15 % more), from their logs. */
export interface RatioInterval {
  readonly ratio: number;
  readonly lower: number;
  readonly upper: number;
  readonly confidence: number;
  readonly nBase: number;
  readonly nHead: number;
}

/**
 * The change from base to head as a factor with its interval, for positive values (times,
 * rates): the shift of their logarithms, turned back into a ratio. A side with a value of 0
 * or less has no ratio: undefined.
 */
export function ratioInterval(
  base: readonly number[],
  head: readonly number[],
  level = 0.95,
): RatioInterval | undefined {
  if ([...base, ...head].some((v) => !(v > 0))) return undefined;
  const s = shiftInterval(base.map(Math.log), head.map(Math.log), level);
  return {
    ratio: Math.exp(s.estimate),
    lower: Math.exp(s.lower),
    upper: Math.exp(s.upper),
    confidence: s.confidence,
    nBase: s.nBase,
    nHead: s.nHead,
  };
}
