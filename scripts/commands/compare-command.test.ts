import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../sut/db/random.ts';
import { runHarnessInProcess } from '../testing/run-harness.ts';

const FIXTURES = 'results/compare/fixtures';
const git = (ref: string) => execFileSync('git', ['rev-parse', ref], { encoding: 'utf8' }).trim();

let dir: string;
let env: NodeJS.ProcessEnv;

interface Doc {
  git: unknown;
  config: { options: { harness: Record<string, unknown> } };
  metrics: {
    values: Record<string, Record<string, number | null>>;
    cells: { variant: string; samplesMs: number[] }[];
  };
}

function read(fixture: string): Doc {
  return JSON.parse(readFileSync(join(FIXTURES, fixture), 'utf8')) as Doc;
}

/** Writes `doc` into the scratch folder `sub` as `name`, saved for `commit` (clean). */
function save(doc: Doc, sub: string, name: string, commit = 'unknown'): string {
  doc.git = { commit, branch: 'main', dirty: false };
  mkdirSync(join(dir, sub), { recursive: true });
  const path = join(dir, sub, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** The run fixture as a run of `variant`. */
function runOf(variant: string, fixture = 'run-base.json'): Doc {
  const doc = read(fixture);
  doc.config.options.harness.variant = variant;
  return doc;
}

/**
 * `count` sweeps of the fixture, each trial's batches scaled by a few percent of its own and
 * join's by `joinFactor`: a planted change of join alone.
 */
function sweepTrials(sub: string, count: number, seed: number, joinFactor: number): string[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const doc = read('sweep-head.json');
    const trial = 1 + 0.03 * (random() - 0.5);
    for (const cell of doc.metrics.cells)
      cell.samplesMs = cell.samplesMs.map(
        (x) => x * trial * (cell.variant === 'join' ? joinFactor : 1),
      );
    return save(doc, sub, `trial-${i}.json`);
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'harness-compare-'));
  env = { HARNESS_RESULTS_DIR: join(dir, 'store') };
  const previous = git('HEAD~1');
  const head = git('HEAD');
  // The previous commit has two join runs and a cte run under one name; this one a join run.
  const runs = 'store/runs';
  save(runOf('join'), runs, `20261128T100000Z_${previous.slice(0, 7)}_production.json`, previous);
  save(runOf('join'), runs, `20261128T100100Z_${previous.slice(0, 7)}_production.json`, previous);
  save(runOf('cte'), runs, `20261128T100200Z_${previous.slice(0, 7)}_production.json`, previous);
  save(
    runOf('join', 'run-head.json'),
    runs,
    `20261128T110000Z_${head.slice(0, 7)}_production.json`,
    head,
  );
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('compare never pools runs of different things as one side', () => {
  it('a join run against a cte run: compared, with the difference said ahead of the table', async () => {
    const run = await runHarnessInProcess(
      ['compare', save(runOf('join'), 'pair', 'join.json'), save(runOf('cte'), 'pair', 'cte.json')],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(3, 5)).toEqual([
      '',
      'warning: the sides differ: variant join (base) vs cte (head). The changes below compare different setups, not only different commits.',
    ]);
  });

  it('a side holding a join run and a cte run: refused, exit 2, naming the difference and the way out', async () => {
    const run = await runHarnessInProcess(
      [
        'compare',
        '--base',
        save(runOf('join'), 'mixed', 'join.json'),
        save(runOf('cte'), 'mixed', 'cte.json'),
        '--head',
        save(runOf('join', 'run-head.json'), 'mixed', 'head.json'),
      ],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      "error: the base side's 2 results ran different things and cannot be trials of one: variant join (1 result) vs cte (1 result). Narrow the selection to one of them: --variant <name> where the variant differs, or name the files (--base a.json b.json ...)\n",
    );
  });

  it("a commit's runs of several variants: the other side's variant is taken, or --variant picks", async () => {
    const run = await runHarnessInProcess(
      ['compare', 'HEAD~1', 'HEAD', '--name', 'production'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^base: 2 results \(newest .*T100100Z_\w{7}_production\.json\)/m);
    expect(run.stdout).not.toMatch(/the sides differ/);
    const cte = await runHarnessInProcess(
      ['compare', 'HEAD~1', 'HEAD', '--name', 'production', '--variant', 'cte'],
      env,
    );
    expect(cte.code).toBe(2);
    expect(cte.stderr).toMatch(/no saved result named "production" of variant cte there/);
    const reversed = await runHarnessInProcess(['compare', 'HEAD', 'HEAD~1'], env);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toMatch(
      /the head side's 3 results ran different things .*: variant join \(2 results\) vs cte \(1 result\)/,
    );
  });
});

describe('--fail-on-regression: an honest gate', () => {
  it('one trial per side: "gate not applied" with the trials needed, exit 4', async () => {
    const args = [
      'compare',
      save(read('sweep-base.json'), 'one', 'base.json'),
      save(read('sweep-head.json'), 'one', 'head.json'),
      '--fail-on-regression',
      '10',
    ];
    const run = await runHarnessInProcess(args, env);
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(
      /\ngate not applied: sweep sweep-quick: 24 of 24 rows untested, 1 trial per side where a test needs 4 per side \(run the commits again for more trials, or harness ab\)\n$/,
    );
    expect(run.stderr).toMatch(
      /^error: gate not applied: .* give --accept-untested to accept that\n$/,
    );
    const accepted = await runHarnessInProcess([...args, '--accept-untested'], env);
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toMatch(
      /\ngate not applied: sweep sweep-quick: 24 of 24 rows untested, .* \(accepted with --accept-untested\)\n$/,
    );
  });

  it('enough trials and a planted regression: exit 3, its own code; none planted: exit 0', async () => {
    const base = sweepTrials('trials-base', 5, 1, 1);
    const slower = sweepTrials('trials-slower', 5, 2, 1.5);
    const run = await runHarnessInProcess(
      ['compare', '--base', ...base, '--head', ...slower, '--fail-on-regression', '10'],
      env,
    );
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(
      /\ngate \(--fail-on-regression 10%\): 8 regressions with the whole interval beyond 10%: sweep sweep-quick: join 10 rows \(wall time per batch, prepared\) \+4\d\.\d\d% \[\+4/,
    );
    expect(run.stdout).not.toMatch(/gate not applied/);
    expect(run.stderr).toMatch(/^error: 8 regressions with the whole interval beyond 10%/);
    const same = sweepTrials('trials-same', 5, 3, 1);
    const quiet = await runHarnessInProcess(
      ['compare', '--base', ...base, '--head', ...same, '--fail-on-regression', '10'],
      env,
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(
      /\ngate \(--fail-on-regression 10%\): no change for the worse beyond 10% in the 24 rows it tested\n$/,
    );
  });

  it('sides that ran different things are not gated: exit 4', async () => {
    const run = await runHarnessInProcess(
      [
        'compare',
        save(runOf('join'), 'gate-pair', 'join.json'),
        save(runOf('cte'), 'gate-pair', 'cte.json'),
        '--fail-on-regression',
        '10',
      ],
      env,
    );
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(
      /\ngate not applied: run production: the sides ran different things \(variant join \(base\) vs cte \(head\)\)\n$/,
    );
  });

  it.each([
    ['compare', 'HEAD~1', 'HEAD', '--accept-untested'],
    ['ab', 'HEAD', 'HEAD', '--accept-untested'],
    ['check', '--accept-untested'],
  ])('%s ... --accept-untested without the gate: exit 2 before anything runs', async (...args) => {
    const run = await runHarnessInProcess(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'error: --accept-untested qualifies --fail-on-regression <pct>: give both, or neither\n',
    );
  });
});

describe('calibrate --from takes A/A trials of one thing', () => {
  it('a join run and a cte run: refused, exit 2, naming the difference', async () => {
    const run = await runHarnessInProcess(
      [
        'calibrate',
        '--from',
        save(runOf('join'), 'calibrate', 'join.json'),
        save(runOf('cte'), 'calibrate', 'cte.json'),
      ],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: --from: the results ran different things and cannot be A/A trials of one: variant join (1 result) vs cte (1 result)\n',
    );
  });
});

describe('report --compare takes a run of the same variant', () => {
  it('picks the cte run of a commit for a cte result, and says so when the sides differ', async () => {
    const out = join(dir, 'reports');
    const head = save(runOf('cte', 'run-head.json'), 'report', 'head-cte.json');
    const run = await runHarnessInProcess(
      ['report', head, '--compare', 'HEAD~1', '--out', out, '--name', 'same'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const same = readFileSync(join(out, 'same.md'), 'utf8');
    expect(same).toMatch(/base: .*T100200Z_\w{7}_production\.json/);
    expect(same).not.toMatch(/the sides differ/);
    const differ = await runHarnessInProcess(
      [
        'report',
        head,
        '--compare',
        save(runOf('join'), 'report', 'base-join.json'),
        '--out',
        out,
        '--name',
        'differ',
      ],
      env,
    );
    expect(differ.code, differ.stderr).toBe(0);
    expect(readFileSync(join(out, 'differ.md'), 'utf8')).toMatch(
      /\n\*\*run production: the sides differ: variant join \(base\) vs cte \(head\)\.\*\* The changes compare different setups, not only different commits\.\n\n<details>/,
    );
    expect(readdirSync(out).sort()).toEqual([
      'differ.html',
      'differ.junit.xml',
      'differ.md',
      'same.html',
      'same.junit.xml',
      'same.md',
    ]);
  });
});
