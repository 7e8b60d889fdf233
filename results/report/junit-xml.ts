import { formatUpTo } from '../../lib/format.ts';
import { formatFigure } from '../compare/compare-format.ts';
import type { ResultFile, VerdictAudit } from '../schema/result-schema.ts';
import type { ReportInput } from './report-input.ts';
import { escapeXml } from './html-escape.ts';
import { checkCount, checkStatus } from './verdict-parts.ts';

interface TestCase {
  readonly name: string;
  readonly classname: string;
  /** A failure as CI shows it: a one-line message and the detail. */
  readonly failure?: { readonly type: string; readonly message: string; readonly detail: string };
  readonly systemOut?: string;
}

function thresholdCases(r: ResultFile): TestCase[] {
  return r.thresholds.map((t) => ({
    name: `${t.metric}: ${t.expression}`,
    classname: `${r.kind}.${r.name}`,
    ...(t.ok
      ? {}
      : {
          failure: {
            type: 'threshold',
            message: `${t.expression} failed: measured ${formatFigure(t.value)}`,
            detail: `${t.metric} ${t.expression}: measured ${t.value === null ? 'no samples' : String(t.value)}`,
          },
        }),
  }));
}

const EXAMPLE_KIND: Record<VerdictAudit['checks'][number]['name'], 'lost' | 'doubled' | null> = {
  lost_increments: 'lost',
  doubled_increments: 'doubled',
  untouchable_rows_moved: null,
};

/**
 * One case per audit check. A check the scenario allows by name (it breaks that guarantee on
 * purpose) passes, as the run does, and says in its output that it failed and was allowed:
 * marking it skipped would say it never ran.
 */
function auditCases(r: ResultFile, audit: VerdictAudit): TestCase[] {
  return audit.checks.map((c) => {
    const kind = EXAMPLE_KIND[c.name];
    const examples = audit.examples
      .filter((x) => x.kind === kind)
      .map(
        (x) =>
          `  ${x.kind}: player ${x.player}, goal ${x.goal}: expected ${x.expected}, found ${formatUpTo(x.found)}`,
      );
    const detail = [
      `${c.name}: ${c.description}; found ${checkCount(c)} (variant ${audit.variant})`,
      ...(examples.length === 0 ? [] : ['examples:', ...examples]),
      ...(audit.meaning === undefined ? [] : [audit.meaning]),
    ].join('\n');
    const base = {
      name: `audit ${c.name}: ${c.description}`,
      classname: `${r.kind}.${r.name}.audit`,
    };
    switch (checkStatus(c)) {
      case 'pass':
        return base;
      case 'allowed':
        return {
          ...base,
          systemOut: `failed, allowed by the scenario (harness.allowWrongResults): ${detail}`,
        };
      case 'FAIL':
        return {
          ...base,
          failure: {
            type: 'audit',
            message: `${c.name}: ${checkCount(c)} (variant ${audit.variant})`,
            detail,
          },
        };
    }
  });
}

function caseXml(c: TestCase): string {
  const open = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}">`;
  const body = [
    ...(c.failure === undefined
      ? []
      : [
          `      <failure message="${escapeXml(c.failure.message)}" type="${c.failure.type}">${escapeXml(c.failure.detail)}</failure>`,
        ]),
    ...(c.systemOut === undefined
      ? []
      : [`      <system-out>${escapeXml(c.systemOut)}</system-out>`]),
  ];
  return body.length === 0 ? `${open}</testcase>` : `${open}\n${body.join('\n')}\n    </testcase>`;
}

/**
 * The thresholds and the audit as JUnit XML, the format CI systems (GitLab, Jenkins, GitHub
 * test reporters) display: one test suite per result, one test case per threshold and per
 * audit check, a <failure> for each that failed. A run's verdict rides along as a suite
 * property, and so does an audit's absence in results from before it was recorded.
 */
export function renderJunitXml(input: ReportInput): string {
  const suites = input.results.map(({ path, result: r }) => {
    const audit = r.kind === 'run' ? r.verdict.audit : undefined;
    const cases = [...thresholdCases(r), ...(audit === undefined ? [] : auditCases(r, audit))];
    const properties = [
      ['commit', r.git.commit],
      ['kind', r.kind],
      ['file', path],
      ...(r.kind === 'run' ? [['verdict', r.verdict.result]] : []),
      ...(r.kind === 'run' && audit === undefined
        ? [['audit', 'absent: saved before the audit checks were recorded']]
        : []),
    ]
      .map(
        ([k, v]) => `      <property name="${escapeXml(k ?? '')}" value="${escapeXml(v ?? '')}"/>`,
      )
      .join('\n');
    return {
      cases,
      xml: `  <testsuite name="${escapeXml(`${r.kind} ${r.name}`)}" tests="${cases.length}" failures="${cases.filter((c) => c.failure !== undefined).length}" errors="0" skipped="0" timestamp="${escapeXml(r.createdAt)}">
    <properties>
${properties}
    </properties>
${cases.map(caseXml).join('\n')}
  </testsuite>`,
    };
  });
  const all = suites.flatMap((s) => s.cases);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${escapeXml(input.title)}" tests="${all.length}" failures="${all.filter((c) => c.failure !== undefined).length}">
${suites.map((s) => s.xml).join('\n')}
</testsuites>
`;
}
