import { basename } from 'node:path';
import { formatComparison, formatFigure } from '../compare/compare-format.ts';
import { keyFigures } from '../key-figures.ts';
import type { ResultFile } from '../schema/result-schema.ts';
import type { ReportInput } from './report-input.ts';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function resultSection(path: string, r: ResultFile): string {
  const sha =
    r.git.commit === 'unknown'
      ? 'no git'
      : `${r.git.commit.slice(0, 7)}${r.git.dirty ? '-dirty' : ''}`;
  const lines = [`### ${r.kind} \`${r.name}\` (${sha})`, '', keyFigures(r), ''];
  if (r.kind === 'run') {
    lines.push(
      `**Verdict: ${r.verdict.result}**${r.metrics.aborted === null ? '' : ` (stopped early: ${r.metrics.aborted})`}`,
      '',
      mdTable(
        ['Revisit trigger', 'Measured', 'Limit', 'Fired'],
        r.verdict.checks.map((c) => [
          c.trigger,
          c.measured,
          c.limit,
          c.fired === null ? 'not evaluated' : c.fired ? '**yes**' : 'no',
        ]),
      ),
      '',
    );
  }
  if (r.thresholds.length > 0)
    lines.push(
      mdTable(
        ['Threshold', 'Value', 'Result'],
        r.thresholds.map((t) => [
          `${t.metric}: \`${t.expression}\``,
          formatFigure(t.value),
          t.ok ? 'pass' : '**FAIL**',
        ]),
      ),
      '',
    );
  if (r.kind === 'sweep') {
    const variants = [...new Set(r.metrics.cells.map((c) => c.variant))];
    const sizes = [...new Set(r.metrics.cells.map((c) => c.size))].sort((a, b) => a - b);
    lines.push(
      mdTable(
        ['Rows', ...variants.map((v) => `${v} (ms)`)],
        sizes.map((s) => [
          s.toLocaleString('en-US'),
          ...variants.map((v) =>
            formatFigure(
              r.metrics.cells.find(
                (c) => c.variant === v && c.size === s && c.statement === 'unprepared',
              )?.wallMs.median ?? null,
            ),
          ),
        ]),
      ),
      '',
      ...r.metrics.findings.map((f) => `- ${f}`),
      '',
    );
  }
  lines.push(`<sub>${basename(path)}</sub>`, '');
  return lines.join('\n');
}

/** A summary fit for a pull-request comment: verdict, thresholds, key tables, comparisons. */
export function renderMarkdownSummary(input: ReportInput, htmlPath?: string): string {
  const verdicts = input.results.flatMap((e) =>
    e.result.kind === 'run' ? [e.result.verdict.result] : [],
  );
  const failed = input.results.flatMap((e) => e.result.thresholds.filter((t) => !t.ok));
  const head = [
    `## ${input.title}`,
    '',
    [
      verdicts.length === 0
        ? null
        : `Verdict: **${verdicts.includes('REVISIT') ? 'REVISIT' : 'KEEP'}**`,
      input.results.every((e) => e.result.thresholds.length === 0)
        ? 'no thresholds'
        : failed.length === 0
          ? 'thresholds: all passed'
          : `thresholds: **${failed.length} failed**`,
    ]
      .filter((x) => x !== null)
      .join(' · '),
    '',
  ];
  const comparisons = [
    ...input.comparisonNotes.map((n) => `${n}\n`),
    ...input.comparisons.map(
      (c) =>
        `${c.sidesDiffer === null ? '' : `**${c.kind} ${c.name}: the sides differ: ${c.sidesDiffer}.** The changes compare different setups, not only different commits.\n\n`}<details><summary>${c.kind} ${c.name}: ${c.rows.filter((r) => r.verdict === 'worse').length} worse, ${c.rows.filter((r) => r.verdict === 'better').length} better, ${c.rows.filter((r) => r.verdict === 'untested').length} untested, the rest within noise</summary>\n\n\`\`\`text\n${formatComparison(c)}\`\`\`\n</details>\n`,
    ),
  ];
  return [
    ...head,
    ...input.results.map((e) => resultSection(e.path, e.result)),
    ...(comparisons.length === 0 ? [] : ['### Compared with the previous run', '', ...comparisons]),
    ...(htmlPath === undefined
      ? []
      : [`Full report: \`${htmlPath}\` (in the same folder as this summary)`, '']),
  ].join('\n');
}
