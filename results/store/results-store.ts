import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../lib/errors.ts';
import {
  fetchTip,
  git,
  isRace,
  listTree,
  remoteFailure,
  runGit,
  showFile,
  STORE_IDENTITY,
  withScratchRepo,
  type StoreLocation,
} from './git-remote.ts';

/**
 * The results store: a branch of the user's own repository (by default an orphan branch,
 * `flush-harness-results`) holding one file per result. Every change is a new commit on top
 * of the branch that adds files (push) or removes them (prune); none is ever force-pushed, so
 * two runners pushing at once both land: the one that loses the race fetches the new tip,
 * puts its files on top and pushes again.
 */

export const STORE_BRANCH = 'flush-harness-results';
/** The file at the store's root that says what the branch is and which layout it has. */
export const STORE_FORMAT_FILE = 'store.json';
/** The layout this harness reads and writes (docs/ci.md): bump it with a migration. */
export const STORE_VERSION = 1;
const FORMAT_NAME = 'flush-harness-results';

/** Tries at pushing before giving up: each lost race costs one fetch of the branch's tip. */
const PUSH_TRIES = 8;

/** A local file to add under a store path. */
export interface StoreFile {
  readonly storePath: string;
  readonly localPath: string;
}

const formatText = `${JSON.stringify({ format: FORMAT_NAME, version: STORE_VERSION }, null, 2)}\n`;

