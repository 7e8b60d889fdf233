import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { expectGolden, RESULT_FIXTURES } from '../../scripts/testing/golden.ts';
import { compareResults } from '../compare/compare-results.ts';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import { renderJunitXml } from './junit-xml.ts';
import { renderMarkdownSummary } from './markdown-summary.ts';
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

describe('report outputs, held to golden files', () => {
  it('the Markdown summary of a release check', () => {
    expectGolden(renderMarkdownSummary(releaseCheck, 'report.html'), golden('release-check.md'));
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
});
