import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../sut/db/random.ts';
import { metricHistory, parseHistoryMetric } from './history.ts';
import { parseResultText } from './result-file.ts';
import type { IndexedResult } from './run-index.ts';
import type { SweepResult } from './schema/result-schema.ts';

const path = 'results/compare/fixtures/sweep-head.json';
const sweep = parseResultText(readFileSync(path, 'utf8'), path) as SweepResult;

/** `trials` sweeps of each of `commits` commits; join's batches scaled by `level(commit)`. */
function store(commits: number, trials: number, level: (c: number) => number): IndexedResult[] {
  const random = createRandom(9);
  const out: IndexedResult[] = [];
  for (let c = 0; c < commits; c++)
    for (let t = 0; t < trials; t++) {
      const noise = 1 + 0.02 * (random() - 0.5) * 2;
      out.push({
        path: `c${c}-t${t}.json`,
        result: {
          ...sweep,
          createdAt: new Date(Date.UTC(2026, 10, 1, c, t)).toISOString(),
          git: {
            commit: `${String(c).padStart(2, '0')}${'a'.repeat(38)}`,
            branch: 'main',
            dirty: false,
          },
          metrics: {
            ...sweep.metrics,
            cells: sweep.metrics.cells.map((cell) => ({
              ...cell,
              samplesMs: cell.samplesMs.map(
                (x) => x * noise * (cell.variant === 'join' ? level(c) : 1),
              ),
            })),
          },
        },
      });
    }
  return out;
}

describe('metricHistory: commits as groups of trials, with change points', () => {
  const metric = parseHistoryMetric('join@60', 'unprepared', false);

  it('groups every result of a commit, tests each change and marks the step', () => {
    const history = metricHistory(
      store(8, 4, (c) => (c < 5 ? 1 : 1.25)),
      metric,
      10,
    );
    expect(history).toHaveLength(8);
    expect(history.every((h) => h.values.length === 4)).toBe(true);
    expect(history.map((h) => h.changePoint !== null)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
    ]);
    expect(history[5]?.change?.verdict).toBe('worse');
    expect(history[6]?.change?.verdict).toBe('same');
    expect(history[0]?.change).toBeNull();
  });

  it('one result per commit: changes shown untested, and too few values for a change point', () => {
    const history = metricHistory(
      store(4, 1, (c) => (c < 2 ? 1 : 1.25)),
      metric,
      10,
    );
    expect(history[2]?.change?.verdict).toBe('untested');
    expect(history.every((h) => h.changePoint === null)).toBe(true);
  });

  it('keeps the last commits only', () => {
    expect(
      metricHistory(
        store(12, 1, () => 1),
        metric,
        5,
      ),
    ).toHaveLength(5);
  });
});
