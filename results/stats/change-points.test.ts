import { describe, expect, it } from 'vitest';
import { createRandom } from '../../sut/db/random.ts';
import { changePoints } from './change-points.ts';

/** `commits` groups of `trials` values around `level(commit)`, with 3 % noise. */
function history(commits: number, trials: number, level: (c: number) => number, seed: number) {
  const random = createRandom(seed);
  return Array.from({ length: commits }, (_, c) =>
    Array.from({ length: trials }, () => level(c) * (1 + 0.03 * (random() - 0.5) * 2)),
  );
}

describe('changePoints: E-divisive means over commits', () => {
  it('finds a 20 % step where it happened', () => {
    const found = changePoints(history(10, 3, (c) => (c < 6 ? 10 : 12), 1));
    expect(found.map((f) => f.index)).toEqual([6]);
    expect(found[0]?.p).toBeLessThan(0.01);
  });

  it('finds two steps, up then back down', () => {
    const found = changePoints(history(12, 3, (c) => (c >= 4 && c < 8 ? 13 : 10), 2));
    expect(found.map((f) => f.index)).toEqual([4, 8]);
  });

  it('finds a step at the newest commit, the one a release check cares about', () => {
    expect(changePoints(history(8, 4, (c) => (c < 7 ? 10 : 12), 3)).map((f) => f.index)).toEqual([
      7,
    ]);
  });

  it('finds nothing in noise alone, nor from one value per commit too few to tell', () => {
    for (let seed = 10; seed < 20; seed++)
      expect(changePoints(history(10, 3, () => 10, seed))).toEqual([]);
    expect(changePoints([[10], [10.1]])).toEqual([]);
    expect(changePoints([])).toEqual([]);
  });

  it('gives the same answer for the same history', () => {
    const h = history(10, 2, (c) => (c < 5 ? 10 : 11), 4);
    expect(changePoints(h)).toEqual(changePoints(h));
  });
});
