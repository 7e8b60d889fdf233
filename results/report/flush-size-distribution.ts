import * as hdr from 'hdr-histogram-js';
import { exactHistogram, judgedPart } from '../run-latency.ts';
import { totalCounts } from '../stats/bucket-histogram.ts';
import type { RunResult } from '../schema/result-schema.ts';

/** The flush size the analysis says to revisit at: every distribution shows where it lies. */
export const REVISIT_ROWS = 500;

export interface SizeCount {
  readonly rows: number;
  readonly count: number;
}

/** Bins of one width from 0: the bar heights can be compared, so the shape drawn is true. */
export interface EqualBins {
  readonly width: number;
  /** Each bin's lower edge and its flushes, [from, from + width). */
  readonly bins: readonly SizeCount[];
}

const NICE_WIDTHS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];

/**
 * Flush sizes in bins of one width, about `target` of them, reaching past the largest flush
 * and past the revisit size, so that 500 rows is on the axis however small the flushes are.
 */
export function equalWidthBins(sizes: readonly SizeCount[], target = 40): EqualBins {
  const largest = sizes.reduce((m, s) => (s.count > 0 ? Math.max(m, s.rows) : m), 0);
  const reach = Math.max(largest, REVISIT_ROWS) + 1;
  const width =
    NICE_WIDTHS.find((w) => reach / w <= target) ??
    (NICE_WIDTHS[NICE_WIDTHS.length - 1] as number) * Math.ceil(reach / target / 5000);
  const counts = new Array<number>(Math.ceil(reach / width)).fill(0);
  for (const s of sizes) {
    const i = Math.floor(s.rows / width);
    counts[i] = (counts[i] ?? 0) + s.count;
  }
  return { width, bins: counts.map((count, i) => ({ rows: i * width, count })) };
}

/**
 * Every flush size the judged part recorded, from the run's exact HdrHistogram of rows per
 * flush (exact below 2,048 rows); undefined for results from before it was kept.
 */
export function exactFlushSizes(r: RunResult): SizeCount[] | undefined {
  const h = exactHistogram(r, 'flushRows', judgedPart(r).scenario);
  if (h === undefined) return undefined;
  try {
    if (!(h instanceof hdr.JsHistogram))
      throw new Error('a decoded HdrHistogram is expected to be a JsHistogram');
    const sizes: SizeCount[] = [];
    const values = h.recordedValuesIterator;
    values.reset();
    while (values.hasNext()) {
      const v = values.next();
      sizes.push({ rows: v.valueIteratedTo, count: v.countAtValueIteratedTo });
    }
    return sizes;
  } finally {
    h.destroy();
  }
}

/**
 * The share of flushes at or under each bucket bound of the service's Prometheus histogram,
 * all partitions together, for results without the exact one: a cumulative curve is exact at
 * every bound whatever the buckets' widths, where bars over unequal buckets are not.
 */
export function cumulativeShares(r: RunResult): SizeCount[] | undefined {
  const h = r.metrics.histograms?.flushSizeRows;
  if (h === undefined || h.partitions.length === 0) return undefined;
  const totals = totalCounts(h);
  const all = totals.reduce((s, c) => s + c, 0);
  if (all === 0) return undefined;
  let below = 0;
  return h.bounds.map((rows, i) => {
    below += totals[i] ?? 0;
    return { rows, count: (below / all) * 100 };
  });
}

/** p95, the largest flush and how many reached the revisit size: the figures the chart is read for. */
export function sizeFigures(sizes: readonly SizeCount[]): {
  flushes: number;
  p95: number;
  max: number;
  atRevisit: number;
} {
  const sorted = [...sizes].filter((s) => s.count > 0).sort((a, b) => a.rows - b.rows);
  const flushes = sorted.reduce((n, s) => n + s.count, 0);
  let seen = 0;
  const p95 = sorted.find((s) => (seen += s.count) >= flushes * 0.95)?.rows ?? 0;
  return {
    flushes,
    p95,
    max: sorted[sorted.length - 1]?.rows ?? 0,
    atRevisit: sorted.filter((s) => s.rows >= REVISIT_ROWS).reduce((n, s) => n + s.count, 0),
  };
}
