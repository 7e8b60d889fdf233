import { totalCounts } from '../stats/bucket-histogram.ts';
import type { RunResult, StatementMode, SweepResult } from '../schema/result-schema.ts';

/**
 * ECharts option objects, built as plain data: the HTML report hands them to the ECharts
 * bundle inlined in the page, `harness history` renders them to SVG on the server. Keeping
 * them pure makes each chart testable without a browser.
 */
export type ChartOption = Record<string, unknown>;

const GRID = { left: 70, right: 30, top: 50, bottom: 60 };
const AXIS_NAME = { nameLocation: 'middle', nameGap: 35 } as const;

type Measure = 'wallMs' | 'planningMs' | 'executionMs';
const MEASURE_TITLE: Record<Measure, string> = {
  wallMs: 'Wall time per batch (median)',
  planningMs: 'Planning time (EXPLAIN ANALYZE, median)',
  executionMs: 'Execution time (EXPLAIN ANALYZE, median)',
};

/** Time vs batch size per variant on log-log axes, crossovers marked as vertical lines. */
export function sweepTimeChart(
  sweep: SweepResult,
  measure: Measure,
  statement: StatementMode = 'unprepared',
): ChartOption {
  const variants = [...new Set(sweep.metrics.cells.map((c) => c.variant))];
  const crossovers = sweep.metrics.crossovers.filter(
    (c) => c.statement === statement && c.fromSize !== null,
  );
  const series = variants.map((variant, i) => ({
    name: variant,
    type: 'line',
    symbolSize: 7,
    data: sweep.metrics.cells
      .filter((c) => c.variant === variant && c.statement === statement)
      .map((c) => [c.size, measure === 'wallMs' ? c.wallMs.median : c[measure]])
      .filter((point): point is [number, number] => typeof point[1] === 'number' && point[1] > 0)
      .sort((a, b) => a[0] - b[0]),
    ...(i === 0 && crossovers.length > 0
      ? {
          markLine: {
            symbol: 'none',
            lineStyle: { type: 'dashed', color: '#888' },
            label: { formatter: '{b}', position: 'insideEndTop', fontSize: 10 },
            data: crossovers.map((c) => ({
              name: `${c.faster} < ${c.slower} from ${String(c.fromSize)}${c.overlapAtCrossover ? ' (within noise)' : ''}`,
              xAxis: c.fromSize,
            })),
          },
        }
      : {}),
  }));
  return {
    title: { text: `${MEASURE_TITLE[measure]}, ${statement}`, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { top: 25 },
    grid: GRID,
    xAxis: { type: 'log', name: 'batch size (rows)', ...AXIS_NAME, logBase: 10 },
    yAxis: { type: 'log', name: 'ms', ...AXIS_NAME, nameGap: 50, logBase: 10 },
    series,
  };
}

/** The cost figures charted per row against batch size, with their axis names. */
export const COST_FIGURES = {
  cpuUsPerRow: ['CPU per row in the server', 'us/row'],
  walBytesPerRow: ['WAL per row', 'bytes/row'],
  fpiShare: ['Full-page images, share of WAL records', 'share'],
  hotShare: ['HOT updates, share of updates', 'share'],
  buffersHitPerRow: ['Shared buffers hit per row', 'buffers/row'],
  buffersReadPerRow: ['Shared buffers read per row', 'buffers/row'],
} as const;
export type CostFigure = keyof typeof COST_FIGURES;

/**
 * One cost figure per row against batch size: a line per variant (statement mode as given)
 * and the server-side ceiling, from the sweep's cost passes.
 */
export function sweepCostChart(
  sweep: SweepResult,
  figure: CostFigure,
  statement: StatementMode = 'unprepared',
): ChartOption {
  const variants = [...new Set(sweep.metrics.cells.map((c) => c.variant))];
  const line = (name: string, points: [number, number | null | undefined][]) => ({
    name,
    type: 'line',
    symbolSize: 7,
    data: points
      .filter((p): p is [number, number] => typeof p[1] === 'number')
      .sort((a, b) => a[0] - b[0]),
  });
  const series = [
    ...variants.map((variant) =>
      line(
        variant,
        sweep.metrics.cells
          .filter((c) => c.variant === variant && c.statement === statement)
          .map((c) => [c.size, c.cost?.[figure]]),
      ),
    ),
    line(
      'ceiling',
      (sweep.metrics.ceiling ?? []).map((c) => [c.size, c.cost[figure]]),
    ),
  ];
  const [title, unit] = COST_FIGURES[figure];
  return {
    title: { text: `${title}, ${statement}`, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { top: 25 },
    grid: GRID,
    xAxis: { type: 'log', name: 'batch size (rows)', ...AXIS_NAME, logBase: 10 },
    yAxis: { type: 'value', name: unit, ...AXIS_NAME, nameGap: 50 },
    series,
  };
}

function bucketLabels(bounds: readonly number[]): string[] {
  return [
    ...bounds.map((b) => `<= ${b.toLocaleString('en-US')}`),
    `> ${bounds[bounds.length - 1]?.toLocaleString('en-US') ?? ''}`,
  ];
}

/** How many flushes fell in each flush-size bucket, one bar series per partition. */
export function flushSizeChart(run: RunResult): ChartOption | null {
  const h = run.metrics.histograms?.flushSizeRows;
  if (h === undefined || h.partitions.length === 0) return null;
  // Drop empty buckets at both ends so the bars that matter are readable.
  const totals = totalCounts(h);
  const first = totals.findIndex((c) => c > 0);
  const last = totals.length - 1 - [...totals].reverse().findIndex((c) => c > 0);
  const labels = bucketLabels(h.bounds).slice(first, last + 1);
  return {
    title: {
      text: 'Flush size distribution per partition (rows sent)',
      textStyle: { fontSize: 14 },
    },
    tooltip: { trigger: 'axis' },
    legend: { top: 25 },
    grid: GRID,
    xAxis: { type: 'category', name: 'rows per flush', ...AXIS_NAME, data: labels },
    yAxis: { type: 'value', name: 'flushes', ...AXIS_NAME, nameGap: 50 },
    series: h.partitions.map((p) => ({
      name: `partition ${p.partition}`,
      type: 'bar',
      data: p.counts.slice(first, last + 1),
    })),
  };
}

type SeriesField = keyof RunResult['metrics']['series'][number];

/** One or more per-second series of a run over time. */
export function runSeriesChart(
  run: RunResult,
  title: string,
  unit: string,
  fields: readonly (readonly [SeriesField, string])[],
): ChartOption {
  return {
    title: { text: title, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { top: 25 },
    grid: GRID,
    xAxis: { type: 'value', name: 'seconds', ...AXIS_NAME },
    yAxis: { type: 'value', name: unit, ...AXIS_NAME, nameGap: 50 },
    series: fields.map(([field, name]) => ({
      name,
      type: 'line',
      showSymbol: false,
      data: run.metrics.series.map((p) => [p.t, p[field]]),
    })),
  };
}

export interface HistoryPoint {
  readonly label: string;
  readonly value: number | null;
  /** A change point of the history falls just before this commit. */
  readonly changePoint?: boolean;
}

/** One metric across commits, oldest first. */
export function historyChart(
  metric: string,
  unit: string,
  points: readonly HistoryPoint[],
): ChartOption {
  return {
    title: { text: metric, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    grid: GRID,
    xAxis: { type: 'category', name: 'commit', ...AXIS_NAME, data: points.map((p) => p.label) },
    yAxis: { type: 'value', name: unit, ...AXIS_NAME, nameGap: 50, scale: true },
    series: [
      {
        name: metric,
        type: 'line',
        symbolSize: 8,
        data: points.map((p) => p.value),
        label: { show: true, fontSize: 10 },
        // A change point marked as a vertical line before the first commit after it.
        markLine: {
          symbol: 'none',
          label: { formatter: 'change point', fontSize: 10 },
          lineStyle: { type: 'dashed', color: '#c0392b' },
          data: points.flatMap((p) => (p.changePoint === true ? [{ xAxis: p.label }] : [])),
        },
      },
    ],
  };
}
