import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { HARNESS_DIR } from '../lib/version.ts';

const execFileAsync = promisify(execFile);

/** What names the working tree, uncommitted changes included, as a side of `harness ab`. */
export const WORKING_TREE = 'WORKTREE';

/**
 * The first commit whose `harness sweep` and `harness run` write results this harness reads
 * (schema version 2): a side older than that cannot take part in a comparison of trials.
 */
const FIRST_CAPABLE_MARKER = {
  file: 'results/schema/result-schema.ts',
  text: 'SCHEMA_VERSION = 2',
};

/** One side of an A/B comparison, ready to run: where its harness is and what it is. */
export interface SideCheckout {
  /** What the user gave: a ref, or WORKTREE. */
  readonly ref: string;
  /** The commit (the working tree's HEAD for WORKTREE). */
  readonly commit: string;
  /** Uncommitted changes are part of it (WORKTREE with a dirty tree). */
  readonly dirty: boolean;
  /** The folder whose `bin/harness.js` runs this side's trials. */
  readonly dir: string;
}

export async function git(args: readonly string[], cwd = HARNESS_DIR): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Where checkouts of commits are kept between runs, with their node_modules: cached by commit. */
function cacheDir(): string {
  return join(
    process.env.HARNESS_AB_CACHE ?? join(homedir(), '.cache', 'flush-harness'),
    'worktrees',
  );
}

export async function resolveCommit(ref: string): Promise<string> {
  try {
    return await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new UsageError(
      `"${ref}" is not a commit of ${HARNESS_DIR}: give a git ref (HEAD, HEAD~3, a branch, a sha) or ${WORKING_TREE} for the working tree as it is`,
    );
  }
}

/** The first commit that can run a side, for the refusal of an older one. */
async function firstCapableCommit(): Promise<string | undefined> {
  const found = await git([
    'log',
    '--reverse',
    '--format=%H',
    `-S${FIRST_CAPABLE_MARKER.text}`,
    '--',
    FIRST_CAPABLE_MARKER.file,
  ]);
  return found.split('\n')[0] || undefined;
}

async function isCapable(commit: string): Promise<boolean> {
  try {
    const text = await git(['show', `${commit}:${FIRST_CAPABLE_MARKER.file}`]);
    return text.includes(FIRST_CAPABLE_MARKER.text);
  } catch {
    return false;
  }
}

function runNpmCi(dir: string, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`npm ci in ${dir} failed (exit ${String(code)}):\n${stderr.slice(-2000)}`),
        );
    });
    log.info(`npm ci in ${dir} (once per commit; cached for later runs)`);
  });
}

/**
 * A side ready to run: WORKTREE is this checkout as it stands; a ref is checked out at its
 * commit into a git worktree of its own under the cache, with its own `npm ci` (the
 * package-lock's hash is kept, so a later run of the same commit reuses both). A commit
 * from before results could be compared is refused with the first commit that can.
 */
export async function checkoutSide(ref: string, log: Logger): Promise<SideCheckout> {
  if (ref === WORKING_TREE) {
    const commit = await git(['rev-parse', 'HEAD']);
    const dirty = (await git(['status', '--porcelain', '--untracked-files=no'])) !== '';
    return { ref, commit, dirty, dir: HARNESS_DIR };
  }
  const commit = await resolveCommit(ref);
  if (!(await isCapable(commit))) {
    const first = await firstCapableCommit();
    throw new UsageError(
      `${ref} (${commit.slice(0, 7)}) is older than the harness's comparable results: its trials could not be read; the first commit that can take part is ${first === undefined ? 'not in this repository' : first.slice(0, 7)}`,
    );
  }
  const dir = join(cacheDir(), commit);
  // A checkout left by another clone whose repository is gone cannot say its own commit
  // (results would record "unknown"): it is made again from this repository.
  const usable =
    existsSync(join(dir, 'bin', 'harness.js')) &&
    (await git(['rev-parse', 'HEAD'], dir).catch(() => '')) === commit;
  if (!usable) {
    await rm(dir, { recursive: true, force: true });
    await git(['worktree', 'prune']);
    await mkdir(cacheDir(), { recursive: true });
    log.info(`checking out ${ref} (${commit.slice(0, 7)}) into ${dir}`);
    await git(['worktree', 'add', '--detach', '--force', dir, commit]);
  }
  const lock = await readFile(join(dir, 'package-lock.json'));
  const stamp = createHash('sha256').update(lock).digest('hex');
  const stampFile = join(dir, 'node_modules', '.harness-ab-lock');
  const installed = existsSync(stampFile) ? (await readFile(stampFile, 'utf8')).trim() : '';
  if (installed !== stamp) {
    await runNpmCi(dir, log);
    await writeFile(stampFile, `${stamp}\n`);
  }
  return { ref, commit, dirty: false, dir };
}
