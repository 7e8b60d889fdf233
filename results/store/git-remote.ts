import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnreachableError, UsageError } from '../../lib/errors.ts';

/**
 * Git as the results store talks to it: every command in a temporary repository of its own,
 * so the user's working tree, index and branches are never touched. Git's own transport,
 * credentials and proxies apply, as they do for every other step of a CI job.
 */

/** How long one git command may take before the remote is taken for unreachable. */
const GIT_TIMEOUT_MS = 180_000;

export interface GitOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Runs git; resolves with its output and exit code (never rejects for a non-zero exit). */
export function runGit(
  args: readonly string[],
  options: { cwd: string; input?: string; env?: Record<string, string> },
): Promise<GitOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        maxBuffer: 256 * 1024 * 1024,
        timeout: GIT_TIMEOUT_MS,
        env: {
          ...process.env,
          // A job must fail, not wait for a password nobody will type.
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: process.env.GIT_ASKPASS ?? 'echo',
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number' && error.killed !== true) {
          // git missing or not runnable: no exit code to read.
          reject(new Error(`git could not be run: ${error.message}`));
          return;
        }
        const code =
          error === null ? 0 : error.killed === true ? 124 : (error.code as unknown as number);
        resolvePromise({ stdout, stderr, code });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs git and returns its trimmed output; a failure throws with git's own words. */
export async function git(
  args: readonly string[],
  options: { cwd: string; input?: string; env?: Record<string, string> },
): Promise<string> {
  const out = await runGit(args, options);
  if (out.code !== 0)
    throw new Error(`git ${args.join(' ')} failed (exit ${out.code}): ${out.stderr.trim()}`);
  return out.stdout.trim();
}

const CONFIGURATION =
  /Authentication failed|Permission denied|returned error: 40[0-9]|Repository not found|does not appear to be a git repository|not found|could not read Username|could not read Password|No such file or directory|not a git repository|protocol .* is not supported|Invalid username|access denied|unable to find remote helper/i;
const NETWORK =
  /Could not resolve host|Could not resolve hostname|Connection refused|Connection timed out|Operation timed out|timed out|Network is unreachable|No route to host|Failed to connect|early EOF|hung up unexpectedly|Connection reset|SSL|TLS|unable to access|returned error: 5[0-9][0-9]/i;

/**
 * A failed talk with the remote as the user should read it: exit 2 when the remote as given
 * cannot work (misspelled, no such repository, refused credentials), exit 1 when it could
 * not be reached (the network, the host, a time-out): trying again later may then succeed.
 */
export function remoteFailure(what: string, remote: string, outcome: GitOutcome): Error {
  const lines = outcome.stderr.trim().split('\n').filter(Boolean);
  const said = lines.slice(0, 4).join(' / ');
  if (outcome.code === 124)
    return new UnreachableError(
      `${what}: the results store ${remote} did not answer within ${GIT_TIMEOUT_MS / 1000} s; nothing local was changed or lost`,
    );
  if (CONFIGURATION.test(outcome.stderr))
    return new UsageError(
      `${what}: the results store ${remote} cannot be used as given (git: ${said}); expected a git remote name of this repository or a URL/path of a repository this job may read and push to`,
    );
  if (NETWORK.test(outcome.stderr))
    return new UnreachableError(
      `${what}: the results store ${remote} could not be reached (git: ${said}); nothing local was changed or lost, try again`,
    );
  return new Error(`${what}: git failed talking to ${remote} (exit ${outcome.code}): ${said}`);
}

/** A scratch repository for one store operation, removed afterwards whatever happens. */
export async function withScratchRepo<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'flush-harness-store-'));
  try {
    await git(['init', '--quiet', dir], { cwd: dir });
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Where the store is: the remote as the user gave it and the URL git is pointed at. */
export interface StoreLocation {
  readonly shown: string;
  readonly url: string;
  readonly branch: string;
  /**
   * For a remote named by name: the checkout's own http, credential and url settings (the
   * token actions/checkout leaves there, say), handed to git in the environment so that the
   * scratch repository reaches the remote as the checkout does, and no process list shows them.
   */
  readonly env: Record<string, string>;
}

/** The checkout's settings that say how to reach and authenticate to its remotes. */
async function accessSettings(repoDir: string): Promise<Record<string, string>> {
  const found = await runGit(['config', '--local', '--get-regexp', '^(http|credential|url)\\.'], {
    cwd: repoDir,
  });
  const pairs = found.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(' ');
      return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
    });
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key as string;
    env[`GIT_CONFIG_VALUE_${i}`] = value as string;
  });
  return pairs.length === 0 ? {} : env;
}

