import { readFileSync } from 'node:fs';
import { expectGolden as goldenFile } from '../../scripts/testing/golden.ts';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.ts';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import * as hdr from 'hdr-histogram-js';
import type { RunResult, SweepResult } from '../schema/result-schema.ts';
import type { Comparison } from './compare-results.ts';
import { formatComparison } from './compare-format.ts';
import { createRandom } from '../../sut/db/random.ts';
import {
  compareResults,
  compareTrials,
  environmentNotes,
  noiseNotes,
  regressionsBeyond,
} from './compare-results.ts';

const FIXTURES = 'results/compare/fixtures';

function fixture(name: string): IndexedResult {
  const path = `${FIXTURES}/${name}`;
  return { path, result: parseResultText(readFileSync(path, 'utf8'), path) };
}

function expectGolden(actual: string, name: string): void {
  goldenFile(actual, `results/compare/golden/${name}`);
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

  it('two runs of different variants and partitions: the difference said ahead of the table', () => {
    const cte = structuredClone(fixture('run-head.json'));
    const harness = (cte.result as RunResult).config.options as {
      harness: Record<string, unknown>;
    };
    harness.harness.variant = 'cte';
    harness.harness.partitions = 4;
    expectGolden(
      formatComparison(compareResults(fixture('run-base.json'), cte)),
      'run-compare-sides-differ.txt',
    );
  });

  it('one result per side: every change shown, none tested', () => {
    const c = compareResults(fixture('sweep-head.json'), fixture('sweep-head.json'));
    expect(c.rows.every((r) => r.verdict === 'untested' && r.interval === null)).toBe(true);
    expect(formatComparison(c)).toMatch(/\+0\.00% \(1 trial per side: not tested\)/);
    expect(formatComparison(c)).not.toMatch(/p=/);
  });
});

/**
 * Trials of one sweep: each trial's batches scaled by a factor of its own (the spread between
 * runs: load, checkpoints, the table), drawn log-normal with `spread`, and `join` by `joinFactor`.
 */
function trials(
  entry: IndexedResult,
  count: number,
  seed: number,
  spread: number,
  joinFactor = 1,
): IndexedResult[] {
  const random = createRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, (_, i) => {
    const runFactor = Math.exp(spread * gaussian());
    const scaledEntry = scaled(entry, 'join', joinFactor, `trial-${seed}-${i}.json`);
    const sweep = scaledEntry.result as SweepResult;
    const cells = sweep.metrics.cells.map((c) => ({
      ...c,
      samplesMs: c.samplesMs.map((x) => x * runFactor),
    }));
    return { path: scaledEntry.path, result: { ...sweep, metrics: { ...sweep.metrics, cells } } };
  });
}

