import { execFileSync } from 'node:child_process';

export interface GitInfo {
  readonly commit: string;
  readonly branch: string;
  /** Uncommitted changes to tracked or untracked (not ignored) files. */
  readonly dirty: boolean;
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
}

/** The commit a result belongs to; `unknown` outside a git checkout (a tarball, say). */
export function readGitInfo(cwd = process.cwd()): GitInfo {
  try {
    return {
      commit: git(cwd, ['rev-parse', 'HEAD']),
      branch: git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
      dirty: git(cwd, ['status', '--porcelain']) !== '',
    };
  } catch {
    return { commit: 'unknown', branch: 'unknown', dirty: false };
  }
}
