import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../../lib/errors.ts';
import { calibrationSchema } from '../compare/calibration.ts';
import { savedPairedSessionDirs } from '../compare/session-effects.ts';
import { machineKindKey, memoryGiB } from '../machine-kind.ts';
import { parseResultText } from '../result-file.ts';
import { indexResults } from '../run-index.ts';
import { migrateResult } from '../schema/migrate-result.ts';
import { SCHEMA_VERSION } from '../schema/result-schema.ts';
import type { StoreFile } from './results-store.ts';

/**
 * Where each kind of file lives in the results store, and in the local results folder:
 *
 *   runs/<commit>/<result file>            every result of a commit (pulled by commit)
 *   kinds/<machine kind>/calibration/...   calibrations of that kind of machine
 *   kinds/<machine kind>/sessions/<s>/...  paired sessions (their trials and SQL), from which
 *                                          the between-session spread of the kind is measured
 *
 * A comparison needs the base commit's results and its machine kind's calibrations: each is
 * one folder, so a pull downloads those and nothing else.
 */

export const runsFolder = (commit: string): string => `runs/${commit}/`;
export const kindFolder = (kindKey: string): string => `kinds/${kindKey}/`;

/** What a push would add, and what it leaves out and why. */
export interface Pushable {
  readonly files: StoreFile[];
  readonly results: number;
  readonly calibrations: number;
  readonly sessions: number;
  readonly skipped: string[];
}

const listJson = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .sort()
    : [];

/** Every file of the local results folder that belongs in the store. */
export function collectPushable(resultsDir: string): Pushable {
  const files: StoreFile[] = [];
  const skipped: string[] = [];
  const index = indexResults(join(resultsDir, 'runs'));
  let results = 0;
  for (const r of index.results) {
    const { commit, dirty } = r.result.git;
    if (commit === 'unknown' || dirty) {
      skipped.push(
        `${basename(r.path)}: ${commit === 'unknown' ? 'not made from a git commit' : 'made with uncommitted changes'}, so no commit's result`,
      );
      continue;
    }
    files.push({
      storePath: `${runsFolder(commit)}${basename(r.path)}`,
      localPath: resolve(r.path),
    });
    results++;
  }
  for (const u of index.unreadable) skipped.push(`${basename(u.path)}: unreadable (${u.problem})`);
  let calibrations = 0;
  const calibrationDir = join(resultsDir, 'calibration');
  for (const name of listJson(calibrationDir)) {
    const path = join(calibrationDir, name);
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      skipped.push(`${name}: unreadable (${(error as Error).message})`);
      continue;
    }
    const parsed = calibrationSchema.safeParse(doc);
    if (!parsed.success) {
      skipped.push(`${name}: not a calibration this harness reads`);
      continue;
    }
    files.push({
      storePath: `${kindFolder(machineKindKey(parsed.data.machine))}calibration/${name}`,
      localPath: path,
    });
    calibrations++;
  }
  let sessions = 0;
  for (const dir of savedPairedSessionDirs(resultsDir)) {
    const trials = readdirSync(join(dir, 'paired'))
      .filter((n) => /^trial-\d+\.json$/.test(n))
      .sort();
    const first = trials[0];
    if (first === undefined) continue;
    const path = join(dir, 'paired', first);
    let trial;
    try {
      trial = parseResultText(readFileSync(path, 'utf8'), path);
    } catch (error) {
      skipped.push(
        `${basename(dir)}: unreadable (${(error as Error).message.split('\n')[0] ?? ''})`,
      );
      continue;
    }
    if (trial.kind !== 'sweep') continue;
    const key = machineKindKey({
      cpuModel: trial.env.cpu.model,
      cores: trial.env.cpu.count,
      memoryGiB: trial.env.memoryGiB ?? memoryGiB(),
    });
    const folder = `${kindFolder(key)}sessions/${basename(dir)}/`;
    for (const t of trials)
      files.push({ storePath: `${folder}paired/${t}`, localPath: join(dir, 'paired', t) });
    for (const v of readdirSync(join(dir, 'variants')).filter((n) => n.endsWith('.sql')))
      files.push({ storePath: `${folder}variants/${v}`, localPath: join(dir, 'variants', v) });
    sessions++;
  }
  return { files, results, calibrations, sessions, skipped };
}

