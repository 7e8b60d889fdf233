import { formatFigure } from '../compare/compare-format.ts';
import type { ChartOption } from './chart-options.ts';

/** Point labels as the tables print numbers (thousands separated, a few digits), not as JSON does. */
function withNumberLabels(option: ChartOption): ChartOption {
  const series = option.series;
  if (!Array.isArray(series)) return option;
  return {
    ...option,
    series: series.map((s: Record<string, unknown>) => {
      const label = s.label as Record<string, unknown> | undefined;
      if (label?.show !== true || label.formatter !== undefined) return s;
      return {
        ...s,
        label: {
          ...label,
          formatter: (p: { value: unknown }) =>
            typeof p.value === 'number' ? formatFigure(p.value) : String(p.value),
        },
      };
    }),
  };
}

/**
 * Renders a chart to an SVG document on the server (ECharts' SSR mode): no browser, no DOM.
 * ECharts is imported here, on first use, not with the module: loading it takes about a
 * second, which every `harness` command would otherwise pay at start-up for one that draws.
 */
export async function renderSvg(option: ChartOption, width = 900, height = 420): Promise<string> {
  const echarts = await import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#fff', ...withNumberLabels(option) });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
