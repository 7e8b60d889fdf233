import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HARNESS_DIR } from '../lib/version.ts';

// Every link and every file named in the docs must resolve in a clone: a reader who follows
// one to a file that moved, or to a folder only the authors had, loses trust in the rest.

/** Folders the harness fills at run time (git-ignored), named in the docs but absent in a clone. */
const RUNTIME = [
  'results/runs',
  'results/reports',
  'results/ab',
  'results/calibration',
  'results/baselines',
];
const REPO_PATH = /^(?:docs|sut|simulator|scenarios|results|scripts|bin|\.ci)\/[\w./-]*$/;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const inCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set([...inCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

const docs = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'],
  { cwd: HARNESS_DIR, encoding: 'utf8' },
)
  .split('\n')
  .filter((f) => f !== '');

describe('links and file references in the docs', () => {
  it('finds the docs', () => {
    expect(docs).toContain('README.md');
    expect(docs.filter((d) => d.startsWith('docs/')).length).toBeGreaterThan(5);
  });

  it.each(docs)('%s: every relative link and anchor resolves', (doc) => {
    const text = readFileSync(join(HARNESS_DIR, doc), 'utf8');
    const prose = text.replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(HARNESS_DIR, doc) : join(HARNESS_DIR, dirname(doc), path);
      if (!existsSync(file)) {
        broken.push(`${target}: no file ${relative(HARNESS_DIR, file)}`);
        continue;
      }
      if (
        anchor !== undefined &&
        file.endsWith('.md') &&
        !anchors(readFileSync(file, 'utf8')).has(anchor)
      )
        broken.push(`${target}: no heading with anchor #${anchor}`);
    }
    expect(broken).toEqual([]);
  });

  it.each(docs)('%s: every file or folder it names in backticks exists', (doc) => {
    const text = readFileSync(join(HARNESS_DIR, doc), 'utf8');
    const missing = [...text.matchAll(/`([^`\s]+)`/g)]
      .map((m) => (m[1] ?? '').replace(/[.,:;]$/, ''))
      .filter((p) => REPO_PATH.test(p))
      .filter((p) => !RUNTIME.some((r) => p === r || p.startsWith(`${r}/`) || `${p}/` === `${r}/`))
      .filter((p) => !existsSync(join(HARNESS_DIR, p)));
    expect([...new Set(missing)]).toEqual([]);
  });
});
