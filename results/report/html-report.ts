import { formatUpTo } from '../../lib/format.ts';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { formatComparison, formatFigure } from '../compare/compare-format.ts';
import { keyFigures, resultFigures } from '../key-figures.ts';
import type { RunResult, SweepResult, ResultFile } from '../schema/result-schema.ts';
import {
  flushSizeChart,
  runSeriesChart,
  sweepTimeChart,
  sweepCostChart,
  COST_FIGURES,
  type CostFigure,
  type ChartOption,
} from './chart-options.ts';
import { escapeXml, scriptJson } from './html-escape.ts';
import type { ReportInput } from './report-input.ts';
import { scenarioSpans } from './scenario-spans.ts';
import { thresholdLines } from './threshold-lines.ts';
import {
  AUDIT_ABSENT,
  checkCount,
  checkStatus,
  EXPLANATION_TITLE,
  STATUS_WORDS,
  verdictNote,
} from './verdict-parts.ts';

const require = createRequire(import.meta.url);

/** ECharts' common bundle (line, bar, log axes, mark lines), inlined so the page opens offline. */
function echartsBundle(): string {
  return readFileSync(require.resolve('echarts/dist/echarts.common.min.js'), 'utf8');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6rem 0; } th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1a7f37; } .fail { color: #cf222e; font-weight: 600; }
.verdict { display: inline-block; padding: .3rem .8rem; border-radius: 4px; font-weight: 700; }
.verdict.KEEP { background: #dafbe1; color: #1a7f37; } .verdict.REVISIT { background: #fff1e5; color: #bc4c00; }
.verdict.WRONG { background: #cf222e; color: #fff; }
.allowed { color: #bc4c00; }
.meaning { border-left: 4px solid #cf222e; padding: .2rem .8rem; background: #fff5f5; }
.chart { width: 100%; height: 360px; margin: .8rem 0; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; font-size: 12px; }
.meta { color: #555; }
`;

interface Section {
  readonly html: string;
  readonly charts: Record<string, ChartOption>;
}

function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[] = [],
): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric[i] === true ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function meta(path: string, r: ResultFile): string {
  const env = r.env;
  const sha =
    r.git.commit === 'unknown'
      ? 'no git'
      : `${r.git.commit.slice(0, 10)}${r.git.dirty ? ' (dirty)' : ''}`;
  return `<p class="meta">${escapeXml(path)}<br>commit ${escapeXml(sha)} on ${escapeXml(r.git.branch)}, ${escapeXml(r.createdAt)}${
    env === null
      ? ''
      : `<br>PostgreSQL ${escapeXml(env.postgres.version)} (${escapeXml(env.postgres.source)}), ${escapeXml(env.cpu.model)} x ${env.cpu.count}, Node.js ${escapeXml(env.node)}`
  }</p>`;
}

function thresholdsHtml(r: ResultFile): string {
  if (r.thresholds.length === 0) return '<p>No thresholds.</p>';
  return table(
    ['Metric', 'Threshold', 'Value', 'Result'],
    r.thresholds.map((t) => [
      escapeXml(t.metric),
      escapeXml(t.expression),
      formatFigure(t.value),
      t.ok ? '<span class="ok">pass</span>' : '<span class="fail">FAIL</span>',
    ]),
    [false, false, true, false],
  );
}

function auditHtml(r: RunResult): string {
  const audit = r.verdict.audit;
  if (audit === undefined) return `<h3>Audit</h3><p>The audit is ${escapeXml(AUDIT_ABSENT)}</p>`;
  const status = {
    pass: '<span class="ok">pass</span>',
    FAIL: '<span class="fail">FAIL</span>',
    allowed: `<span class="allowed">${escapeXml(STATUS_WORDS.allowed)}</span>`,
  };
  return `<h3>Audit of every increment (variant ${escapeXml(audit.variant)})</h3>${
    audit.meaning === undefined ? '' : `<p class="meaning">${escapeXml(audit.meaning)}.</p>`
  }${table(
    ['Audit check', 'What it holds', 'Found', 'Result'],
    audit.checks.map((c) => [
      `<code>${escapeXml(c.name)}</code>`,
      escapeXml(c.description),
      escapeXml(checkCount(c)),
      status[checkStatus(c)],
    ]),
  )}${
    audit.examples.length === 0
      ? ''
      : `<h4>Examples</h4>${table(
          ['Kind', 'Player', 'Goal', 'Expected', 'Found'],
          audit.examples.map((x) => [
            escapeXml(x.kind),
            `<code>${escapeXml(x.player)}</code>`,
            escapeXml(x.goal),
            escapeXml(x.expected),
            formatUpTo(x.found),
          ]),
          [false, false, false, true, true],
        )}`
  }`;
}

function explanationHtml(r: RunResult): string {
  const why = r.verdict.explanation ?? [];
  if (why.length === 0) return '';
  return `<h3>${escapeXml(EXPLANATION_TITLE)}</h3><ul>${why.map((w) => `<li>${escapeXml(w)}</li>`).join('')}</ul>`;
}

function runSection(id: string, path: string, r: RunResult): Section {
  const spans = scenarioSpans(r);
  const lines = thresholdLines(r, spans);
  const charts: Record<string, ChartOption> = {
    [`${id}-rate`]: runSeriesChart(
      r,
      'Events per second',
      'events/s',
      [
        ['targetRate', 'target'],
        ['eventsPerSecond', 'achieved'],
      ],
      spans,
      lines,
    ),
    [`${id}-latency`]: runSeriesChart(
      r,
      'Flush p95 and event-to-commit p99, per second',
      'ms',
      [
        ['flushP95Ms', 'flush p95'],
        ['eventToCommitP99Ms', 'event-to-commit p99'],
      ],
      spans,
      lines,
    ),
    [`${id}-depth`]: runSeriesChart(
      r,
      'Buffer depth (keys waiting, all partitions)',
      'keys',
      [['bufferDepth', 'buffer depth']],
      spans,
    ),
  };
  const sizes = flushSizeChart(r);
  if (sizes !== null) charts[`${id}-sizes`] = sizes;
  const verdict = r.verdict;
  const note = verdictNote(r);
  const judged = r.metrics.steadyScenario;
  const html = `<h2>Scenario ${escapeXml(r.name)}</h2>${meta(path, r)}
<p>Verdict: <span class="verdict ${verdict.result === 'WRONG RESULTS' ? 'WRONG' : verdict.result}">${verdict.result}</span>${note === '' ? '' : ` (${escapeXml(note)})`} &nbsp; ${escapeXml(keyFigures(r))}${judged === undefined ? '' : `<br>Judged on scenario ${escapeXml(judged)}; the scenarios before it warm up (shaded on the charts).`}${r.metrics.aborted === null ? '' : `<br><span class="fail">Stopped early: ${escapeXml(r.metrics.aborted)}</span>`}</p>
${auditHtml(r)}
<h3>Revisit triggers</h3>${table(
    ['Revisit trigger', 'Measured', 'Limit', 'Fired'],
    verdict.checks.map((c) => [
      `${escapeXml(c.trigger)}${c.read === undefined ? '' : `<br><small>read: ${escapeXml(c.read)}</small>`}`,
      escapeXml(c.measured),
      escapeXml(c.limit),
      c.fired === null
        ? 'not evaluated'
        : c.fired
          ? '<span class="fail">yes</span>'
          : '<span class="ok">no</span>',
    ]),
  )}
${explanationHtml(r)}
<h3>Thresholds</h3>${thresholdsHtml(r)}
${Object.keys(charts)
  .map((k) => `<div class="chart" data-chart="${k}"></div>`)
  .join('\n')}
<h3>Partitions</h3>${table(
    ['Partition', 'Flushes', 'Share', 'Avg rows per flush'],
    r.metrics.partitions.map((p) => [
      String(p.partition),
      p.flushes.toLocaleString('en-US'),
      `${p.sharePercent.toFixed(1)} %`,
      formatFigure(p.avgRows),
    ]),
    [true, true, true, true],
  )}`;
  return { html, charts };
}

function sweepSection(id: string, path: string, r: SweepResult): Section {
  const statements = [...new Set(r.metrics.cells.map((c) => c.statement))];
  const charts: Record<string, ChartOption> = {};
  for (const s of statements) charts[`${id}-wall-${s}`] = sweepTimeChart(r, 'wallMs', s);
  if (r.metrics.cells.some((c) => c.planningMs !== null)) {
    charts[`${id}-planning`] = sweepTimeChart(r, 'planningMs');
    charts[`${id}-execution`] = sweepTimeChart(r, 'executionMs');
  }
  if (r.metrics.cells.some((c) => c.cost !== undefined)) {
    const mode = statements.includes('unprepared') ? 'unprepared' : 'prepared';
    for (const figure of Object.keys(COST_FIGURES) as CostFigure[])
      charts[`${id}-cost-${figure}`] = sweepCostChart(r, figure, mode);
  }
  const variants = [...new Set(r.metrics.cells.map((c) => c.variant))];
  const sizes = [...new Set(r.metrics.cells.map((c) => c.size))].sort((a, b) => a - b);
  const cellRows = sizes.map((size) => [
    size.toLocaleString('en-US'),
    ...variants.map((v) => {
      const c = r.metrics.cells.find(
        (x) => x.variant === v && x.size === size && x.statement === 'unprepared',
      );
      return c === undefined
        ? '-'
        : `${formatFigure(c.wallMs.median)} ms (${formatFigure(c.msPerRow)}/row)`;
    }),
  ]);
  const html = `<h2>Sweep ${escapeXml(r.name)}</h2>${meta(path, r)}
<p>${escapeXml(keyFigures(r))}; ${r.config.players.toLocaleString('en-US')} players x ${r.config.goals} goals, concurrency ${r.config.concurrency}.</p>
${Object.keys(charts)
  .map((k) => `<div class="chart" data-chart="${k}"></div>`)
  .join('\n')}
<h3>Median wall time per batch, unprepared</h3>${table(['Batch size', ...variants], cellRows, [true, ...variants.map(() => true)])}
<h3>Findings</h3><ul>${r.metrics.findings.map((f) => `<li>${escapeXml(f)}</li>`).join('')}</ul>`;
  return { html, charts };
}

function figuresSection(path: string, r: ResultFile): Section {
  const figures = resultFigures(r);
  return {
    html: `<h2>${escapeXml(r.kind)} ${escapeXml(r.name)}</h2>${meta(path, r)}${table(
      ['Figure', 'Value'],
      Object.entries(figures).map(([k, v]) => [escapeXml(k), formatFigure(v)]),
      [false, true],
    )}`,
    charts: {},
  };
}

/**
 * One self-contained HTML page: the ECharts bundle and every chart's data are inlined, so
 * the file opens offline, from a CI artefact or an e-mail. Once the charts are drawn the
 * page sets `data-charts-drawn` on <body> to how many it drew (tests wait for it).
 */
export function renderHtmlReport(input: ReportInput): string {
  const sections: Section[] = input.results.map((entry, i) => {
    const id = `r${i}`;
    const r = entry.result;
    if (r.kind === 'run') return runSection(id, entry.path, r);
    if (r.kind === 'sweep') return sweepSection(id, entry.path, r);
    return figuresSection(entry.path, r);
  });
  const charts = Object.assign({}, ...sections.map((s) => s.charts)) as Record<string, ChartOption>;
  const comparisons =
    input.comparisons.length === 0 && input.comparisonNotes.length === 0
      ? ''
      : `<h2>Compared with earlier runs</h2>${input.comparisonNotes.map((n) => `<p>${escapeXml(n)}</p>`).join('')}${input.comparisons
          .map((c) => `<pre>${escapeXml(formatComparison(c))}</pre>`)
          .join('')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(input.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(input.title)}</h1>
${sections.map((s) => s.html).join('\n')}
${comparisons}
<script>${echartsBundle()}</script>
<script>
const CHARTS = ${scriptJson(charts)};
// Tooltips print numbers as the tables do; a formatter is a function, which JSON cannot carry.
const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const format = (v) => (typeof v === 'number' ? number.format(v) : v);
let drawn = 0;
for (const element of document.querySelectorAll('[data-chart]')) {
  const chart = echarts.init(element, null, { renderer: 'svg' });
  const option = CHARTS[element.dataset.chart];
  if (option.tooltip) option.tooltip.valueFormatter = format;
  chart.setOption(option);
  addEventListener('resize', () => chart.resize());
  drawn += 1;
}
document.body.dataset.chartsDrawn = String(drawn);
</script>
</body></html>
`;
}
