import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness } from '../testing/run-harness.ts';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'harness-check-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('harness check', () => {
  // The sweep step is the sweep command, tested on its own; here the check runs a small
  // scenario twice to show the second check comparing itself with the first.
  const scenario = fileURLToPath(
    new URL('../../scenarios/engine/fixtures/tiny-check.ts', import.meta.url),
  );
  const args = ['check', '--no-sweep', '--scenario', scenario, '--duration', '3s'];
  const env = (resultsDir = dir) => ({ DATABASE_URL: db.url, HARNESS_RESULTS_DIR: resultsDir });

  it('runs the scenario, says there is nothing to compare with yet, and writes the report', async () => {
    // A gate with nothing to compare with is not applied; accepted here, so exit 0.
    const run = await runHarness(
      [...args, '--fail-on-regression', '10', '--accept-untested'],
      env(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/== release check 2\/4: scenario .*tiny-check\.ts, first 3s/);
    expect(run.stdout).toMatch(
      /run tiny-check: no earlier run saved on this machine, nothing to compare with yet/,
    );
    expect(run.stdout).toMatch(
      /\ngate not applied: run tiny-check: no earlier result saved on this machine to compare with \(accepted with --accept-untested\)\n\n== release check 4\/4: report\n/,
    );
    expect(run.stdout).toMatch(/release check finished in \d+ s: verdict (KEEP|REVISIT)/);
    expect(run.stdout).toMatch(/report: .*_check\.html\nresults: .*_tiny-check\.json\n$/);
    const reports = readdirSync(join(dir, 'reports'));
    expect(reports.filter((f) => /_check\.(html|md|junit\.xml)$/.test(f))).toHaveLength(3);
    // The Markdown goes into pull requests: no path of this machine in it.
    const md = readFileSync(
      join(dir, 'reports', reports.find((f) => f.endsWith('_check.md')) as string),
      'utf8',
    );
    expect(md).toMatch(/Artifacts: `(\d{8}T\d{6}Z_[\w-]+_check)\.html` .*`\1\.junit\.xml`/);
    expect(md).not.toContain(dir);
    expect(md).not.toContain(process.cwd());
  });

  it('passes --pg-setting to its steps, and a step that refuses its input makes the check exit 2', async () => {
    const run = await runHarness([...args, '--pg-setting', 'work_mem=8MB'], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--pg-setting work_mem: DATABASE_URL names a running server/);
    expect(run.stderr).toMatch(/the scenario refused its input \(exit code 2, message above\)/);
  });

  it('compares a second check with the first', async () => {
    // Results of its own: this test does not lean on another test's saved run.
    const own = mkdtempSync(join(tmpdir(), 'harness-check-pair-'));
    const first = await runHarness(args, env(own));
    expect(first.code, first.stderr).toBe(0);
    // One earlier run: the gate cannot test a row, and says so with exit code 4.
    const run = await runHarness([...args, '--fail-on-regression', '10'], env(own));
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toMatch(
      /\ngate not applied: run tiny-check: \d+ of \d+ rows untested, 1 trial per side where a test needs 4 per side/,
    );
    expect(run.stderr).toMatch(
      /\nerror: gate not applied: .* give --accept-untested to accept that\n$/,
    );
    expect(run.stdout).toMatch(
      /== release check 3\/4: comparison with the previous check\n\nrun tiny-check\nbase: /,
    );
    // Exact percentiles of each side's run; one run per side is shown, not tested.
    expect(run.stdout).toMatch(/event_to_commit \(ms\)\n/);
    expect(run.stdout).toMatch(
      /run tiny-check: a single earlier run \(\w{7}\) is all there is to compare with, so the changes below are shown, not tested/,
    );
    expect(run.stdout).toMatch(
      /event_to_commit p\(95\)\s+[\d.,]+\s+[\d.,]+\s+[+-][\d.]+% \(1 trial per side: not tested\)\n/,
    );
    expect(run.stdout).toMatch(/note: machine load: /);
    const md = readdirSync(join(own, 'reports'))
      .filter((f) => f.endsWith('_check.md'))
      .sort();
    expect(readFileSync(join(own, 'reports', md[md.length - 1] as string), 'utf8')).toMatch(
      /### Compared with the previous run/,
    );
    rmSync(own, { recursive: true, force: true });
  }, 180_000);
});
