import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { HARNESS_DIR } from '../lib/version.ts';

/**
 * The GitHub Actions recipe (docs/ci/github-actions.yml) played by ephemeral runners on this
 * machine: fresh clones that share nothing but a bare git remote, which is also the results
 * store. Each runner runs the `run:` steps of its job as Actions would (bash -eo pipefail,
 * GITHUB_ENV carried between steps). Runner 1 is the main branch's job; runner 2 a pull
 * request whose join.sql does needless per-row work, which must fail naming it; runner 3 a
 * pull request that changes nothing, which must pass. Small sweeps keep it to minutes.
 */

interface Step {
  id?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}
const workflow = parse(
  readFileSync(join(HARNESS_DIR, 'docs/ci/github-actions.yml'), 'utf8'),
) as Workflow;

let dir: string;
let origin: string;
let mainSha: string;
const databases: TestDatabase[] = [];

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

/** The project as a repository of its own: this checkout's files as they are, committed. */
function makeProject(): string {
  const project = join(dir, 'project');
  mkdirSync(project);
  git(project, 'init', '--quiet', '--initial-branch', 'main');
  const files = git(HARNESS_DIR, 'ls-files', '-z', '--cached', '--others', '--exclude-standard')
    .split('\0')
    .filter((f) => f !== '' && f !== 'node_modules' && existsSync(join(HARNESS_DIR, f)));
  for (const f of files) {
    mkdirSync(dirname(join(project, f)), { recursive: true });
    copyFileSync(join(HARNESS_DIR, f), join(project, f));
  }
  git(project, 'add', '--all');
  git(project, 'commit', '--quiet', '-m', 'the project');
  // A second commit, so that the main job's HEAD~1 exists as it does on a real main branch.
  writeFileSync(join(project, 'CHANGES.md'), 'The release check runs in CI.\n');
  git(project, 'add', 'CHANGES.md');
  git(project, 'commit', '--quiet', '-m', 'changes');
  return project;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'harness-ci-'));
  const project = makeProject();
  origin = join(dir, 'origin.git');
  git(dir, 'clone', '--quiet', '--bare', project, origin);
  mainSha = git(project, 'rev-parse', 'HEAD');
}, 120_000);
afterAll(async () => {
  for (const db of databases) await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A new runner: a fresh clone of the remote, the installed packages, its own database. */
async function newRunner(name: string): Promise<{ cwd: string; databaseUrl: string }> {
  const cwd = join(dir, name);
  git(dir, 'clone', '--quiet', origin, cwd);
  symlinkSync(realpathSync(join(HARNESS_DIR, 'node_modules')), join(cwd, 'node_modules'));
  // A link is no folder to .gitignore's `node_modules/`: ignored as npm ci's folder would be,
  // so that the clone is clean and its results are the commit's.
  appendFileSync(join(cwd, '.git', 'info', 'exclude'), 'node_modules\n');
  const db = await createTestDatabase({ migrated: false });
  databases.push(db);
  return { cwd, databaseUrl: db.url };
}

interface StepOutcome {
  readonly code: number | null;
  readonly output: string;
}

/** The `${{ ... }}` expressions the recipe's env uses, as this pull request has them. */
function expand(value: string, context: Record<string, string>): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => context[expr] ?? '');
}