/** Refuses a branch that is not a store of this layout, by name. */
async function checkFormat(dir: string, tip: string, store: StoreLocation, paths: string[]) {
  if (!paths.includes(STORE_FORMAT_FILE))
    throw new UsageError(
      `branch ${store.branch} of ${store.shown} is not a flush-harness results store (it has no ${STORE_FORMAT_FILE}): name another --branch`,
    );
  let format: { format?: unknown; version?: unknown };
  try {
    format = JSON.parse(await showFile(dir, tip, STORE_FORMAT_FILE, store.env)) as typeof format;
  } catch (error) {
    throw new UsageError(
      `the results store ${store.shown} (branch ${store.branch}) has a ${STORE_FORMAT_FILE} this harness cannot read: ${(error as Error).message}`,
    );
  }
  if (format.format !== FORMAT_NAME || format.version !== STORE_VERSION)
    throw new UsageError(
      `the results store ${store.shown} (branch ${store.branch}) is ${String(format.format)} version ${String(format.version)}; this harness reads and writes ${FORMAT_NAME} version ${STORE_VERSION}: use the harness version that wrote it, or another --branch`,
    );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Puts a new commit on the branch built by `change` from the tip's paths, and pushes it; on
 * a lost race, fetches the new tip and builds again. `change` returns the index lines to
 * apply (`git update-index --index-info`) and the message, or undefined for nothing to do.
 */
async function commitOnTip(
  store: StoreLocation,
  what: string,
  change: (
    dir: string,
    paths: ReadonlySet<string>,
  ) => Promise<{ indexInfo: string; message: string } | undefined>,
): Promise<'pushed' | 'nothing'> {
  return withScratchRepo(async (dir) => {
    const env = {
      ...store.env,
      ...STORE_IDENTITY,
      GIT_INDEX_FILE: join(dir, '.git', 'store-index'),
    };
    for (let attempt = 1; ; attempt++) {
      const tip = await fetchTip(dir, store, what);
      const paths = tip === undefined ? [] : await listTree(dir, tip);
      if (tip !== undefined) await checkFormat(dir, tip, store, paths);
      const planned = await change(dir, new Set(paths));
      if (planned === undefined) return 'nothing';
      if (tip === undefined) await git(['read-tree', '--empty'], { cwd: dir, env });
      else await git(['read-tree', tip], { cwd: dir, env });
      let info = planned.indexInfo;
      if (tip === undefined) {
        const oid = await git(['hash-object', '-w', '--stdin'], { cwd: dir, input: formatText });
        info += `100644 ${oid}\t${STORE_FORMAT_FILE}\n`;
      }
      await git(['update-index', '--index-info'], { cwd: dir, env, input: info });
      const tree = await git(['write-tree'], { cwd: dir, env });
      const commit = await git(
        ['commit-tree', tree, ...(tip === undefined ? [] : ['-p', tip]), '-m', planned.message],
        { cwd: dir, env },
      );
      const pushed = await runGit(
        [
          'push',
          '--quiet',
          'store',
          // Never forced: another runner's push in between makes this one a lost race.
          `${commit}:refs/heads/${store.branch}`,
        ],
        { cwd: dir, env },
      );
      if (pushed.code === 0) return 'pushed';
      if (!isRace(pushed) || attempt >= PUSH_TRIES) throw remoteFailure(what, store.shown, pushed);
      // Another runner pushed first: wait a little (more each time, never in step) and rebuild.
      await sleep(200 * attempt + Math.random() * 800);
    }
  });
}

/**
 * Adds the files the store does not hold yet, one commit; files already there (same path)
 * are left as they are: a result is never rewritten. Returns how many were added.
 */
export async function appendFiles(
  store: StoreLocation,
  files: readonly StoreFile[],
  message: string,
): Promise<{ added: StoreFile[]; present: StoreFile[] }> {
  let added: StoreFile[] = [];
  let present: StoreFile[] = [];
  await commitOnTip(store, 'results push', async (dir, paths) => {
    added = files.filter((f) => !paths.has(f.storePath));
    present = files.filter((f) => paths.has(f.storePath));
    if (added.length === 0) return undefined;
    const oids = (
      await git(['hash-object', '-w', '--stdin-paths'], {
        cwd: dir,
        input: `${added.map((f) => f.localPath).join('\n')}\n`,
      })
    ).split('\n');
    return {
      indexInfo: added.map((f, i) => `100644 ${oids[i] ?? ''}\t${f.storePath}\n`).join(''),
      message: `${message} (${added.length} file${added.length === 1 ? '' : 's'})`,
    };
  });
  if (added.length === 0 && files.length > 0) present = [...files];
  return { added, present };
}

/**
 * Removes the paths `choose` picks from the tip's, one commit (the files stay in the
 * branch's history; a pull fetches only the tip). Returns the removed paths.
 */
export async function removeFiles(
  store: StoreLocation,
  choose: (paths: readonly string[]) => string[],
  message: string,
): Promise<string[]> {
  let removed: string[] = [];
  await commitOnTip(store, 'results prune', (_dir, paths) => {
    removed = choose([...paths].filter((p) => p !== STORE_FORMAT_FILE));
    if (removed.length === 0) return Promise.resolve(undefined);
    return Promise.resolve({
      indexInfo: removed.map((p) => `0 ${'0'.repeat(40)}\t${p}\n`).join(''),
      message: `${message} (${removed.length} file${removed.length === 1 ? '' : 's'})`,
    });
  });
  return removed;
}

/**
 * The text of every file under the folders `folders` (store paths ending in `/`) at the
 * store's tip; only those files are downloaded. Undefined when the store does not exist yet.
 */
export async function readFolders(
  store: StoreLocation,
  folders: readonly string[],
): Promise<Map<string, string> | undefined> {
  return withScratchRepo(async (dir) => {
    const tip = await fetchTip(dir, store, 'results pull');
    if (tip === undefined) return undefined;
    const paths = await listTree(dir, tip);
    await checkFormat(dir, tip, store, paths);
    const wanted = paths.filter((p) => folders.some((f) => p.startsWith(f)));
    const out = new Map<string, string>();
    if (wanted.length === 0) return out;
    // A sparse checkout of just those folders: git downloads their files in one batch.
    await git(['config', 'core.sparseCheckout', 'true'], { cwd: dir });
    await writeFile(
      join(dir, '.git', 'info', 'sparse-checkout'),
      `${folders.map((f) => `/${f}`).join('\n')}\n`,
    );
    const checkedOut = await runGit(['checkout', '--quiet', '--detach', tip], {
      cwd: dir,
      env: store.env,
    });
    if (checkedOut.code !== 0) throw remoteFailure('results pull', store.shown, checkedOut);
    for (const p of wanted)
      if (existsSync(join(dir, p))) out.set(p, await readFile(join(dir, p), 'utf8'));
    return out;
  });
}

/** Every path at the store's tip (trees only), for a listing; undefined when there is no store. */
export async function listStore(store: StoreLocation): Promise<string[] | undefined> {
  return withScratchRepo(async (dir) => {
    const tip = await fetchTip(dir, store, 'results list');
    if (tip === undefined) return undefined;
    const paths = await listTree(dir, tip);
    await checkFormat(dir, tip, store, paths);
    return paths;
  });
}
