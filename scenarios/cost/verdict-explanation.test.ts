import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResultText } from '../../results/result-file.ts';
import type { SweepResult } from '../../results/schema/result-schema.ts';
import type { RunCost } from './run-cost.ts';
import { explainVerdict, predictFlushMs } from './verdict-explanation.ts';
import { settledRowCost } from './fixtures/settled-row-cost.ts';

const path = new URL('../../results/compare/fixtures/sweep-base.json', import.meta.url);
const sweep = parseResultText(readFileSync(path, 'utf8'), 'sweep-base.json') as SweepResult;

describe('predictFlushMs: what a sweep says a flush of any size costs', () => {
  it('gives the measured median at a measured size', () => {
    expect(predictFlushMs(sweep, 'join', 200)).toBeCloseTo(6.276825, 5);
  });

  it('interpolates on log scales between two measured sizes', () => {
    // join: 3.97653 ms at 60 rows, 6.276825 ms at 200; 109.5 rows is the geometric middle.
    const mid = Math.sqrt(60 * 200);
    expect(predictFlushMs(sweep, 'join', mid)).toBeCloseTo(Math.sqrt(3.97653 * 6.276825), 4);
  });

  it('scales by rows past the largest size and holds the smallest below it', () => {
    expect(predictFlushMs(sweep, 'cte', 2000)).toBeCloseTo(47.819473 * 2, 4);
    expect(predictFlushMs(sweep, 'cte', 1)).toBeCloseTo(3.0984105, 5);
    expect(predictFlushMs(sweep, 'no-such-variant', 100)).toBeUndefined();
  });
});

const cost: RunCost = {
  window: {
    rows: 120_000,
    seconds: 60,
    rowsPerSecond: 2000,
    cpuUsPerRow: 60,
    cpuSource: 'server',
    walBytesPerRow: 180,
    fpiPerRow: 0.02,
    fpiShare: 0.05,
    hotShare: 0.4,
    buffersHitPerRow: 12,
    buffersReadPerRow: 0.5,
    checkpoints: 1,
    autovacuums: 2,
    autoanalyzes: 0,
  },
  waits: {
    samples: 240,
    activeSeen: 400,
    shares: { cpu: 0.3, walWrite: 0.5, lock: 0.15, io: 0.05, other: 0 },
  },
  ceiling: {
    size: 540,
    batches: 37,
    sessions: 8,
    cost: settledRowCost({ rows: 19_980, seconds: 0.5, rowsPerSecond: 40_000 }),
  },
  ceilingShare: 0.05,
};

describe('explainVerdict: where the time went and what the other forms would cost', () => {
  it('names the ceiling share, the per-row figures, the waits and the sweep prediction', () => {
    const lines = explainVerdict({ cost, flushRows: 540, sweep, variant: 'correlated' });
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(
      "database: 2,000 rows/s updated over the load, 5.0 % of this machine's ceiling (40,000 rows/s at 540 rows per batch: UPDATE ... FROM unnest in 8 loops at once on the server, a commit per batch)",
    );
    expect(lines[1]).toContain('60.0 us of CPU (every server process)');
    expect(lines[1]).toContain('WAL 180 bytes, full-page images 5 % of WAL records');
    expect(lines[1]).toContain('HOT 40 % of updates');
    expect(lines[1]).toContain('1 checkpoint and 2 autovacuum runs');
    expect(lines[2]).toContain("the run's 4.0x that CPU");
    expect(lines[3]).toContain(
      'on CPU 30 %, waiting for WAL writes and flushes 50 %, lock waits 15 %, other I/O 5 %',
    );
    // Cheapest first; the run's own variant marked.
    expect(lines[4]).toMatch(
      /^the sweep of this commit .* per flush of 540 rows \(unprepared\): join .* cte .* correlated \(this run\)/,
    );
    expect(lines[5]).toBe(
      "planning: 2 % of correlated's time per batch at 1,000 rows in that sweep (EXPLAIN ANALYZE); a prepared statement plans once",
    );
  });

  it('says so when the statistics did not move, and leaves out what it does not have', () => {
    const none = {
      ...cost,
      window: { ...cost.window, rows: 0 },
      waits: { ...cost.waits, activeSeen: 0 },
    };
    const lines = explainVerdict({
      cost: none,
      flushRows: Number.NaN,
      sweep: undefined,
      variant: 'join',
    });
    expect(lines).toEqual([
      "database: the table's update count did not move over the load (no flush, or the server's statistics were reset by an immediate restart): no per-row figures",
    ]);
    expect(
      explainVerdict({ cost: null, flushRows: 60, sweep: undefined, variant: 'join' }),
    ).toEqual([]);
  });
});
