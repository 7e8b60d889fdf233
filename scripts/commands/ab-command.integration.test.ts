import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrationSchema } from '../../results/compare/calibration.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness } from '../testing/run-harness.ts';
import { HARNESS_DIR } from '../lib/version.ts';

// The working tree against itself keeps this test off the network (a ref is checked out and
// installed with npm ci); trials are a small scenario of a second or two.
const scenario = fileURLToPath(
  new URL('../../scenarios/engine/fixtures/tiny-check.ts', import.meta.url),
);
let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'harness-ab-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});
const env = () => ({ DATABASE_URL: db.url, HARNESS_RESULTS_DIR: dir });

describe('harness ab and harness calibrate', () => {
  let session = '';

  it('runs interleaved trials of both sides, compares them with intervals and writes a report', async () => {
    const run = await runHarness(
      [
        'ab',
        'WORKTREE',
        'WORKTREE',
        '--scenario',
        scenario,
        '--duration',
        '1s',
        '--trials',
        '4',
        '--seed',
        '7',
      ],
      env(),
    );
    expect(run.code, run.stderr).toBe(0);
    // seed 7 gives this order; every trial is logged as it ends
    expect(run.stderr).toMatch(/4 trials per side \(--trials\), order seed 7: [AB]{8}; session /);
    expect(run.stderr.match(/^trial \d\/8: (base|head) \(WORKTREE, [0-9a-f]{7}/gm)).toHaveLength(8);
    expect(run.stdout).toMatch(/^run tiny-check\nbase: 4 results \(newest .*trial-04\.json\)/m);
    expect(run.stdout).toMatch(
      /flush_duration p\(95\) .* \[[+-]\d+\.\d+%, [+-]\d+\.\d+%\] \(n=4\)/,
    );
    expect(run.stdout).toMatch(
      /note: trials interleaved in random pairs \(seed 7\) against one PostgreSQL \(DATABASE_URL\)/,
    );
    expect(run.stdout).toMatch(
      /ab finished in \d+ s: \d+ worse, \d+ better, \d+ not called \(of \d+ rows\)/,
    );
    session = /session (.+)$/m.exec(run.stderr)?.[1]?.trim() ?? '';
    const sessionDir = join(dir, 'ab', readdirSync(join(dir, 'ab'))[0] as string);
    for (const side of ['base', 'head'])
      expect(readdirSync(join(sessionDir, side)).filter((f) => f.endsWith('.json'))).toHaveLength(
        4,
      );
    expect(existsSync(join(sessionDir, 'report.html'))).toBe(true);
    expect(JSON.parse(readFileSync(join(sessionDir, 'comparison.json'), 'utf8'))).toMatchObject({
      kind: 'run',
      name: 'tiny-check',
    });
    // the trials kept out of the user's store
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  }, 300_000);

  it('calibrates from those trials: levels, a saved calibration, and compare then uses it', async () => {
    expect(session).not.toBe('');
    const sessionDir = join(dir, 'ab', readdirSync(join(dir, 'ab'))[0] as string);
    const run = await runHarness(
      ['calibrate', '--from', join(sessionDir, 'base'), join(sessionDir, 'head')],
      env(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/calibration of .* for run tiny-check, from 8 A\/A results/);
    expect(run.stdout).toMatch(/│ 4 +│ +\d+\.\d %/);
    const saved = /^calibration: (.+)$/m.exec(run.stdout)?.[1] ?? '';
    const file = calibrationSchema.parse(JSON.parse(readFileSync(saved, 'utf8')));
    expect(file.levels.map((l) => l.trials)).toEqual([4]);
    expect(Object.keys(file.levels[0]?.floors ?? {}).length).toBeGreaterThan(5);
    const compare = await runHarness(
      ['compare', '--base', join(sessionDir, 'base'), '--head', join(sessionDir, 'head')],
      env(),
    );
    expect(compare.code, compare.stderr).toBe(0);
    expect(compare.stdout).toMatch(
      /note: noise floors from this machine's calibration .* \(4 trials per side/,
    );
    expect(compare.stdout).toMatch(/floor \d+\.\d%\)/);
  });

  it('pairs the sides in the same sweeps when only SQL variant files differ, twins run round by round', async () => {
    // Two paired trials cannot test a row: the gate says so and exits 4.
    const run = await runHarness(
      ['ab', 'WORKTREE', 'WORKTREE', '--trials', '2', '--fail-on-regression', '10'],
      env(),
    );
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toMatch(
      /\ngate not applied: sweep sweep-quick-paired: 24 of 24 rows untested, 2 trials per side where a test needs 6 per side/,
    );
    expect(run.stderr).toMatch(
      /WORKTREE and WORKTREE differ only in SQL variant files: 2 paired sweeps, each running both sides' correlated, cte, join round by round/,
    );
    expect(run.stdout).toMatch(/join 200 rows .*\(2 paired trials give a 50 % interval at most/);
    const session = readdirSync(join(dir, 'ab')).find((d) => d.endsWith('_paired')) ?? '';
    const trial = JSON.parse(
      readFileSync(join(dir, 'ab', session, 'paired', 'trial-01.json'), 'utf8'),
    ) as {
      metrics: {
        cells: { variant: string; statement: string; size: number; samplesMs: number[] }[];
      };
    };
    // No paired calibration here: the session measures its own floor from an A/A twin,
    // `<name>_aa`, the base's SQL again in the same rounds.
    expect(run.stderr).toMatch(
      /no paired calibration of this machine kind \(.*\) in reach .*: this session measures its own noise floor from an A\/A twin/,
    );
    expect(run.stdout).toMatch(
      /note: noise floor measured in this session: the A\/A twin's intervals/,
    );
    expect(trial.metrics.cells.some((c) => c.variant === 'join_aa')).toBe(true);
    // The sweep keeps each head with its base (the A/B pair); the A/A twin is compared over
    // the rounds both have, so it may end a round apart.
    for (const head of trial.metrics.cells.filter(
      (c) => !c.variant.endsWith('_base') && !c.variant.endsWith('_aa'),
    )) {
      const twin = trial.metrics.cells.find(
        (c) =>
          c.variant === `${head.variant}_base` &&
          c.statement === head.statement &&
          c.size === head.size,
      );
      // twins keep going together, so every round holds one batch of each
      expect(twin?.samplesMs.length, `${head.variant} ${head.statement} ${head.size}`).toBe(
        head.samplesMs.length,
      );
    }
    // compare reads the session's paired sweeps back and says what ab said
    const pairedDir = join(dir, 'ab', session, 'paired');
    const again = await runHarness(
      ['compare', '--paired', pairedDir, '--fail-on-regression', '10', '--accept-untested'],
      env(),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /\ngate not applied: sweep sweep-quick-paired: 24 of 24 rows untested, .* \(accepted with --accept-untested\)\n$/,
    );
    expect(again.stdout).toMatch(/join 200 rows .*\(2 paired trials give a 50 % interval at most/);
    const mixed = await runHarness(
      [
        'compare',
        '--paired',
        pairedDir,
        join(HARNESS_DIR, 'results/compare/fixtures/sweep-base.json'),
      ],
      env(),
    );
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/sweep-base\.json is not a paired sweep/);
  }, 300_000);

  it('refuses bad input with one message and exit 2, before running anything', async () => {
    const root = execFileSync('git', ['rev-list', '--max-parents=0', 'HEAD'], {
      cwd: HARNESS_DIR,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')[0] as string;
    for (const [args, message] of [
      [
        ['ab', root, 'HEAD'],
        /is older than the harness's comparable results: .* the first commit that can take part is [0-9a-f]{7}/,
      ],
      [['ab', 'no-such-ref', 'HEAD'], /"no-such-ref" is not a commit of .*: give a git ref/],
      [
        ['ab', 'HEAD', 'HEAD', '--sweep', 'quick', '--scenario', 'smoke'],
        /--sweep and --scenario contradict each other/,
      ],
      [['ab', 'HEAD', 'HEAD', '--duration', '1m'], /--duration goes with --scenario/],
      [['ab', 'HEAD', 'HEAD', '--trials', '0'], /--trials "0" is not a positive integer/],
      [
        ['ab', 'HEAD', 'HEAD', '--scenario', 'smoke', '--players', '1000'],
        /--players applies to the paired quick sweeps of a change to SQL variant files/,
      ],
      [['ab', 'HEAD', 'HEAD', '--players', '0'], /--players "0" is not a positive integer/],
      [['ab'], /ab compares two sides: two refs \(<base> <head>\), or two servers/],
      [
        ['ab', '--base-pg-version', '15'],
        /two servers as sides need both: .* \(the head is missing\)/,
      ],
      [
        ['ab', 'HEAD', '--base-pg-version', '15', '--head-pg-version', '17'],
        /two servers as sides run this working tree against both: leave out the refs/,
      ],
      [
        ['ab', '--base-pg-version', '12', '--head-pg-version', '17'],
        /--base-pg-version "12": expected a PostgreSQL major version, one of 13, 14, 15, 16, 17, 18/,
      ],
      [
        ['ab', '--base-pg-version', '15', '--head-url', 'not a url'],
        /--head-url "not a url" is not a URL/,
      ],
      [['calibrate', '--trials', '3'], /a calibration needs at least 4 per side/],
      [['calibrate', '--paired', '--trials', '6'], /a paired calibration needs at least 12 trials/],
      [['calibrate', '--from', 'nowhere-at-all'], /"nowhere-at-all" is neither a results file/],
    ] as const) {
      const run = await runHarness([...args], env());
      expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  }, 180_000);
});