/** Runs a job's `run:` steps named in `ids`, in order, as Actions would; every step's outcome. */
async function runJob(
  job: string,
  ids: readonly string[],
  runner: { cwd: string; databaseUrl: string },
  context: Record<string, string>,
): Promise<Record<string, StepOutcome>> {
  const steps = workflow.jobs[job]?.steps ?? [];
  const githubEnv = join(runner.cwd, '..', `${job}-${ids.join('-')}.env`);
  const summary = join(runner.cwd, '..', `${job}-summary.md`);
  writeFileSync(githubEnv, '');
  const carried: Record<string, string> = {};
  const outcomes: Record<string, StepOutcome> = {};
  for (const id of ids) {
    const step = steps.find((s) => s.id === id);
    if (step?.run === undefined) throw new Error(`the recipe's ${job} job has no run step "${id}"`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.HARNESS_RESULTS_DIR;
    Object.assign(
      env,
      Object.fromEntries(
        Object.entries({ ...workflow.env, ...step.env }).map(([k, v]) => [k, expand(v, context)]),
      ),
      carried,
      {
        DATABASE_URL: runner.databaseUrl,
        GITHUB_ENV: githubEnv,
        GITHUB_STEP_SUMMARY: summary,
        CI: 'true',
      },
    );
    const started = performance.now();
    outcomes[id] = await new Promise<StepOutcome>((resolve, reject) => {
      const child = spawn(
        'bash',
        ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run as string],
        { cwd: runner.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        resolve({ code, output });
      });
    });
    // What each step of the job took on this machine: the recipe's cost, printed, not asserted.
    process.stdout.write(
      `${job} job, step ${id}: exit ${String(outcomes[id].code)} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
    );
    for (const line of readFileSync(githubEnv, 'utf8').split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) carried[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return outcomes;
}

const vars = (runner: string) => ({
  // Small sweeps and a tiny scenario: the commands are the recipe's, the sizes a test's.
  'vars.HARNESS_CHECK_OPTIONS': `--scenario ${join(dir, runner, 'scripts/testing/fixtures/ci-recipe-check.ts')} --no-sweep --duration 3s`,
  'vars.HARNESS_AB_OPTIONS': '--sizes 200 --trials 6 --players 1000',
  'github.token': '',
  'github.event.pull_request.number': '1',
});

describe('the CI recipe, played by runners that share only a git remote', () => {
  it('main pushes its results; a pull request with a slower join.sql fails naming it; one with no change passes', async () => {
    const main = await newRunner('runner-main');
    const m = await runJob('main', ['pull', 'check', 'push'], main, vars('runner-main'));
    expect(m.pull?.code, m.pull?.output).toBe(0);
    expect(m.pull?.output).toMatch(/has no branch flush-harness-results yet, so nothing to fetch/);
    expect(m.check?.code, m.check?.output).toBe(0);
    expect(m.push?.code, m.push?.output).toBe(0);
    expect(m.push?.output).toMatch(/results push: \d+ files? added to origin \(.*origin\.git\)/);
    expect(git(origin, 'ls-tree', '-r', '--name-only', 'flush-harness-results')).toContain(
      `runs/${mainSha}/`,
    );

    // A pull request whose join does per-row work that changes nothing.
    const pr = await newRunner('runner-pr');
    git(pr.cwd, 'checkout', '--quiet', '-b', 'slower-join');
    const join_ = join(pr.cwd, 'sut/sql/variants/join.sql');
    writeFileSync(
      join_,
      `${readFileSync(join_, 'utf8').trimEnd()}\n  AND md5(repeat(p.user_id, 400)) <> ''\n`,
    );
    git(pr.cwd, 'commit', '--quiet', '-am', 'join: check each row');
    const context = {
      ...vars('runner-pr'),
      'github.event.pull_request.base.sha': mainSha,
      'github.event.pull_request.head.sha': git(pr.cwd, 'rev-parse', 'HEAD'),
    };
    const p = await runJob('pull-request', ['pull', 'ab', 'summary', 'push'], pr, context);
    expect(p.pull?.code, p.pull?.output).toBe(0);
    expect(p.pull?.output).toMatch(
      new RegExp(`results pull: [1-9]\\d* results? of ${mainSha} \\(${mainSha.slice(0, 7)}\\)`),
    );
    expect(p.ab?.code, p.ab?.output).toBe(3);
    expect(p.ab?.output).toMatch(/this session measures its own noise floor from an A\/A twin/);
    expect(p.ab?.output).toMatch(/join 200 rows .* worse/);
    expect(p.ab?.output).toMatch(/regression.*join 200 rows/is);
    expect(p.ab?.output).not.toMatch(/(correlated|cte) 200 rows [^\n]* worse/);
    const posted = readFileSync(join(dir, 'pull-request-summary.md'), 'utf8');
    expect(posted).toMatch(/join 200 rows/);
    expect(p.push?.code, p.push?.output).toBe(0);

    // A pull request that changes nothing the check measures.
    const same = await newRunner('runner-same');
    git(same.cwd, 'checkout', '--quiet', '-b', 'nothing');
    git(same.cwd, 'commit', '--quiet', '--allow-empty', '-m', 'nothing measured changes');
    const s = await runJob('pull-request', ['pull', 'ab'], same, {
      ...vars('runner-same'),
      'github.event.pull_request.base.sha': mainSha,
      'github.event.pull_request.head.sha': git(same.cwd, 'rev-parse', 'HEAD'),
    });
    expect(s.pull?.code, s.pull?.output).toBe(0);
    // The pull request runner's session came back through the store.
    expect(s.pull?.output).toMatch(/1 paired session of this machine kind/);
    expect(s.ab?.code, s.ab?.output).toBe(0);
    expect(s.ab?.output).toMatch(/ab finished in \d+ s: 0 worse, 0 better/);
    expect(s.ab?.output).toMatch(/gate \(--fail-on-regression 10%\): no change for the worse/);
  }, 1_500_000);
});
