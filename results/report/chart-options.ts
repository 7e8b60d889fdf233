import { formatInteger } from '../../lib/format.ts';
import type { RunResult, StatementMode, SweepResult } from '../schema/result-schema.ts';
import {
  cumulativeShares,
  equalWidthBins,
  exactFlushSizes,
  REVISIT_ROWS,
  sizeFigures,
} from './flush-size-distribution.ts';
import type { ScenarioSpan } from './scenario-spans.ts';
import type { ThresholdLine } from './threshold-lines.ts';

/**
 * ECharts option objects, built as plain data: the HTML report hands them to the ECharts
 * bundle inlined in the page, `harness history` renders them to SVG on the server. Keeping
 * them pure makes each chart testable without a browser.
 */
export type ChartOption = Record<string, unknown>;

const GRID = { left: 70, right: 30, top: 50, bottom: 60 };

/**
 * A figure as a chart shows it, rounded to the digits the tables print: the float noise of a
 * median or a mean (23.519000000000002) never reaches a label or a tooltip.
 */
export function chartNumber(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 3 : 4;
  return Number(value.toFixed(digits));
}

const chartNullable = (value: number | null): number | null =>
  value === null ? null : chartNumber(value);
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
      .map(([size, ms]): [number, number] => [size, chartNumber(ms)])
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
      .map(([size, v]): [number, number] => [size, chartNumber(v)])
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

const REVISIT_LINE = {
  symbol: 'none',
  lineStyle: { type: 'dashed', color: '#cf222e' },
  label: { formatter: `${REVISIT_ROWS} rows: revisit`, position: 'insideEndTop', fontSize: 10 },
  data: [{ xAxis: REVISIT_ROWS }],
};

/**
 * The judged part's flush sizes, all partitions together, drawn so that the shape is true:
 * bins of one width from the exact histogram, or, for results from before it was kept, the
 * share of flushes at or under each bound of the service's buckets. Both with the 500-row line.
 */
export function flushSizeChart(run: RunResult): ChartOption | null {
  const exact = exactFlushSizes(run);
  if (exact !== undefined && exact.length > 0) {
    const { width, bins } = equalWidthBins(exact);
    const f = sizeFigures(exact);
    const last = bins[bins.length - 1];
    return {
      title: {
        text: `Flush sizes (rows sent, in bins of ${width})`,
        subtext: `${formatInteger(f.flushes)} flushes: p95 ${formatInteger(f.p95)} rows, max ${formatInteger(f.max)} rows, ${formatInteger(f.atRevisit)} at ${REVISIT_ROWS}+ rows`,
        textStyle: { fontSize: 14 },
      },
      tooltip: { trigger: 'axis' },
      grid: { ...GRID, top: 60 },
      xAxis: {
        type: 'value',
        name: 'rows per flush',
        ...AXIS_NAME,
        min: 0,
        max: bins.length * width,
      },
      yAxis: { type: 'value', name: 'flushes', ...AXIS_NAME, nameGap: 50 },
      series: [
        {
          name: 'flushes',
          type: 'line',
          // Each point is a bin's lower edge; the level holds to the next edge.
          step: 'end',
          showSymbol: false,
          areaStyle: { opacity: 0.35 },
          data: [
            ...bins.map((b) => [b.rows, b.count]),
            ...(last === undefined ? [] : [[last.rows + width, last.count]]),
          ],
          markLine: REVISIT_LINE,
        },
      ],
    };
  }
  const shares = cumulativeShares(run);
  if (shares === undefined) return null;
  return {
    title: {
      text: 'Flush sizes: share of flushes at or under each size (rows sent)',
      subtext: "from the service's buckets, exact at each bucket bound",
      textStyle: { fontSize: 14 },
    },
    tooltip: { trigger: 'axis' },
    grid: { ...GRID, top: 60 },
    xAxis: {
      type: 'value',
      name: 'rows per flush',
      ...AXIS_NAME,
      min: 0,
      max: Math.max(REVISIT_ROWS * 1.1, ...shares.filter((s) => s.count < 100).map((s) => s.rows)),
    },
    yAxis: { type: 'value', name: '% of flushes', ...AXIS_NAME, nameGap: 50, min: 0, max: 100 },
    series: [
      {
        name: '% of flushes at or under',
        type: 'line',
        data: [[0, 0], ...shares.map((s) => [s.rows, chartNumber(s.count)])],
        markLine: REVISIT_LINE,
      },
    ],
  };
}

