import { describe, expect, it } from 'vitest';
import type { StatementMode, SweepCell } from '../../results/schema/result-schema.ts';
import { summarize } from '../../results/stats/descriptive.ts';
import { crossovers, harnessOverhead, linearity, preparedDeltas } from './sweep-analysis.ts';

/** A cell whose samples are `median` give or take `spread` (so its IQR is about +-spread/2). */
function cell(
  variant: string,
  size: number,
  median: number,
  spread = 0,
  statement: StatementMode = 'unprepared',
  overhead = 0,
): SweepCell {
  const samples = [
    median - spread,
    median - spread / 2,
    median,
    median + spread / 2,
    median + spread,
  ];
  return {
    variant,
    size,
    statement,
    wallMs: summarize(samples),
    samplesMs: samples,
    hdr: '',
    msPerRow: median / size,
    rowsPerSecond: 0,
    clientOverheadMs: overhead,
    planningMs: null,
    executionMs: null,
    explainRuns: 0,
    planningShare: null,
    sharedBlocksHit: null,
    sharedBlocksRead: null,
  };
}

describe('crossovers', () => {
  it('finds the smallest size from which the faster variant wins at every larger size', () => {
    const cells = [
      cell('a', 10, 1),
      cell('b', 10, 2),
      cell('a', 100, 5),
      cell('b', 100, 4),
      cell('a', 500, 30),
      cell('b', 500, 10),
      cell('a', 1000, 90),
      cell('b', 1000, 20),
    ];
    expect(crossovers(cells)).toEqual([
      {
        faster: 'b',
        slower: 'a',
        statement: 'unprepared',
        fromSize: 100,
        everySize: false,
        overlapAtCrossover: false,
      },
    ]);
  });

  it('a win that dips in the middle starts after the dip', () => {
    const cells = [
      cell('a', 10, 2),
      cell('b', 10, 1),
      cell('a', 50, 1),
      cell('b', 50, 2),
      cell('a', 100, 9),
      cell('b', 100, 3),
    ];
    expect(crossovers(cells)[0]).toMatchObject({ faster: 'b', fromSize: 100, everySize: false });
  });

  it('says when one variant wins everywhere, and flags overlapping spreads at the crossover', () => {
    const cells = [
      cell('a', 10, 2.0, 1),
      cell('b', 10, 1.9, 1),
      cell('a', 100, 20),
      cell('b', 100, 5),
    ];
    expect(crossovers(cells)[0]).toEqual({
      faster: 'b',
      slower: 'a',
      statement: 'unprepared',
      fromSize: 10,
      everySize: true,
      overlapAtCrossover: true,
    });
  });

  it('keeps statement modes apart', () => {
    const cells = [
      cell('a', 10, 1, 0, 'prepared'),
      cell('b', 10, 2, 0, 'prepared'),
      cell('a', 10, 3),
      cell('b', 10, 2),
    ];
    expect(crossovers(cells).map((c) => [c.statement, c.faster])).toEqual([
      ['prepared', 'a'],
      ['unprepared', 'b'],
    ]);
  });
});

describe('linearity', () => {
  it('relates ms/row at larger sizes to 100 rows', () => {
    const cells = [cell('c', 50, 5), cell('c', 100, 10), cell('c', 500, 75), cell('c', 1000, 300)];
    const [l] = linearity(cells);
    expect(l).toMatchObject({ variant: 'c', baseSize: 100, baseMsPerRow: 0.1 });
    expect(l?.ratios.map((r) => [r.size, Number(r.ratio.toFixed(2))])).toEqual([
      [500, 1.5],
      [1000, 3],
    ]);
  });

  it('uses the nearest measured size when 100 is missing', () => {
    expect(linearity([cell('c', 60, 6), cell('c', 1000, 100)])[0]?.baseSize).toBe(60);
  });
});

describe('prepared deltas and overhead', () => {
  it('compares prepared with unprepared per variant and size', () => {
    expect(preparedDeltas([cell('j', 10, 4), cell('j', 10, 3, 0, 'prepared')])).toEqual([
      { variant: 'j', size: 10, unpreparedMs: 4, preparedMs: 3, deltaPercent: -25 },
    ]);
  });

  it('reports the overhead at the largest size up to 1,000 rows, worst variant', () => {
    const cells = [
      cell('a', 1000, 100, 0, 'unprepared', 1),
      cell('b', 1000, 20, 0, 'unprepared', 1),
      cell('b', 2000, 40, 0, 'unprepared', 9),
    ];
    expect(harnessOverhead(cells)).toEqual({
      size: 1000,
      medianWallMs: 20,
      clientOverheadMs: 1,
      percent: 5,
    });
    expect(harnessOverhead([cell('a', 2000, 5)])).toBeNull();
  });
});
