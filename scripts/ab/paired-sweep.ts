import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AA_SUFFIX, BASE_SUFFIX } from '../../sut/sql/variant-registry.ts';
import { parseResultText } from '../../results/result-file.ts';
import type { IndexedResult } from '../../results/run-index.ts';
import type { Logger } from '../../lib/logger.ts';
import { HARNESS_DIR } from '../lib/version.ts';
import { runHarnessIn } from './run-trials.ts';
import { git, resolveCommit, WORKING_TREE } from './side-checkout.ts';

/**
 * A/B of a change that touches only SQL variant files, run as one sweep per trial holding
 * both sides' files: the sweep already rotates its variants round by round, so a base and a
 * head variant meet the same moments of the machine and the noise they share cancels in
 * their ratio (duet benchmarking, Bulej et al. 2020). Since nothing but SQL differs, this
 * checkout's harness runs both sides' statements; no side is checked out or installed.
 */

const VARIANTS = 'sut/sql/variants/';

/** A side as the user named it: its commit, or the working tree as it is. */
export interface PairedSide {
  readonly ref: string;
  readonly commit: string;
}

export async function pairedSide(ref: string): Promise<PairedSide> {
  return {
    ref,
    commit: ref === WORKING_TREE ? await git(['rev-parse', 'HEAD']) : await resolveCommit(ref),
  };
}

/** Files that differ between the sides; the working tree counts its untracked files too. */
async function changedFiles(base: PairedSide, head: PairedSide): Promise<string[]> {
  const tree = base.ref === WORKING_TREE ? head : head.ref === WORKING_TREE ? base : undefined;
  if (base.ref === WORKING_TREE && head.ref === WORKING_TREE) return [];
  if (tree === undefined)
    return (await git(['diff', '--name-only', base.commit, head.commit])).split('\n');
  const tracked = (await git(['diff', '--name-only', tree.commit])).split('\n');
  const untracked = (await git(['ls-files', '--others', '--exclude-standard'])).split('\n');
  return [...tracked, ...untracked];
}

/** The files outside SQL variants that the change touches: none means a paired sweep can run. */
export async function filesBesidesVariants(base: PairedSide, head: PairedSide): Promise<string[]> {
  return (await changedFiles(base, head)).filter(
    (f) => f !== '' && !(f.startsWith(VARIANTS) && f.endsWith('.sql')),
  );
}

async function variantFiles(side: PairedSide): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (side.ref === WORKING_TREE) {
    for (const f of await readdir(join(HARNESS_DIR, VARIANTS)))
      if (f.endsWith('.sql')) files.set(f, await readFile(join(HARNESS_DIR, VARIANTS, f), 'utf8'));
    return files;
  }
  const listed = await git(['ls-tree', '--name-only', side.commit, VARIANTS]);
  for (const path of listed.split('\n').filter((p) => p.endsWith('.sql')))
    files.set(path.slice(VARIANTS.length), await git(['show', `${side.commit}:${path}`]));
  return files;
}

/**
 * The folder each paired trial's sweep reads: the head's variant files under their names and
 * the base's as `<name>_base`, for every variant both sides have; with `aaTwin`, the base's
 * again as `<name>_aa`, an A/A twin from which the session measures its own noise floor.
 */
export async function writePairedVariants(
  base: PairedSide,
  head: PairedSide,
  dir: string,
  options: { aaTwin?: boolean } = {},
): Promise<string[]> {
  const [b, h] = [await variantFiles(base), await variantFiles(head)];
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const [file, sql] of h) {
    const baseSql = b.get(file);
    if (baseSql === undefined) continue;
    const name = file.slice(0, -'.sql'.length);
    await writeFile(join(dir, file), `${sql.trimEnd()}\n`);
    await writeFile(join(dir, `${name}${BASE_SUFFIX}.sql`), `${baseSql.trimEnd()}\n`);
    if (options.aaTwin === true)
      await writeFile(join(dir, `${name}${AA_SUFFIX}.sql`), `${baseSql.trimEnd()}\n`);
    names.push(name);
  }
  return names;
}

/** Runs `trials` paired quick sweeps one after another, each result kept in the session. */
export async function runPairedTrials(options: {
  readonly trials: number;
  readonly variantsDir: string;
  readonly sessionDir: string;
  readonly databaseUrl: string;
  /** Two servers as the sides: the `_base` variants run on this one. */
  readonly baseDatabaseUrl?: string;
  readonly log: Logger;
  /** Batch sizes other than the quick sweep's. */
  readonly sizes?: readonly number[];
  /** Players seeded for each sweep, other than the sweep's default. */
  readonly players?: number;
}): Promise<IndexedResult[]> {
  const dir = join(options.sessionDir, 'paired');
  await mkdir(dir, { recursive: true });
  const out: IndexedResult[] = [];
  for (let i = 1; i <= options.trials; i++) {
    const stem = join(dir, `trial-${String(i).padStart(2, '0')}`);
    const started = performance.now();
    const code = await runHarnessIn(
      HARNESS_DIR,
      // The paired comparison is of round-by-round wall times: cost passes and ceilings
      // would only lengthen every trial.
      [
        'sweep',
        '--quick',
        '--variants-dir',
        options.variantsDir,
        '--cost-ms',
        '0',
        '--ceiling-rows',
        '0',
        ...(options.sizes === undefined ? [] : ['--sizes', options.sizes.join(',')]),
        ...(options.players === undefined ? [] : ['--players', String(options.players)]),
        ...(options.baseDatabaseUrl === undefined
          ? []
          : ['--base-database-url', options.baseDatabaseUrl]),
        '--output',
        `${stem}.json`,
      ],
      {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        HARNESS_RESULTS_DIR: join(dir, 'store'),
      },
      `${stem}.log`,
    );
    if (code !== 0) {
      const tail = (await readFile(`${stem}.log`, 'utf8').catch(() => '')).split('\n').slice(-25);
      throw new Error(
        `paired trial ${i} failed with exit code ${String(code)}; the end of ${stem}.log:\n${tail.join('\n')}`,
      );
    }
    const path = `${stem}.json`;
    out.push({ path, result: parseResultText(await readFile(path, 'utf8'), path) });
    options.log.info(
      `trial ${i}/${options.trials}: paired sweep in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  return out;
}
