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

describe.skipIf(!available)('the HTML report in headless Chromium', () => {
  it('draws every chart offline, with no script error', async () => {
    const html = renderHtmlReport({
      title: 'Release check',
      results: [fixture('sweep-head.json'), fixture('run-head.json')],
      comparisons: [compareResults(fixture('run-base.json'), fixture('run-head.json'))],
      comparisonNotes: [],
    });
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
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
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    await page.close();
  });
});
