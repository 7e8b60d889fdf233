import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GitInfo } from './git-info.ts';

/**
 * Where saved runs, baselines and reports live: `results/` of the checkout, or
 * HARNESS_RESULTS_DIR (a shared disk on a CI runner, a scratch directory in tests).
 */
export const RESULTS_DIR = resolve(
  process.env.HARNESS_RESULTS_DIR ?? fileURLToPath(new URL('.', import.meta.url)),
);
export const RUNS_DIR = join(RESULTS_DIR, 'runs');

/** `20261128T120000Z`: sortable, and safe in file names on every OS. */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** `results/runs/<UTC time>_<short sha>[-dirty]_<name>.json` (docs/contracts.md). */
export function runFileName(createdAt: Date, git: GitInfo, name: string): string {
  const sha = git.commit === 'unknown' ? 'nogit' : git.commit.slice(0, 7);
  return `${compactUtc(createdAt)}_${sha}${git.dirty ? '-dirty' : ''}_${name.replace(/[^A-Za-z0-9._-]/g, '-')}.json`;
}

/** Writes a result and returns its path relative to the working directory when inside it. */
export async function saveResult(result: unknown, path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
