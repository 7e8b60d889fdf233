import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../lib/errors.ts';
import { parseResultText } from './result-file.ts';
import { resultIdentity } from './result-identity.ts';
import { RESULTS_DIR, RUNS_DIR } from './run-store.ts';
import type { ResultFile } from './schema/result-schema.ts';

export const BASELINES_DIR = join(RESULTS_DIR, 'baselines');

export interface IndexedResult {
  readonly path: string;
  readonly result: ResultFile;
}

export interface UnreadableResult {
  readonly path: string;
  readonly problem: string;
}

export interface ResultIndex {
  /** Oldest first (file names start with the UTC time). */
  readonly results: readonly IndexedResult[];
  readonly unreadable: readonly UnreadableResult[];
}

/** A path relative to the working directory when it is inside it: shorter in every message. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}

/** Every results file in `dir`, read and validated; files that fail are listed apart with why. */
export function indexResults(dir: string = RUNS_DIR): ResultIndex {
  if (!existsSync(dir)) return { results: [], unreadable: [] };
  const results: IndexedResult[] = [];
  const unreadable: UnreadableResult[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const path = displayPath(join(dir, name));
    try {
      results.push({ path, result: parseResultText(readFileSync(path, 'utf8'), path) });
    } catch (error) {
      unreadable.push({ path, problem: (error as Error).message.split('\n')[0] ?? '' });
    }
  }
  return { results, unreadable };
}

/** What a reference must match: the other side of a comparison, say. */
export interface ResultFilter {
  readonly kind?: ResultFile['kind'];
  readonly name?: string;
  /** A run's SQL variant (results/result-identity.ts); results without one never match. */
  readonly variant?: string;
  /** A path not to pick (the other side of a comparison). */
  readonly exclude?: string;
}

function matches(r: IndexedResult, filter: ResultFilter): boolean {
  return (
    (filter.kind === undefined || r.result.kind === filter.kind) &&
    (filter.name === undefined || r.result.name === filter.name) &&
    (filter.variant === undefined || resultIdentity(r.result).variant === filter.variant) &&
    (filter.exclude === undefined || resolve(r.path) !== resolve(filter.exclude))
  );
}

function describeFilter(filter: ResultFilter): string {
  const parts = [
    filter.kind === undefined ? 'result' : `${filter.kind} result`,
    filter.name === undefined ? '' : `named "${filter.name}"`,
    filter.variant === undefined ? '' : `of variant ${filter.variant}`,
  ];
  return parts.filter((p) => p !== '').join(' ');
}

function resolveCommit(ref: string, cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

export interface ResolveOptions {
  readonly runsDir?: string;
  readonly baselinesDir?: string;
  readonly cwd?: string;
}

/**
 * Turns what a user typed into one results file: a path; `latest` (the newest saved run
 * matching the filter); `baseline` (the committed baseline matching it); or a git ref (the
 * newest run saved for that commit). Anything else is a UsageError listing the four forms.
 */
export function resolveResult(
  reference: string,
  filter: ResultFilter = {},
  options: ResolveOptions = {},
): IndexedResult {
  const runsDir = options.runsDir ?? RUNS_DIR;
  const baselinesDir = options.baselinesDir ?? BASELINES_DIR;
  const cwd = options.cwd ?? process.cwd();
  if (existsSync(reference) && statSync(reference).isFile()) {
    return { path: reference, result: parseResultText(readFileSync(reference, 'utf8'), reference) };
  }
  const pick = (dir: string, label: string, extra: (r: IndexedResult) => boolean) => {
    const found = indexResults(dir).results.filter((r) => matches(r, filter) && extra(r));
    const newest = found[found.length - 1];
    if (newest === undefined)
      throw new UsageError(
        `${label}: no saved ${describeFilter(filter)} in ${displayPath(dir)}${filter.exclude === undefined ? '' : ' besides the other side'}`,
      );
    return newest;
  };
  if (reference === 'latest') return pick(runsDir, '"latest"', () => true);
  if (reference === 'baseline') return pick(baselinesDir, '"baseline"', () => true);
  const commit = resolveCommit(reference, cwd);
  if (commit !== undefined)
    return pick(
      runsDir,
      `git ref "${reference}" (${commit.slice(0, 7)})`,
      (r) => r.result.git.commit === commit,
    );
  throw new UsageError(
    `"${reference}" is neither a results file, "latest", "baseline", nor a git ref: give a path to a results JSON, latest, baseline, or a commit such as HEAD~1`,
  );
}

/**
 * Turns a reference into the trials it names: a results file (one); a folder (every result
 * in it, such as an `ab` session's side); `latest` or `baseline` (one); a git ref (every run
 * saved for that commit). Results of several kinds or names are narrowed to the filter's, or
 * else to the newest one's kind and name.
 */
export function resolveTrials(
  reference: string,
  filter: ResultFilter = {},
  options: ResolveOptions = {},
): IndexedResult[] {
  const runsDir = options.runsDir ?? RUNS_DIR;
  const cwd = options.cwd ?? process.cwd();
  const narrow = (found: IndexedResult[], label: string): IndexedResult[] => {
    const matching = found.filter((r) => matches(r, filter));
    const newest = matching[matching.length - 1];
    if (newest === undefined)
      throw new UsageError(`${label}: no saved ${describeFilter(filter)} there`);
    return matching.filter(
      (r) => r.result.kind === newest.result.kind && r.result.name === newest.result.name,
    );
  };
  if (existsSync(reference) && statSync(reference).isDirectory())
    return narrow([...indexResults(reference).results], `folder ${displayPath(reference)}`);
  if (existsSync(reference) || reference === 'latest' || reference === 'baseline')
    return [resolveResult(reference, filter, options)];
  const commit = resolveCommit(reference, cwd);
  if (commit !== undefined)
    return narrow(
      indexResults(runsDir).results.filter((r) => r.result.git.commit === commit),
      `git ref "${reference}" (${commit.slice(0, 7)}) in ${displayPath(runsDir)}`,
    );
  return [resolveResult(reference, filter, options)];
}
