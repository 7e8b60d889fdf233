import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareResults } from '../compare/compare-results.ts';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import { renderHtmlReport } from './html-report.ts';
import { reportFixture } from './report-fixtures.ts';
import type { ReportInput } from './report-input.ts';

/** Debian's chromium (`apt-get install chromium`); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true')
  throw new Error(`CI=true but no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium`);
if (!available)
  process.stderr.write(
    `skipping the report rendering test: no Chromium at ${CHROMIUM} (install it with \`apt-get install chromium\`, or set CHROMIUM_PATH)\n`,
  );

function fixture(name: string): IndexedResult {
  const path = `results/compare/fixtures/${name}`;
  return { path, result: parseResultText(readFileSync(path, 'utf8'), path) };
}

let browser: Browser;
let dir: string;
beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'harness-report-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // The machine's network is closed: without these Chromium keeps trying Google's hosts.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  if (!available) return;
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the report in Chromium and waits until every chart is drawn; fails on a script error or a request off the page. */
async function openReport(input: ReportInput, name: string) {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, renderHtmlReport(input));
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts-drawn]', { timeout: 20_000 });
  return {
    page,
    /** What a reader sees: the page's rendered text, hidden elements left out. */
    text: await page.locator('body').innerText(),
    done: async () => {
      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      await page.close();
    },
  };
}

const single = (result: IndexedResult): ReportInput => ({
  title: 'production',
  results: [result],
  comparisons: [],
  comparisonNotes: [],
});

describe.skipIf(!available)('the HTML report in headless Chromium', () => {
  it('a run with wrong results: WRONG RESULTS, the failed audit checks and their examples, the explanation', async () => {
    const wrong = reportFixture('run-correlated-wrong.json');
    const { page, text, done } = await openReport(single(wrong), 'wrong');
    expect(await page.locator('.verdict').innerText()).toBe('WRONG RESULTS');
    expect(text).toContain('variant correlated; the speed verdict it hides: KEEP');
    expect(text).toMatch(/Audit of every increment \(variant correlated\)/);
    expect(text).toMatch(
      /lost_increments\s+every acknowledged increment .*\s+25,221 increments on 9,432 rows\s+FAIL/,
    );
    expect(text).toMatch(
      /doubled_increments\s+no row holds .*\s+25,851 increments on 9,266 rows\s+FAIL/,
    );
    expect(text).toMatch(/untouchable_rows_moved\s+.*\s+0 rows\s+pass/);
    expect(text).toMatch(
      /doubled\s+bada9154-3f6e-4ac8-b973-b40a2ffe50e6\s+challenge-02-goal-003\s+exactly 49\s+57/,
    );
    expect(text).toContain('Where the database time goes');
    for (const line of wrong.result.verdict.explanation ?? []) expect(text).toContain(line);
    await done();
  });

  it('a run whose audit passed: KEEP, every check passing, the warm-up shaded, the 500-row line', async () => {
    const keep = reportFixture('run-join-keep.json');
    const { page, text, done } = await openReport(single(keep), 'keep');
    expect(await page.locator('.verdict').innerText()).toBe('KEEP');
    expect(text).not.toContain('WRONG RESULTS');
    expect(
      text.match(/(lost_increments|doubled_increments|untouchable_rows_moved)\s.*\spass/g),
    ).toHaveLength(3);
    expect(text).toContain('Where the database time goes');
    expect(text).toContain('Judged on scenario steady');
    const chartText = async (id: string) =>
      // SVG text has no layout box, so innerText is empty: its text content is what is drawn.
      (await page.locator(`[data-chart="${id}"] svg text`).allTextContents()).join(' | ');
    expect(await chartText('r0-rate')).toMatch(/warmup \(not judged\).*steady \(judged\)/);
    expect(await chartText('r0-latency')).toContain('flush_duration{scenario:steady} p(95)<50');
    expect(await chartText('r0-sizes')).toContain('500 rows: revisit');
    await done();
  });

  it('draws every chart offline, with no script error', async () => {
    const { page, done } = await openReport(
      {
        title: 'Release check',
        results: [fixture('sweep-head.json'), fixture('run-head.json')],
        comparisons: [compareResults(fixture('run-base.json'), fixture('run-head.json'))],
        comparisonNotes: [],
      },
      'report',
    );
    const containers = await page.locator('[data-chart]').count();
    // sweep: wall (unprepared, prepared), planning, execution; run: rate, latency, depth, flush sizes
    expect(containers).toBe(8);
    expect(await page.getAttribute('body', 'data-charts-drawn')).toBe(String(containers));
    for (const container of await page.locator('[data-chart]').all()) {
      const id = (await container.getAttribute('data-chart')) ?? '';
      const box = await container.locator('svg').boundingBox();
      expect(box?.width ?? 0, id).toBeGreaterThan(300);
      expect(await container.locator('svg path').count(), id).toBeGreaterThan(10);
    }
    // The crossover of the sweep and the comparison made it onto the page.
    expect(await page.textContent('body')).toMatch(/cte < correlated from/);
    expect(await page.textContent('body')).toMatch(/flush_duration p\(95\)/);
    await done();
  });
});