describe('trials: intervals, the noise floor, regressions', () => {
  const base = fixture('sweep-head.json');
  const joinRows = (c: Comparison) => c.rows.filter((r) => r.label.startsWith('join '));

  it('calls a 50 % slowdown of one variant worse, the change inside every interval, and nothing else', () => {
    const c = compareTrials(trials(base, 5, 1, 0.03), trials(base, 5, 2, 0.03, 1.5));
    const others = c.rows.filter((r) => !r.label.startsWith('join '));
    expect(joinRows(c).every((r) => r.verdict === 'worse' && r.regression)).toBe(true);
    for (const r of joinRows(c)) {
      expect(r.interval?.lower).toBeLessThan(1.5);
      expect(r.interval?.upper).toBeGreaterThan(1.5);
    }
    expect(others.every((r) => r.verdict !== 'worse' && r.verdict !== 'better')).toBe(true);
    expect(regressionsBeyond(c, 20).length).toBe(joinRows(c).length);
    expect(regressionsBeyond(c, 80)).toEqual([]);
    expect(formatComparison(c)).toMatch(
      /join 60 rows .* \+\d+\.\d+% \[\+\d+\.\d+%, \+\d+\.\d+%\] \(n=5\) worse/,
    );
  });

  it('calls a speed-up better, never a regression', () => {
    const c = compareTrials(trials(base, 5, 3, 0.03), trials(base, 5, 4, 0.03, 0.5));
    expect(joinRows(c).every((r) => r.verdict === 'better')).toBe(true);
    expect(c.rows.filter((r) => r.regression)).toEqual([]);
  });

  it('holds changes to the calibrated noise floor: a 10 % change within a 12 % floor is ~', () => {
    const b = trials(base, 6, 5, 0.01);
    const h = trials(base, 6, 6, 0.01, 1.1);
    expect(joinRows(compareTrials(b, h)).every((r) => r.verdict === 'worse')).toBe(true);
    const floors = Object.fromEntries(
      compareTrials(b, h).rows.map((r) => [`${r.section} / ${r.label}`, 12]),
    );
    const held = compareTrials(b, h, { calibration: { source: 'test', trials: 6, floors } });
    expect(held.rows.every((r) => r.verdict === 'same')).toBe(true);
    expect(formatComparison(held)).toMatch(/~ \[\+\d+\.\d+%, \+\d+\.\d+%\] \(n=6, floor 12\.0%\)/);
  });

  it('three trials per side: the interval at the confidence it has, nothing called', () => {
    const c = compareTrials(trials(base, 3, 7, 0.03), trials(base, 3, 8, 0.03, 1.5));
    const row = c.rows.find((r) => r.label === 'join 60 rows');
    expect(row?.verdict).toBe('untested');
    expect(row?.interval?.confidence).toBeCloseTo(0.9, 5);
    expect(formatComparison(c)).toMatch(
      /at 90 % \(3\+3 trials give a 90 % interval at most: not tested \(4 per side reach 95 %\)\)/,
    );
  });

  it('A/A: the same code on both sides calls (almost) nothing changed', () => {
    let called = 0;
    let rows = 0;
    for (let k = 0; k < 10; k++) {
      const c = compareTrials(trials(base, 5, 100 + k, 0.05), trials(base, 5, 200 + k, 0.05));
      called += c.rows.filter((r) => r.verdict !== 'same').length;
      rows += c.rows.length;
    }
    expect(called / rows).toBeLessThanOrEqual(0.05);
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
    const [note, ...more] = environmentNotes([env], [head]);
    expect(more).toEqual([]);
    expect(note).toBe(
      `the two sides ran in different environments (PostgreSQL ${env.postgres.version} -> 16.4; shared_buffers ${env.postgres.settings.shared_buffers ?? ''} -> 512MB; cores ${env.cpu.count} -> ${head.cpu.count}): part of any change may come from that`,
    );
  });

  it('names where PostgreSQL came from and the Node version when they differ', () => {
    const head = structuredClone(env);
    head.postgres.source = 'url';
    head.node = 'v22.0.0';
    expect(environmentNotes([env], [head])).toEqual([
      `the two sides ran in different environments (PostgreSQL from ${env.postgres.source} -> url; node ${env.node} -> v22.0.0): part of any change may come from that`,
    ]);
  });

  it('names a database round trip added on one side or different on both', () => {
    const link = {
      roundTripMs: 1,
      jitterMs: 0,
      throughRoundTripMs: 1.3,
      directRoundTripMs: 0.2,
      measuredAddedMs: 1.1,
      heldRoundTripMs: 1.05,
      latenessP50Ms: 0.02,
      latenessP99Ms: 0.2,
      latenessMaxMs: 0.9,
      held: true,
    };
    const head = { ...structuredClone(env), link };
    expect(environmentNotes([env], [head])).toEqual([
      'the two sides ran in different environments (database round trip added none -> 1 ms): part of any change may come from that',
    ]);
    const jittery = { ...structuredClone(env), link: { ...link, roundTripMs: 2, jitterMs: 0.5 } };
    expect(environmentNotes([head], [jittery])).toEqual([
      'the two sides ran in different environments (database round trip added 1 ms -> 2 ms (jitter 0.5 ms)): part of any change may come from that',
    ]);
    expect(environmentNotes([head], [structuredClone(head)])).toEqual([]);
  });

  it('says nothing for the same environment, a setting only one side recorded, or no database', () => {
    const head = structuredClone(env);
    head.postgres.settings.max_wal_size = '1GB';
    delete head.postgres.settings.jit;
    expect(environmentNotes([env], [head])).toEqual([]);
    expect(environmentNotes([env], [null])).toEqual([]);
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

describe('runs with exact histograms and machine load', () => {
  /** A run result with exact flush durations: a warm-up of slow flushes, a steady part of `steadyUs`. */
  function exactRun(steadyUs: number, othersPercent: number, path: string): IndexedResult {
    const run = structuredClone(fixture('run-base.json').result) as RunResult;
    const histogram = (us: number, n: number) => {
      const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000 });
      for (let i = 0; i < n; i++) h.recordValue(us + (i % 10));
      const encoded = hdr.encodeIntoCompressedBase64(h);
      h.destroy();
      return encoded;
    };
    run.metrics.latency = {
      flushDurationUs: {
        warmup: { '0': histogram(400_000, 50) },
        steady: { '0': histogram(steadyUs, 500), '1': histogram(steadyUs, 500) },
      },
    };
    run.metrics.steadyScenario = 'steady';
    run.metrics.machine = {
      cores: 2,
      loadAverage: { min: 1, max: 2, mean: 1.5 },
      stealPercent: 0,
      cpuPercent: { harness: 10, service: 10, database: 5, broker: 0, others: othersPercent },
      busyPercent: 25 + othersPercent,
      warning: othersPercent > 15 ? 'busy' : null,
    };
    return { path, result: run };
  }

  it('compares the judged part exactly (the warm-up left out), untested with one run per side', () => {
    const c = compareResults(exactRun(5000, 2, 'base.json'), exactRun(6000, 3, 'head.json'));
    const p95 = c.rows.find((r) => r.label === 'flush_duration p(95)');
    expect(p95?.section).toBe('flush_duration (ms)');
    expect(c.notes).toContain(
      'latencies are exact percentiles of the part each run judges: scenario steady',
    );
    expect(p95?.base).toBeCloseTo(5.009, 2);
    expect(p95?.head).toBeCloseTo(6.009, 2);
    expect(p95?.interval).toBeNull();
    expect(p95?.verdict).toBe('untested');
    expect(p95?.untestedBecause).toBe('1 trial per side: not tested');
  });

  it('names the noisier side, or says the two were alike', () => {
    const quiet = exactRun(5000, 2, 'base.json');
    expect(noiseNotes([quiet.result], [exactRun(5000, 4, 'head.json').result])).toEqual([
      'machine load: alike on both sides (base other processes 2 % of 2 cores, load 1.5; head other processes 4 % of 2 cores, load 1.5)',
    ]);
    const busy = compareResults(quiet, exactRun(5000, 45, 'head.json'));
    expect(formatComparison(busy)).toMatch(
      /note: machine load: the head ran on the noisier machine \(base other processes 2 % .*; head other processes 45 % of 2 cores, load 1\.5\)/,
    );
    expect(noiseNotes([exactRun(5000, 30, 'b').result], [quiet.result])[0]).toMatch(
      /the base ran on the noisier machine/,
    );
  });
});
