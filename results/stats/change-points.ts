import { createRandom } from '../../sut/db/random.ts';

/**
 * Change points in a metric's history, by E-divisive means (Matteson and James, 2014), the
 * method Apache Otava and MongoDB run over their performance history: the split of a series
 * that most separates the values before from those after (an energy distance), kept when a
 * permutation test says a split that large is rare in the same values shuffled, then the same
 * again within each side (each test at p < 0.01, since the recursion makes many). Only the
 * values' order matters, so no distribution is assumed, and a change shows when it holds over
 * the commits after it, not when one run was slow.
 *
 * The series comes in groups (the trials of one commit): a change point falls between groups.
 */

export interface ChangePoint {
  /** Index of the first group after the change. */
  readonly index: number;
  /** Permutation p-value of the split when it was found. */
  readonly p: number;
}

export interface ChangePointOptions {
  /** Largest p at which a split is kept (0.01: recursion tests many splits, so each is held strictly). */
  readonly significance?: number;
  /** Shuffles per test (499: p resolves to 0.002). */
  readonly permutations?: number;
  /** For the shuffles: the same history gives the same answer. */
  readonly seed?: number;
}

/** The energy statistic of splitting `values` after position `tau` (alpha = 1). */
function energy(values: readonly number[], tau: number): number {
  const n = values.length;
  const left = tau;
  const right = n - tau;
  let between = 0;
  for (let i = 0; i < tau; i++)
    for (let j = tau; j < n; j++)
      between += Math.abs((values[i] as number) - (values[j] as number));
  const within = (from: number, to: number) => {
    const size = to - from;
    if (size < 2) return 0;
    let sum = 0;
    for (let i = from; i < to; i++)
      for (let j = i + 1; j < to; j++)
        sum += Math.abs((values[i] as number) - (values[j] as number));
    return sum / ((size * (size - 1)) / 2);
  };
  const e = (2 * between) / (left * right) - within(0, tau) - within(tau, n);
  return ((left * right) / n) * e;
}

/** The best split of a stretch of groups: where it falls and its statistic. */
function bestSplit(
  values: readonly number[],
  boundaries: readonly number[],
): { at: number; statistic: number } | undefined {
  let best: { at: number; statistic: number } | undefined;
  for (const at of boundaries) {
    const statistic = energy(values, at);
    if (best === undefined || statistic > best.statistic) best = { at, statistic };
  }
  return best;
}

/**
 * Change points of a history of groups (one per commit, oldest first, each the values of its
 * trials), as indexes of the first group after each change, ascending.
 */
export function changePoints(
  groups: readonly (readonly number[])[],
  options: ChangePointOptions = {},
): ChangePoint[] {
  const significance = options.significance ?? 0.01;
  const permutations = options.permutations ?? 499;
  const random = createRandom(options.seed ?? 1);
  const found: ChangePoint[] = [];

  const search = (first: number, last: number) => {
    // groups first..last-1; values flattened, with the position where each group starts
    if (last - first < 2) return;
    const values: number[] = [];
    const starts: number[] = [];
    for (let g = first; g < last; g++) {
      starts.push(values.length);
      values.push(...(groups[g] as readonly number[]));
    }
    const boundaries = starts.slice(1);
    const observed = bestSplit(values, boundaries);
    if (observed === undefined) return;
    let asLarge = 0;
    const shuffled = [...values];
    for (let r = 0; r < permutations; r++) {
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
      }
      if ((bestSplit(shuffled, boundaries)?.statistic ?? 0) >= observed.statistic - 1e-12)
        asLarge++;
    }
    const p = (asLarge + 1) / (permutations + 1);
    if (p > significance) return;
    const index = first + starts.indexOf(observed.at);
    found.push({ index, p });
    search(first, index);
    search(index, last);
  };

  search(0, groups.length);
  return found.sort((a, b) => a.index - b.index);
}
