import { formatFigure } from '../compare/compare-format.ts';
import type { ReportInput } from './report-input.ts';
import { escapeXml } from './html-escape.ts';

/**
 * The thresholds as JUnit XML, the format CI systems (GitLab, Jenkins, GitHub test
 * reporters) display: one test suite per result, one test case per threshold, a <failure>
 * for each that failed. A run's verdict rides along as a suite property.
 */
export function renderJunitXml(input: ReportInput): string {
  const suites = input.results.map(({ path, result: r }) => {
    const failures = r.thresholds.filter((t) => !t.ok).length;
    const properties = [
      ['commit', r.git.commit],
      ['kind', r.kind],
      ['file', path],
      ...(r.kind === 'run' ? [['verdict', r.verdict.result]] : []),
    ]
      .map(
        ([k, v]) => `      <property name="${escapeXml(k ?? '')}" value="${escapeXml(v ?? '')}"/>`,
      )
      .join('\n');
    const cases = r.thresholds
      .map((t) => {
        const name = `${t.metric}: ${t.expression}`;
        const open = `    <testcase classname="${escapeXml(`${r.kind}.${r.name}`)}" name="${escapeXml(name)}">`;
        return t.ok
          ? `${open}</testcase>`
          : `${open}\n      <failure message="${escapeXml(`${t.expression} failed: measured ${formatFigure(t.value)}`)}" type="threshold">${escapeXml(`${t.metric} ${t.expression}: measured ${t.value === null ? 'no samples' : String(t.value)}`)}</failure>\n    </testcase>`;
      })
      .join('\n');
    return `  <testsuite name="${escapeXml(`${r.kind} ${r.name}`)}" tests="${r.thresholds.length}" failures="${failures}" errors="0" skipped="0" timestamp="${escapeXml(r.createdAt)}">
    <properties>
${properties}
    </properties>
${cases}
  </testsuite>`;
  });
  const tests = input.results.reduce((s, e) => s + e.result.thresholds.length, 0);
  const failures = input.results.reduce(
    (s, e) => s + e.result.thresholds.filter((t) => !t.ok).length,
    0,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${escapeXml(input.title)}" tests="${tests}" failures="${failures}">
${suites.join('\n')}
</testsuites>
`;
}