/**
 * `origin`, another remote's name, or a URL or path. A name is looked up in the user's
 * repository (read only); anything with a slash or colon is a URL or path.
 */
export async function locateStore(
  remote: string,
  branch: string,
  repoDir: string,
): Promise<StoreLocation> {
  if (!/^[A-Za-z0-9._-]+$/.test(branch) || branch.startsWith('-'))
    throw new UsageError(
      `--branch "${branch}" is not a branch name the store can use: expected letters, digits, ".", "_" or "-"`,
    );
  if (/[/:\\]/.test(remote)) return { shown: remote, url: remote, branch, env: {} };
  const found = await runGit(['remote', 'get-url', remote], { cwd: repoDir });
  if (found.code !== 0)
    throw new UsageError(
      `--remote "${remote}" is not a remote of ${repoDir} (git remote -v lists them): expected a remote name or the URL or path of a git repository`,
    );
  return {
    shown: `${remote} (${found.stdout.trim()})`,
    url: found.stdout.trim(),
    branch,
    env: await accessSettings(repoDir),
  };
}

/**
 * Fetches the store branch's newest commit into `dir` (only that commit; trees and, where
 * the server allows it, no file contents until they are needed). Undefined when the remote
 * has no such branch yet.
 */
export async function fetchTip(
  dir: string,
  store: StoreLocation,
  what: string,
): Promise<string | undefined> {
  await git(['config', 'remote.store.url', store.url], { cwd: dir });
  await git(['config', 'remote.store.promisor', 'true'], { cwd: dir });
  await git(['config', 'remote.store.partialclonefilter', 'blob:none'], { cwd: dir });
  await git(['config', 'extensions.partialClone', 'store'], { cwd: dir });
  await git(['config', 'core.repositoryformatversion', '1'], { cwd: dir });
  const listed = await runGit(['ls-remote', '--heads', 'store', `refs/heads/${store.branch}`], {
    cwd: dir,
    env: store.env,
  });
  if (listed.code !== 0) throw remoteFailure(what, store.shown, listed);
  if (listed.stdout.trim() === '') return undefined;
  const fetched = await runGit(
    [
      'fetch',
      '--quiet',
      '--no-tags',
      '--depth',
      '1',
      '--filter=blob:none',
      'store',
      `+refs/heads/${store.branch}:refs/remotes/store/tip`,
    ],
    { cwd: dir, env: store.env },
  );
  if (fetched.code !== 0) throw remoteFailure(what, store.shown, fetched);
  return git(['rev-parse', 'refs/remotes/store/tip'], { cwd: dir });
}

/** Every file path in a commit's tree (trees only: no file is downloaded). */
export async function listTree(dir: string, commit: string): Promise<string[]> {
  const out = await git(['ls-tree', '-r', '--name-only', '-z', commit], { cwd: dir });
  return out.split('\0').filter(Boolean);
}

/** One file's text at a commit (downloaded on demand from a partial fetch). */
export const showFile = (
  dir: string,
  commit: string,
  path: string,
  env: Record<string, string> = {},
): Promise<string> => git(['show', `${commit}:${path}`], { cwd: dir, env });

/** Whether a push was turned down because the branch moved meanwhile (another runner pushed). */
export const isRace = (o: GitOutcome): boolean =>
  /non-fast-forward|fetch first|rejected|stale info|cannot lock ref|failed to update ref|incorrect old value/i.test(
    o.stderr,
  );

/** The author of store commits: flush-harness, unless the GIT_AUTHOR_* and GIT_COMMITTER_* variables say otherwise. */
export const STORE_IDENTITY = {
  GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'flush-harness',
  GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'flush-harness@localhost',
  GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'flush-harness',
  GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'flush-harness@localhost',
};
