import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineKindKey, thisMachineKind } from '../../results/machine-kind.ts';
import { runHarness } from '../testing/run-harness.ts';

// Runners that share nothing but a bare git repository: each has a results folder of its
// own (HARNESS_RESULTS_DIR), and the store is a branch of that repository.
const FIXTURES = fileURLToPath(new URL('../../results/compare/fixtures/', import.meta.url));
const BRANCH = 'flush-harness-results';
let dir: string;
let remote: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'harness-store-'));
  remote = join(dir, 'remote.git');
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** A runner's results folder holding a committed sweep result of `commit`, made at `time`. */
function runner(name: string, commit: string, time: string): string {
  const results = join(dir, name);
  mkdirSync(join(results, 'runs'), { recursive: true });
  const doc = JSON.parse(readFileSync(join(FIXTURES, 'sweep-base.json'), 'utf8')) as {
    createdAt: string;
    git: { commit: string; dirty: boolean };
  };
  doc.createdAt = time;
  doc.git = { ...doc.git, commit, dirty: false };
  const stamp = time.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  writeFileSync(
    join(results, 'runs', `${stamp}_${commit.slice(0, 7)}_sweep-quick.json`),
    `${JSON.stringify(doc, null, 2)}\n`,
  );
  return results;
}

function calibration(results: string, cpuModel: string, stamp: string): string {
  const folder = join(results, 'calibration');
  mkdirSync(folder, { recursive: true });
  const name = `${stamp}_sweep-sweep-quick-paired.json`;
  writeFileSync(
    join(folder, name),
    `${JSON.stringify({
      schemaVersion: 1,
      createdAt: '2026-12-01T00:00:00.000Z',
      machine: {
        hostname: `runner-${cpuModel.length}`,
        cpuModel,
        cores: cpus().length,
        memoryGiB: thisMachineKind().memoryGiB,
      },
      commit: 'a'.repeat(40),
      kind: 'sweep',
      name: 'sweep-quick-paired',
      trialsRun: 12,
      levels: [],
      recommendedTrials: null,
    })}\n`,
  );
  return name;
}

const harness = (results: string, ...args: string[]) =>
  runHarness(['results', ...args, '--remote', remote], { HARNESS_RESULTS_DIR: results });

const COMMIT_A = '1'.repeat(40);
const COMMIT_B = '2'.repeat(40);

