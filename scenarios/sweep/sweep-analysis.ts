import type {
  Crossover,
  Linearity,
  PreparedDelta,
  StatementMode,
  SweepCell,
} from '../../results/schema/result-schema.ts';
import { iqrOverlap, median, summarize } from '../../results/stats/descriptive.ts';
import { encodeLatenciesMs } from '../../results/stats/hdr-encoding.ts';
import type { CellMeasurement } from './sweep-runner.ts';

/** Turns one cell's raw measurements into the figures the results JSON keeps. */
export function summarizeCell(m: CellMeasurement): SweepCell {
  const wall = summarize(m.samplesMs);
  const explained = m.explain.length > 0;
  const planningMs = explained ? median(m.explain.map((e) => e.planningMs)) : null;
  return {
    variant: m.variant,
    size: m.size,
    statement: m.statement,
    wallMs: wall,
    samplesMs: m.samplesMs.map((v) => Math.round(v * 1000) / 1000),
    hdr: encodeLatenciesMs(m.samplesMs),
    msPerRow: wall.median / m.size,
    rowsPerSecond: m.elapsedMs > 0 ? (m.rows * 1000) / m.elapsedMs : 0,
    clientOverheadMs: median(m.prepMs),
    planningMs,
    executionMs: explained ? median(m.explain.map((e) => e.executionMs)) : null,
    explainRuns: m.explain.length,
    planningShare: planningMs === null || wall.median === 0 ? null : planningMs / wall.median,
    sharedBlocksHit: explained ? median(m.explain.map((e) => e.sharedHit)) : null,
    sharedBlocksRead: explained ? median(m.explain.map((e) => e.sharedRead)) : null,
    ...(m.cost === undefined ? {} : { cost: m.cost }),
  };
}

function cellsOf(
  cells: readonly SweepCell[],
  variant: string,
  statement: StatementMode,
): Map<number, SweepCell> {
  return new Map(
    cells.filter((c) => c.variant === variant && c.statement === statement).map((c) => [c.size, c]),
  );
}

/**
 * For each pair of variants (and statement mode): which one is faster at the largest size,
 * and the smallest size from which it is faster at every larger size. `overlapAtCrossover`
 * flags a win whose interquartile ranges overlap, i.e. within run-to-run noise.
 */
export function crossovers(cells: readonly SweepCell[]): Crossover[] {
  const variants = [...new Set(cells.map((c) => c.variant))];
  const modes = [...new Set(cells.map((c) => c.statement))];
  const out: Crossover[] = [];
  for (const statement of modes) {
    for (let i = 0; i < variants.length; i++) {
      for (let j = i + 1; j < variants.length; j++) {
        const a = cellsOf(cells, variants[i] as string, statement);
        const b = cellsOf(cells, variants[j] as string, statement);
        const sizes = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
        const last = sizes[sizes.length - 1];
        if (last === undefined) continue;
        const aWinsAtLast =
          (a.get(last) as SweepCell).wallMs.median <= (b.get(last) as SweepCell).wallMs.median;
        const [faster, slower, fast, slow] = aWinsAtLast
          ? [variants[i] as string, variants[j] as string, a, b]
          : [variants[j] as string, variants[i] as string, b, a];
        let fromIndex = sizes.length - 1;
        while (fromIndex > 0) {
          const s = sizes[fromIndex - 1] as number;
          if ((fast.get(s) as SweepCell).wallMs.median < (slow.get(s) as SweepCell).wallMs.median)
            fromIndex--;
          else break;
        }
        const fromSize = sizes[fromIndex] as number;
        out.push({
          faster,
          slower,
          statement,
          fromSize,
          everySize: fromIndex === 0,
          overlapAtCrossover: iqrOverlap(
            (fast.get(fromSize) as SweepCell).wallMs,
            (slow.get(fromSize) as SweepCell).wallMs,
          ),
        });
      }
    }
  }
  return out;
}

/** The analysis's "degradation beyond 200 rows": ms/row at larger sizes relative to 100 rows (or the nearest measured size). */
export function linearity(cells: readonly SweepCell[], baseSize = 100): Linearity[] {
  const out: Linearity[] = [];
  for (const variant of [...new Set(cells.map((c) => c.variant))]) {
    for (const statement of [...new Set(cells.map((c) => c.statement))]) {
      const bySize = cellsOf(cells, variant, statement);
      const sizes = [...bySize.keys()].sort((x, y) => x - y);
      const base = sizes.reduce<number | undefined>(
        (best, s) =>
          best === undefined || Math.abs(s - baseSize) < Math.abs(best - baseSize) ? s : best,
        undefined,
      );
      if (base === undefined) continue;
      const baseMsPerRow = (bySize.get(base) as SweepCell).msPerRow;
      out.push({
        variant,
        statement,
        baseSize: base,
        baseMsPerRow,
        ratios: sizes
          .filter((s) => s > base)
          .map((s) => {
            const msPerRow = (bySize.get(s) as SweepCell).msPerRow;
            return { size: s, msPerRow, ratio: baseMsPerRow > 0 ? msPerRow / baseMsPerRow : 0 };
          }),
      });
    }
  }
  return out;
}

export function preparedDeltas(cells: readonly SweepCell[]): PreparedDelta[] {
  const out: PreparedDelta[] = [];
  for (const c of cells) {
    if (c.statement !== 'unprepared') continue;
    const p = cells.find(
      (o) => o.variant === c.variant && o.size === c.size && o.statement === 'prepared',
    );
    if (p === undefined) continue;
    out.push({
      variant: c.variant,
      size: c.size,
      unpreparedMs: c.wallMs.median,
      preparedMs: p.wallMs.median,
      deltaPercent: ((p.wallMs.median - c.wallMs.median) / c.wallMs.median) * 100,
    });
  }
  return out;
}

/** The harness's own cost at the largest size up to 1,000 rows, for the variant where it weighs most. */
export function harnessOverhead(cells: readonly SweepCell[]) {
  const eligible = cells.filter((c) => c.size <= 1000);
  const size = Math.max(...eligible.map((c) => c.size));
  const worst = eligible
    .filter((c) => c.size === size)
    .map((c) => ({
      size,
      medianWallMs: c.wallMs.median,
      clientOverheadMs: c.clientOverheadMs,
      percent: (c.clientOverheadMs / c.wallMs.median) * 100,
    }))
    .sort((x, y) => y.percent - x.percent)[0];
  return worst ?? null;
}
