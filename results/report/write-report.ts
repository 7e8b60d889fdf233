import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { displayPath } from '../run-index.ts';
import { RESULTS_DIR } from '../run-store.ts';
import { renderHtmlReport } from './html-report.ts';
import { renderJunitXml } from './junit-xml.ts';
import { renderMarkdownSummary } from './markdown-summary.ts';
import type { ReportInput } from './report-input.ts';

export const REPORTS_DIR = join(RESULTS_DIR, 'reports');

export interface WrittenReport {
  readonly html: string;
  readonly markdown: string;
  readonly junit: string;
}

/** Writes `<name>.html`, `<name>.md` and `<name>.junit.xml` into `dir`. */
export async function writeReport(
  input: ReportInput,
  name: string,
  dir: string = REPORTS_DIR,
): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const paths = {
    html: join(dir, `${name}.html`),
    markdown: join(dir, `${name}.md`),
    junit: join(dir, `${name}.junit.xml`),
  };
  await writeFile(paths.html, renderHtmlReport(input));
  // The summary travels (a pull-request comment): it names the files beside it as the CI
  // artifacts they become, never by a path or link of this machine.
  await writeFile(
    paths.markdown,
    renderMarkdownSummary(input, { html: basename(paths.html), junit: basename(paths.junit) }),
  );
  await writeFile(paths.junit, renderJunitXml(input));
  return {
    html: displayPath(paths.html),
    markdown: displayPath(paths.markdown),
    junit: displayPath(paths.junit),
  };
}
