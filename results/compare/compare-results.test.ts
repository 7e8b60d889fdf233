import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../scripts/lib/usage-error.ts';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import type { SweepResult } from '../schema/result-schema.ts';
import { formatComparison } from './compare-format.ts';
import { compareResults, environmentNotes, regressionsBeyond } from './compare-results.ts';

const FIXTURES = 'results/compare/fixtures';

function fixture(name: string): IndexedResult {
  const path = `${FIXTURES}/${name}`;
  return { path, result: parseResultText(readFileSync(path, 'utf8'), path) };
}

/** Compares with the golden file; UPDATE_GOLDEN=1 rewrites it after a deliberate change. */
function expectGolden(actual: string, name: string): void {
  const path = `results/compare/golden/${name}`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** A copy of a sweep whose every sample of `variant` is scaled by `factor`. */
function scaled(
  entry: IndexedResult,
  variant: string,
  factor: number,
  path: string,
): IndexedResult {
  const sweep = structuredClone(entry.result) as SweepResult;
  const cells = sweep.metrics.cells.map((c) =>
    c.variant === variant ? { ...c, samplesMs: c.samplesMs.map((s) => s * factor) } : c,
  );
  return { path, result: { ...sweep, metrics: { ...sweep.metrics, cells } } };
}

describe('compareResults (golden files)', () => {
  it('compares two sweeps cell by cell, benchstat-style', () => {
    expectGolden(
      formatComparison(compareResults(fixture('sweep-base.json'), fixture('sweep-head.json'))),
      'sweep-compare.txt',
    );
  });

  it('compares two runs: histograms, per-second series and totals', () => {
    expectGolden(
      formatComparison(compareResults(fixture('run-base.json'), fixture('run-head.json'))),
      'run-compare.txt',
    );
  });

  it('says ~ everywhere when a result is compared with itself', () => {
    const c = compareResults(fixture('sweep-head.json'), fixture('sweep-head.json'));
    expect(c.rows.every((r) => !r.significant && (r.p ?? 0) > 0.999)).toBe(true);
  });
});

describe('significance and regressions', () => {
  const base = fixture('sweep-head.json');

  it('flags a 50 % slowdown of one variant as a significant regression, and only that', () => {
    const c = compareResults(base, scaled(base, 'join', 1.5, 'slower-join.json'));
    const join = c.rows.filter((r) => r.label.startsWith('join '));
    const others = c.rows.filter((r) => !r.label.startsWith('join '));
    expect(join.every((r) => Math.abs((r.deltaPercent ?? 0) - 50) < 1e-9)).toBe(true);
    // Cells with few samples cannot reach p < 0.05 whatever the change: benchstat's caveat.
    expect(join.filter((r) => r.nBase >= 10).every((r) => r.regression)).toBe(true);
    expect(others.every((r) => !r.significant)).toBe(true);
    expect(regressionsBeyond(c, 40).length).toBeGreaterThan(0);
    expect(regressionsBeyond(c, 60)).toEqual([]);
  });

  it('calls a significant speed-up better, not a regression', () => {
    const c = compareResults(base, scaled(base, 'cte', 0.5, 'faster-cte.json'));
    expect(c.rows.some((r) => r.significant)).toBe(true);
    expect(c.rows.filter((r) => r.regression)).toEqual([]);
    expect(formatComparison(c)).toMatch(/-50\.00% \(p=0\.000 n=\d+\) better/);
  });
});

describe('bad pairs', () => {
  it('refuses a sweep against a run, naming both', () => {
    expect(() => compareResults(fixture('sweep-base.json'), fixture('run-base.json'))).toThrow(
      UsageError,
    );
    expect(() => compareResults(fixture('sweep-base.json'), fixture('run-base.json'))).toThrow(
      /cannot compare a sweep result \(.*sweep-base\.json\) with a run result \(.*run-base\.json\)/,
    );
  });

  it('refuses two different scenarios', () => {
    const other = fixture('run-head.json');
    const renamed = { ...other, result: { ...other.result, name: 'flush-500' } };
    expect(() => compareResults(fixture('run-base.json'), renamed)).toThrow(
      /must be the same scenario/,
    );
  });
});

describe('environment notes', () => {
  const env = fixture('run-base.json').result.env;
  if (env === null) throw new Error('the run fixture records its environment');

  it('names each PostgreSQL setting, the version and the cores that differ', () => {
    const head = structuredClone(env);
    head.postgres.settings.shared_buffers = '512MB';
    head.postgres.version = '16.4';
    head.cpu.count = env.cpu.count * 2;
    const [note, ...more] = environmentNotes(env, head);
    expect(more).toEqual([]);
    expect(note).toBe(
      `the two sides ran in different environments (PostgreSQL ${env.postgres.version} -> 16.4; shared_buffers ${env.postgres.settings.shared_buffers ?? ''} -> 512MB; cores ${env.cpu.count} -> ${head.cpu.count}): part of any change may come from that`,
    );
  });

  it('names where PostgreSQL came from and the Node version when they differ', () => {
    const head = structuredClone(env);
    head.postgres.source = 'url';
    head.node = 'v22.0.0';
    expect(environmentNotes(env, head)).toEqual([
      `the two sides ran in different environments (PostgreSQL from ${env.postgres.source} -> url; node ${env.node} -> v22.0.0): part of any change may come from that`,
    ]);
  });

  it('says nothing for the same environment, a setting only one side recorded, or no database', () => {
    const head = structuredClone(env);
    head.postgres.settings.max_wal_size = '1GB';
    delete head.postgres.settings.jit;
    expect(environmentNotes(env, head)).toEqual([]);
    expect(environmentNotes(env, null)).toEqual([]);
  });

  it('reaches the comparison printed for the reader', () => {
    const head = structuredClone(fixture('run-head.json'));
    if (head.result.env === null) throw new Error('the run fixture records its environment');
    head.result.env.postgres.settings.shared_buffers = '1GB';
    expect(formatComparison(compareResults(fixture('run-base.json'), head))).toMatch(
      /note: the two sides ran in different environments \(shared_buffers 128MB -> 1GB\)/,
    );
  });
});
