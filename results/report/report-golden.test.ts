import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { expectGolden, RESULT_FIXTURES } from '../../scripts/testing/golden.ts';
import { compareResults } from '../compare/compare-results.ts';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import { renderJunitXml } from './junit-xml.ts';
import { renderMarkdownSummary } from './markdown-summary.ts';
import { reportFixture } from './report-fixtures.ts';
import type { ReportInput } from './report-input.ts';

function fixture(name: string): IndexedResult {
  const path = `${RESULT_FIXTURES}/${name}`;
  return { path, result: parseResultText(readFileSync(path, 'utf8'), path) };
}

const golden = (name: string) => `results/report/golden/${name}`;

/** A release check as `npm start` reports it: a sweep and a run, each compared with the previous check. */
const releaseCheck: ReportInput = {
  title: 'release check',
  results: [fixture('sweep-head.json'), fixture('run-head.json')],
  comparisons: [
    compareResults(fixture('sweep-base.json'), fixture('sweep-head.json')),
    compareResults(fixture('run-base.json'), fixture('run-head.json')),
  ],
  comparisonNotes: [],
};

/** One run with nothing earlier to compare with. */
const firstRun: ReportInput = {
  title: 'production',
  results: [fixture('run-base.json')],
  comparisons: [],
  comparisonNotes: ['no earlier run of production on this machine to compare with'],
};

/** A run of `correlated` whose audit failed: lost and doubled increments. */
const wrongResults: ReportInput = {
  title: 'production, correlated',
  results: [reportFixture('run-correlated-wrong.json')],
  comparisons: [],
  comparisonNotes: [],
};

/** The same load on `join`: every audit check passes, the speed verdict stands. */
const keep: ReportInput = {
  title: 'production, join',
  results: [reportFixture('run-join-keep.json')],
  comparisons: [],
  comparisonNotes: [],
};

/** The correlated run as a scenario that names doubled increments in harness.allowWrongResults would record it. */
function withDoubledAllowed(): ReportInput {
  const entry = reportFixture('run-correlated-wrong.json');
  const audit = entry.result.verdict.audit;
  if (audit === undefined) throw new Error(`${entry.path} is expected to hold an audit`);
  return {
    ...wrongResults,
    results: [
      {
        ...entry,
        result: {
          ...entry.result,
          verdict: {
            ...entry.result.verdict,
            audit: {
              ...audit,
              checks: audit.checks.map((c) =>
                c.name === 'doubled_increments' ? { ...c, allowed: true } : c,
              ),
            },
          },
        },
      },
    ],
  };
}

const artifacts = (name: string) => ({ html: `${name}.html`, junit: `${name}.junit.xml` });

describe('report outputs, held to golden files', () => {
  it('the Markdown summary of a release check', () => {
    expectGolden(
      renderMarkdownSummary(releaseCheck, { html: 'report.html', junit: 'report.junit.xml' }),
      golden('release-check.md'),
    );
  });

  it('the Markdown summary of a first run', () => {
    expectGolden(renderMarkdownSummary(firstRun), golden('first-run.md'));
  });

  it('the JUnit XML of a release check', () => {
    expectGolden(renderJunitXml(releaseCheck), golden('release-check.junit.xml'));
  });

  it('the JUnit XML of a first run', () => {
    expectGolden(renderJunitXml(firstRun), golden('first-run.junit.xml'));
  });

  it('the Markdown summary of a run with wrong results: verdict, audit, examples, explanation', () => {
    expectGolden(
      renderMarkdownSummary(wrongResults, artifacts('correlated')),
      golden('wrong-results.md'),
    );
  });

  it('the Markdown summary of a run whose audit passed', () => {
    expectGolden(renderMarkdownSummary(keep, artifacts('join')), golden('keep.md'));
  });

  it('the JUnit XML of a run with wrong results: a failed case per failed audit check', () => {
    expectGolden(renderJunitXml(wrongResults), golden('wrong-results.junit.xml'));
  });

  it('the JUnit XML of a run whose audit passed', () => {
    expectGolden(renderJunitXml(keep), golden('keep.junit.xml'));
  });

  it('the JUnit XML of an allowed audit failure: a passing case that says so', () => {
    expectGolden(renderJunitXml(withDoubledAllowed()), golden('allowed.junit.xml'));
  });
});