type SeriesField = keyof RunResult['metrics']['series'][number];

/**
 * The scenarios before the judged one shaded and named, the judged one named: a reader sees
 * which seconds the verdict is about.
 */
function scenarioAreas(spans: readonly ScenarioSpan[]): Record<string, unknown> {
  if (spans.length === 0) return {};
  return {
    markArea: {
      silent: true,
      data: spans.map((s) => [
        {
          name: s.judged ? `${s.name} (judged)` : `${s.name} (not judged)`,
          xAxis: s.start,
          itemStyle: s.judged ? { color: 'rgba(0,0,0,0)' } : { color: 'rgba(120,120,120,0.13)' },
          label: { position: 'insideTop', fontSize: 10, color: '#555' },
        },
        { xAxis: s.end },
      ]),
    },
  };
}

/** A threshold's limit across the seconds it is judged over, on the series it limits. */
function thresholdMarks(lines: readonly ThresholdLine[]): Record<string, unknown> {
  if (lines.length === 0) return {};
  return {
    markLine: {
      symbol: 'none',
      lineStyle: { type: 'dashed' },
      label: { formatter: '{b}', position: 'insideEndTop', fontSize: 10 },
      data: lines.map((l) => {
        const color = l.ok ? '#1a7f37' : '#cf222e';
        const name = `${l.label}${l.ok ? '' : ' (failed)'}`;
        return l.from === null || l.to === null
          ? { name, yAxis: l.value, lineStyle: { color } }
          : [{ name, coord: [l.from, l.value], lineStyle: { color } }, { coord: [l.to, l.value] }];
      }),
    },
  };
}

/** The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`: an axis end that reads well. */
function niceCeil(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

/**
 * One or more per-second series of a run over time, the scenario boundaries shaded and each
 * threshold that limits a plotted series drawn at its limit. A limit just above the curves
 * stretches the axis to show it; one far above would flatten them, so it is named instead.
 */
export function runSeriesChart(
  run: RunResult,
  title: string,
  unit: string,
  fields: readonly (readonly [SeriesField, string])[],
  spans: readonly ScenarioSpan[] = [],
  thresholds: readonly ThresholdLine[] = [],
): ChartOption {
  const series = fields.map(([field, name]) => ({
    field,
    name,
    data: run.metrics.series.map((p): [number, number | null] => {
      const v = p[field];
      return [chartNumber(p.t), typeof v === 'number' ? chartNumber(v) : null];
    }),
  }));
  const highest = Math.max(0, ...series.flatMap((s) => s.data.map(([, v]) => v ?? 0)));
  const lines = thresholds.filter((l) => fields.some(([field]) => field === l.field));
  const drawn = lines.filter((l) => l.value <= highest * 2);
  const offScale = lines.filter((l) => l.value > highest * 2);
  const top = Math.max(highest, ...drawn.map((l) => l.value));
  return {
    title: {
      text: title,
      ...(offScale.length === 0
        ? {}
        : { subtext: `far above the curves: ${offScale.map((l) => l.label).join(', ')}` }),
      textStyle: { fontSize: 14 },
    },
    tooltip: { trigger: 'axis' },
    legend: { top: offScale.length === 0 ? 25 : 40 },
    grid: offScale.length === 0 ? GRID : { ...GRID, top: 65 },
    xAxis: { type: 'value', name: 'seconds', ...AXIS_NAME },
    yAxis: {
      type: 'value',
      name: unit,
      ...AXIS_NAME,
      nameGap: 50,
      ...(top > highest ? { max: niceCeil(top * 1.1) } : {}),
    },
    series: series.map((s, i) => ({
      name: s.name,
      type: 'line',
      showSymbol: false,
      data: s.data,
      ...(i === 0 ? scenarioAreas(spans) : {}),
      ...thresholdMarks(drawn.filter((l) => l.field === s.field)),
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
        data: points.map((p) => chartNullable(p.value)),
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
