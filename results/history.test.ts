import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../sut/db/random.ts';
import { metricHistory, parseHistoryMetric } from './history.ts';
import { parseResultText } from './result-file.ts';
import type { IndexedResult } from './run-index.ts';
import type { RunResult, SweepResult } from './schema/result-schema.ts';
import { UsageError } from '../lib/errors.ts';

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

describe('metricHistory: runs of different setups are never the trials of one commit', () => {
  const runPath = 'results/compare/fixtures/run-base.json';
  const run = parseResultText(readFileSync(runPath, 'utf8'), runPath) as RunResult;
  const metric = parseHistoryMetric('flush_duration:p(95)', 'unprepared', false);

  /** The run fixture as a run of `variant` saved for commit number `c`. */
  function runOf(variant: string, c: number, t = 0): IndexedResult {
    const result = structuredClone(run);
    (result.config.options as { harness: { variant: string } }).harness.variant = variant;
    result.git = {
      commit: `${String(c).padStart(2, '0')}${'b'.repeat(38)}`,
      branch: 'main',
      dirty: false,
    };
    result.createdAt = new Date(Date.UTC(2026, 10, 1, c, t)).toISOString();
    return { path: `c${c}-${variant}-${t}.json`, result };
  }

  it('a commit with a join run and a cte run: refused, naming the difference', () => {
    expect(() =>
      metricHistory([runOf('join', 0), runOf('join', 1), runOf('cte', 1, 1)], metric, 10),
    ).toThrow(
      new UsageError(
        'commit 01bbbbb has results that ran different things and cannot be trials of one: variant join (1 result) vs cte (1 result). Follow one of them: --variant <name> where the variant differs, or keep only the results to follow in the results store',
      ),
    );
  });

  it('a commit that ran another variant than the one before: its change shown apart, untested', () => {
    const history = metricHistory([runOf('join', 0), runOf('cte', 1), runOf('cte', 2)], metric, 10);
    expect(history[1]?.change).toMatchObject({
      verdict: 'untested',
      untestedBecause: 'what ran differs: variant join vs cte',
      regression: false,
    });
    expect(history[2]?.change?.untestedBecause).toBe('1 trial per side: not tested');
  });
});

describe('parseHistoryMetric: spellings', () => {
  it('takes flush_duration.p95 (no shell quoting) as k6 flush_duration:p(95)', () => {
    const k6 = parseHistoryMetric('flush_duration:p(95)', 'unprepared', false);
    expect(parseHistoryMetric('flush_duration.p95', 'unprepared', false)).toEqual(k6);
    expect(parseHistoryMetric('event_to_commit.p99.9', 'unprepared', false)).toMatchObject({
      metric: 'event_to_commit',
      aggregation: 'p(99.9)',
    });
    expect(parseHistoryMetric('flush_size.med', 'unprepared', false)).toMatchObject({
      aggregation: 'med',
    });
  });
});
