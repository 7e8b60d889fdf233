import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseResultText } from '../result-file.ts';
import type { RunResult } from '../schema/result-schema.ts';
import {
  cumulativeShares,
  equalWidthBins,
  exactFlushSizes,
  sizeFigures,
} from './flush-size-distribution.ts';
import { reportFixture } from './report-fixtures.ts';

describe('flush sizes drawn so that the shape is true', () => {
  it('bins of one width that hold every flush and reach past 500 rows', () => {
    const sizes = [
      ...Array.from({ length: 21 }, (_, i) => ({ rows: 190 + i, count: 476 })),
      { rows: 520, count: 1 },
    ];
    const { width, bins } = equalWidthBins(sizes);
    expect(width).toBe(20);
    expect(bins.map((b) => b.rows)).toEqual(bins.map((_, i) => i * width));
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(21 * 476 + 1);
    expect(bins.find((b) => b.rows === 520)?.count).toBe(1);
    expect(sizeFigures(sizes)).toEqual({ flushes: 9997, p95: 209, max: 520, atRevisit: 1 });
  });

  it("reads the judged part's every flush from the exact histogram", () => {
    const run = reportFixture('run-join-keep.json').result;
    const sizes = exactFlushSizes(run) ?? [];
    const flushes = run.metrics.partitions.reduce((n, p) => n + p.flushes, 0);
    expect(sizeFigures(sizes).flushes).toBe(flushes);
    expect(sizeFigures(sizes).max).toBe(run.metrics.values['flush_size{scenario:steady}']?.max);
  });

  it('falls back to the cumulative share at each bucket bound in older results', () => {
    const path = 'results/compare/fixtures/run-head.json';
    const run = parseResultText(readFileSync(path, 'utf8'), path) as RunResult;
    expect(exactFlushSizes(run)).toBeUndefined();
    const shares = cumulativeShares(run) ?? [];
    expect(shares.length).toBe(run.metrics.histograms?.flushSizeRows.bounds.length);
    expect(shares.find((s) => s.rows === 400)?.count).toBe(100);
    expect(shares.every((s, i) => i === 0 || s.count >= (shares[i - 1]?.count ?? 0))).toBe(true);
  });
});
