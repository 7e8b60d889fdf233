import * as echarts from 'echarts';
import type { ChartOption } from './chart-options.ts';

/** Renders a chart to an SVG document on the server (ECharts' SSR mode): no browser, no DOM. */
export function renderSvg(option: ChartOption, width = 900, height = 420): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#fff', ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