describe('the results store on a git branch', () => {
  it('keeps what one runner pushed for another that starts from nothing, by commit and by machine kind', async () => {
    const first = runner('first', COMMIT_A, '2026-12-01T10:00:00.000Z');
    const mine = calibration(first, thisMachineKind().cpuModel, '20261201T100000Z');
    calibration(first, 'Another CPU 9000', '20261201T100001Z');
    const pushed = await harness(first, 'push');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(
      /results push: 3 files added to .*remote\.git, branch flush-harness-results, 0 files already there/,
    );
    const paths = git(remote, 'ls-tree', '-r', '--name-only', BRANCH).split('\n');
    expect(paths).toContain('store.json');
    expect(paths).toContain(`runs/${COMMIT_A}/20261201T100000Z_1111111_sweep-quick.json`);
    expect(paths).toContain(`kinds/${machineKindKey(thisMachineKind())}/calibration/${mine}`);

    // Pushed again, nothing changes: a result in the store is never rewritten.
    const again = await harness(first, 'push');
    expect(again.stdout).toMatch(/0 files added .* 3 files already there/);
    expect(git(remote, 'rev-list', '--count', BRANCH)).toBe('1');

    const second = join(dir, 'second');
    const pulled = await harness(second, 'pull', '--for', COMMIT_A, '--calibration');
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(
      /1 result of 1{40} \(1111111\); 1 calibration and 0 paired sessions of this machine kind/,
    );
    expect(readdirSync(join(second, 'runs'))).toEqual([
      '20261201T100000Z_1111111_sweep-quick.json',
    ]);
    // Only this machine kind's calibration: the other kind's stays in the store.
    expect(readdirSync(join(second, 'calibration'))).toEqual([mine]);
  });

  it('lands every push of runners pushing at once, one commit each on top of the other', async () => {
    const runners = ['r1', 'r2', 'r3', 'r4'].map((name, i) =>
      runner(name, String(i + 3).repeat(40), `2026-12-02T1${i}:00:00.000Z`),
    );
    const before = Number(git(remote, 'rev-list', '--count', BRANCH));
    const outcomes = await Promise.all(runners.map((r) => harness(r, 'push')));
    for (const o of outcomes) expect(o.code, o.stderr).toBe(0);
    expect(Number(git(remote, 'rev-list', '--count', BRANCH))).toBe(before + 4);
    const paths = git(remote, 'ls-tree', '-r', '--name-only', BRANCH);
    for (let i = 0; i < 4; i++) expect(paths).toContain(`runs/${String(i + 3).repeat(40)}/`);
  });

  it('prunes all but the newest commits in a new commit; the history keeps them', async () => {
    const r = runner('pruner', COMMIT_B, '2026-12-03T10:00:00.000Z');
    expect((await harness(r, 'push')).code).toBe(0);
    const pruned = await harness(r, 'prune', '--keep', '2');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/results prune: 4 files removed .* \(4 commits' results/);
    const runs = git(remote, 'ls-tree', '--name-only', `${BRANCH}:runs`).split('\n');
    expect(runs).toEqual([String(6).repeat(40), COMMIT_B].sort());
    expect(git(remote, 'log', '--format=%s', '-1', BRANCH)).toMatch(/^prune all but the newest 2/);
    const none = await harness(r, 'prune', '--older-than', '3650');
    expect(none.stdout).toMatch(/nothing to remove/);
  });

  it('migrates a result of an older schema version on pull, and refuses a newer one by name, writing nothing', async () => {
    // Written into the store as another harness version would have: a plain commit on the branch.
    const work = join(dir, 'writer');
    git(dir, 'clone', '--quiet', '--branch', BRANCH, remote, work);
    const c = '7'.repeat(40);
    mkdirSync(join(work, 'runs', c), { recursive: true });
    writeFileSync(
      join(work, 'runs', c, '20261128T135915Z_7777777_sweep-quick.json'),
      readFileSync(join(FIXTURES, 'sweep-v1.json'), 'utf8'),
    );
    git(work, 'add', '.');
    git(work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'v1 result');
    git(work, 'push', '--quiet', 'origin', BRANCH);
    const reader = join(dir, 'reader');
    const pulled = await harness(reader, 'pull', '--for', c);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/1 file written to .* \(1 migrated to this schema version\)/);
    const migrated = JSON.parse(
      readFileSync(join(reader, 'runs', '20261128T135915Z_7777777_sweep-quick.json'), 'utf8'),
    ) as { schemaVersion: number };
    expect(migrated.schemaVersion).toBe(2);

    const future = JSON.parse(readFileSync(join(FIXTURES, 'sweep-base.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    future.schemaVersion = 99;
    writeFileSync(
      join(work, 'runs', c, '20261129T000000Z_7777777_sweep-quick.json'),
      JSON.stringify(future),
    );
    git(work, 'add', '.');
    git(work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'v99 result');
    git(work, 'push', '--quiet', 'origin', BRANCH);
    const fresh = join(dir, 'fresh');
    const refused = await harness(fresh, 'pull', '--for', c);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /runs\/7{40}\/20261129T000000Z_7777777_sweep-quick\.json in the store is a result of schema version 99; this harness reads up to 2/,
    );
    expect(existsSync(join(fresh, 'runs'))).toBe(false);
  });

  it('refuses a store of another layout version, or a branch that is no store, by name', async () => {
    const other = join(dir, 'other.git');
    execFileSync('git', ['init', '--quiet', '--bare', other]);
    const work = join(dir, 'other-work');
    git(dir, 'init', '--quiet', work);
    writeFileSync(join(work, 'store.json'), '{"format":"flush-harness-results","version":2}\n');
    git(work, 'add', '.');
    git(work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'v2 store');
    git(work, 'push', '--quiet', other, `HEAD:refs/heads/${BRANCH}`);
    git(work, 'rm', '--quiet', 'store.json');
    writeFileSync(join(work, 'README.md'), 'a project\n');
    git(work, 'add', '.');
    git(work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'code');
    git(work, 'push', '--quiet', other, 'HEAD:refs/heads/main');
    const r = join(dir, 'other-runner');
    const refused = await runHarness(['results', 'pull', '--calibration', '--remote', other], {
      HARNESS_RESULTS_DIR: r,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /is flush-harness-results version 2; this harness reads and writes flush-harness-results version 1/,
    );
    const notStore = await runHarness(
      ['results', 'pull', '--calibration', '--remote', other, '--branch', 'main'],
      { HARNESS_RESULTS_DIR: r },
    );
    expect(notStore.code).toBe(2);
    expect(notStore.stderr).toMatch(/branch main of .* is not a flush-harness results store/);
  });

  it('says in one line when the store cannot be reached (1) or cannot be used as given (2), and keeps the local results', async () => {
    const r = runner('offline', COMMIT_A, '2026-12-04T10:00:00.000Z');
    const unreachable = await runHarness(
      ['results', 'push', '--remote', 'http://127.0.0.1:9/store.git'],
      { HARNESS_RESULTS_DIR: r },
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toMatch(
      /results push: the results store http:\/\/127\.0\.0\.1:9\/store\.git could not be reached .*nothing local was changed or lost/,
    );
    const missing = await runHarness(['results', 'push', '--remote', join(dir, 'nowhere.git')], {
      HARNESS_RESULTS_DIR: r,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /cannot be used as given .*does not appear to be a git repository/,
    );
    const unnamed = await runHarness(['results', 'push', '--remote', 'no-such-remote'], {
      HARNESS_RESULTS_DIR: r,
    });
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toMatch(/--remote "no-such-remote" is not a remote of /);
    expect(readdirSync(join(r, 'runs'))).toHaveLength(1);
    const nothing = await runHarness(['results', 'pull', '--remote', remote], {
      HARNESS_RESULTS_DIR: r,
    });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/name what to fetch: --for <commit>/);
  });
});
