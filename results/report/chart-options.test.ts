import { describe, expect, it } from 'vitest';
import { chartNumber, flushSizeChart, historyChart, runSeriesChart } from './chart-options.ts';
import { reportFixture } from './report-fixtures.ts';
import { scenarioSpans } from './scenario-spans.ts';
import { renderSvg } from './svg-chart.ts';
import { thresholdLines } from './threshold-lines.ts';

const run = reportFixture('run-join-keep.json').result;
type Series = { data: unknown[]; markArea?: { data: unknown[] }; markLine?: { data: unknown[] } };
const seriesOf = (option: Record<string, unknown>) => option.series as Series[];

describe('chart options', () => {
  it('rounds figures to the digits the tables print', () => {
    expect(chartNumber(23.519000000000002)).toBe(23.52);
    expect(chartNumber(0.123456)).toBe(0.1235);
    expect(chartNumber(12_345.6)).toBe(12_346);
  });

  it('labels a history point as the table prints it, never with float noise', async () => {
    const option = historyChart('flush_duration p(95)', 'ms', [
      { label: 'a1b2c3d', value: 23.519000000000002 },
      { label: 'e4f5a6b', value: 1234.5678 },
    ]);
    expect(seriesOf(option)[0]?.data).toEqual([23.52, 1235]);
    const svg = await renderSvg(option);
    expect(svg).toContain('>23.52<');
    expect(svg).toContain('>1,235<');
    expect(svg).not.toContain('23.519');
  });

  it('shades the warm-up, names the judged scenario and draws the thresholds over its seconds', () => {
    const spans = scenarioSpans(run);
    const option = runSeriesChart(
      run,
      'latency',
      'ms',
      [
        ['flushP95Ms', 'flush p95'],
        ['eventToCommitP99Ms', 'event-to-commit p99'],
      ],
      spans,
      thresholdLines(run, spans),
    );
    const [flush, e2c] = seriesOf(option);
    expect(flush?.markArea?.data).toMatchObject([
      [{ name: 'warmup (not judged)', xAxis: 0 }, { xAxis: 30 }],
      [{ name: 'steady (judged)', xAxis: 30 }, { xAxis: 50 }],
    ]);
    expect(flush?.markLine?.data).toMatchObject([
      [{ name: 'flush_duration{scenario:steady} p(95)<50', coord: [30, 50] }, { coord: [50, 50] }],
    ]);
    // The 1,000 ms limit is far above a p99 of about 140 ms: named, not drawn.
    expect(e2c?.markLine).toBeUndefined();
    expect((option.title as { subtext?: string }).subtext).toBe(
      'far above the curves: event_to_commit{scenario:steady} p(99)<1000',
    );
  });

  it('draws flush sizes in equal bins from the exact histogram, with the 500-row line', () => {
    const option = flushSizeChart(run);
    const [sizes] = seriesOf(option ?? {});
    const points = (sizes?.data ?? []) as [number, number][];
    const widths = new Set(points.slice(1).map(([rows], i) => rows - (points[i]?.[0] ?? 0)));
    expect(widths.size).toBe(1);
    expect((points[points.length - 1]?.[0] ?? 0) > 500).toBe(true);
    expect(sizes?.markLine?.data).toEqual([{ xAxis: 500 }]);
    const flushes = run.metrics.partitions.reduce((n, p) => n + p.flushes, 0);
    expect(points.slice(0, -1).reduce((n, [, count]) => n + count, 0)).toBe(flushes);
  });
});