/** Where a store file goes in the local results folder; undefined for one of no known kind. */
export function localPathOf(storePath: string, resultsDir: string): string | undefined {
  // Names that start with a letter or digit only: nothing from a store lands outside resultsDir.
  const run = /^runs\/[0-9a-f]{40}\/(\w[\w.-]*\.json)$/.exec(storePath);
  if (run !== null) return join(resultsDir, 'runs', run[1] as string);
  const calibration = /^kinds\/[^/]+\/calibration\/(\w[\w.-]*\.json)$/.exec(storePath);
  if (calibration !== null) return join(resultsDir, 'calibration', calibration[1] as string);
  const session = /^kinds\/[^/]+\/sessions\/(\w[\w.-]*)\/((?:paired|variants)\/\w[\w.-]*)$/.exec(
    storePath,
  );
  if (session !== null) return join(resultsDir, 'ab', session[1] as string, session[2] as string);
  return undefined;
}

/**
 * A pulled file's text as this harness saves it: results of an older schema version migrated,
 * calibrations checked; a file of a newer or unknown version is refused, by name.
 */
export function acceptPulled(storePath: string, text: string): { text: string; migrated: boolean } {
  if (!storePath.endsWith('.json')) return { text, migrated: false };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${storePath} in the store is not JSON: ${(error as Error).message}`);
  }
  if (storePath.includes('/calibration/')) {
    const parsed = calibrationSchema.safeParse(doc);
    if (!parsed.success)
      throw new UsageError(
        `${storePath} in the store is not a calibration this harness reads (schema version ${String(doc.schemaVersion)}; this harness reads 1)`,
      );
    return { text, migrated: false };
  }
  const version = doc.schemaVersion;
  if (typeof version === 'number' && version > SCHEMA_VERSION)
    throw new UsageError(
      `${storePath} in the store is a result of schema version ${version}; this harness reads up to ${SCHEMA_VERSION}: use a newer harness`,
    );
  if (version === SCHEMA_VERSION) {
    parseResultText(text, storePath);
    return { text, migrated: false };
  }
  const migrated = `${JSON.stringify(migrateResult(doc), null, 2)}\n`;
  parseResultText(migrated, storePath);
  return { text: migrated, migrated: true };
}

/** `20261207T195100Z` at the start of a name, as a time; undefined when it has none. */
export function timeOfName(name: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

/**
 * The paths a prune removes: the store's entries grouped (a commit's results, a paired
 * session, a calibration), each group timed by the newest name in it, and per category (runs;
 * each kind's sessions; each kind's calibrations) the groups beyond the newest `keep`, or
 * older than `olderThanDays`. A group with no time in its names is kept.
 */
export function prunePlan(
  paths: readonly string[],
  rule: { keep?: number; olderThanDays?: number },
  now = Date.now(),
): string[] {
  const groups = new Map<string, { category: string; time: number; paths: string[] }>();
  for (const p of paths) {
    const parts = p.split('/');
    let category: string;
    let group: string;
    let named: string;
    if (parts[0] === 'runs' && parts.length === 3) {
      category = 'runs';
      group = parts.slice(0, 2).join('/');
      named = parts[2] as string;
    } else if (parts[0] === 'kinds' && parts[2] === 'sessions' && parts.length >= 5) {
      category = parts.slice(0, 3).join('/');
      group = parts.slice(0, 4).join('/');
      named = parts[3] as string;
    } else if (parts[0] === 'kinds' && parts[2] === 'calibration' && parts.length === 4) {
      category = parts.slice(0, 3).join('/');
      group = p;
      named = parts[3] as string;
    } else continue;
    const time = timeOfName(named);
    if (time === undefined) continue;
    const g = groups.get(group) ?? { category, time, paths: [] };
    g.time = Math.max(g.time, time);
    g.paths.push(p);
    groups.set(group, g);
  }
  const byCategory = new Map<string, { time: number; paths: string[] }[]>();
  for (const g of groups.values())
    byCategory.set(g.category, [...(byCategory.get(g.category) ?? []), g]);
  const removed: string[] = [];
  for (const list of byCategory.values()) {
    list.sort((a, b) => b.time - a.time);
    list.forEach((g, i) => {
      const beyondKeep = rule.keep !== undefined && i >= rule.keep;
      const tooOld =
        rule.olderThanDays !== undefined && g.time < now - rule.olderThanDays * 86_400_000;
      if (beyondKeep || tooOld) removed.push(...g.paths);
    });
  }
  return removed.sort();
}
