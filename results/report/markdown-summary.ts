import { formatUpTo } from '../../lib/format.ts';
import { basename } from 'node:path';
import { formatComparison, formatFigure } from '../compare/compare-format.ts';
import { keyFigures } from '../key-figures.ts';
import type { ResultFile, RunResult } from '../schema/result-schema.ts';
import type { ReportInput } from './report-input.ts';
import {
  AUDIT_ABSENT,
  checkCount,
  checkStatus,
  EXPLANATION_TITLE,
  overallVerdict,
  STATUS_WORDS,
  verdictNote,
} from './verdict-parts.ts';

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

/** The audit as its own table, failed checks first in the reader's eye through FAIL in bold. */
function auditLines(r: RunResult): string[] {
  const audit = r.verdict.audit;
  if (audit === undefined) return [`Audit: ${AUDIT_ABSENT}`, ''];
  const lines = audit.meaning === undefined ? [] : [`${audit.meaning}.`, ''];
  lines.push(
    mdTable(
      ['Audit check', 'What it holds', 'Found', 'Result'],
      audit.checks.map((c) => {
        const status = checkStatus(c);
        return [
          `\`${c.name}\``,
          c.description,
          checkCount(c),
          status === 'FAIL' ? '**FAIL**' : STATUS_WORDS[status],
        ];
      }),
    ),
    '',
  );
  if (audit.examples.length > 0)
    lines.push(
      `Examples (variant ${audit.variant}):`,
      '',
      mdTable(
        ['Kind', 'Player', 'Goal', 'Expected', 'Found'],
        audit.examples.map((x) => [x.kind, x.player, x.goal, x.expected, formatUpTo(x.found)]),
      ),
      '',
    );
  return lines;
}

function explanationLines(r: RunResult): string[] {
  const why = r.verdict.explanation ?? [];
  if (why.length === 0) return [];
  return [`${EXPLANATION_TITLE}:`, '', ...why.map((w) => `- ${w}`), ''];
}

function resultSection(path: string, r: ResultFile): string {
  const sha =
    r.git.commit === 'unknown'
      ? 'no git'
      : `${r.git.commit.slice(0, 7)}${r.git.dirty ? '-dirty' : ''}`;
  const lines = [`### ${r.kind} \`${r.name}\` (${sha})`, '', keyFigures(r), ''];
  if (r.kind === 'run') {
    const note = verdictNote(r);
    lines.push(
      `**Verdict: ${r.verdict.result}**${note === '' ? '' : ` (${note})`}${r.metrics.aborted === null ? '' : ` (stopped early: ${r.metrics.aborted})`}`,
      '',
      ...auditLines(r),
      mdTable(
        ['Revisit trigger', 'Measured', 'Limit', 'Fired'],
        r.verdict.checks.map((c) => [
          c.read === undefined ? c.trigger : `${c.trigger} (read: ${c.read})`,
          c.measured,
          c.limit,
          c.fired === null ? 'not evaluated' : c.fired ? '**yes**' : 'no',
        ]),
      ),
      '',
      ...explanationLines(r),
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

/** The audit in the headline: failed checks of every run, or that every check passed. */
function auditHeadline(input: ReportInput): string | null {
  const audits = input.results.flatMap((e) =>
    e.result.kind === 'run' && e.result.verdict.audit !== undefined ? [e.result.verdict.audit] : [],
  );
  if (audits.length === 0) return null;
  const failed = audits.flatMap((a) => a.checks.filter((c) => !c.ok));
  if (failed.length === 0) return 'audit: every check passed';
  return `audit: **${failed.map((c) => `${c.name}${c.allowed ? ' (allowed)' : ''}`).join(', ')} failed**`;
}

/** The files written beside the summary, by name: a pull-request comment cannot link to them. */
export interface ReportArtifacts {
  readonly html: string;
  readonly junit: string;
}

/**
 * A summary fit for a pull-request comment: verdict, audit, thresholds, key tables,
 * comparisons. It stands alone: the files beside it are named as artifacts, never linked.
 */
export function renderMarkdownSummary(input: ReportInput, artifacts?: ReportArtifacts): string {
  const verdict = overallVerdict(input.results.map((e) => e.result));
  const failed = input.results.flatMap((e) => e.result.thresholds.filter((t) => !t.ok));
  const head = [
    `## ${input.title}`,
    '',
    [
      verdict === null ? null : `Verdict: **${verdict}**`,
      auditHeadline(input),
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
    ...(artifacts === undefined
      ? []
      : [
          `Artifacts: \`${artifacts.html}\` (HTML report: charts, audit, thresholds), \`${artifacts.junit}\` (JUnit XML: thresholds and audit checks)`,
          '',
        ]),
  ].join('\n');
}
