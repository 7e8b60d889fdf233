import type { ChartOption } from './chart-options.ts';

/**
 * Renders a chart to an SVG document on the server (ECharts' SSR mode): no browser, no DOM.
 * ECharts is imported here, on first use, not with the module: loading it takes about a
 * second, which every `harness` command would otherwise pay at start-up for one that draws.
 */
export async function renderSvg(option: ChartOption, width = 900, height = 420): Promise<string> {
  const echarts = await import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#fff', ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
