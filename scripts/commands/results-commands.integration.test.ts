import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';

const FIXTURES = 'results/compare/fixtures';
const git = (ref: string) => execFileSync('git', ['rev-parse', ref], { encoding: 'utf8' }).trim();

let dir: string;
let env: NodeJS.ProcessEnv;

/** Saves a fixture into the scratch store under a run file name, as `commit` (clean). */
function save(
  fixture: string,
  name: string,
  commit: string,
  edit = (d: Record<string, unknown>) => d,
): string {
  const doc = JSON.parse(readFileSync(join(FIXTURES, fixture), 'utf8')) as Record<string, unknown>;
  doc.git = { commit, branch: 'main', dirty: false };
  const path = join(dir, 'runs', name);
  writeFileSync(path, JSON.stringify(edit(doc), null, 2));
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'harness-results-'));
  mkdirSync(join(dir, 'runs'));
  env = { HARNESS_RESULTS_DIR: dir };
  const previous = git('HEAD~1');
  const head = git('HEAD');
  save('run-base.json', `20261128T100000Z_${previous.slice(0, 7)}_production.json`, previous);
  save('run-head.json', `20261128T110000Z_${head.slice(0, 7)}_production.json`, head);
  save('sweep-base.json', `20261128T100500Z_${previous.slice(0, 7)}_sweep-quick.json`, previous);
  save('sweep-head.json', `20261128T110500Z_${head.slice(0, 7)}_sweep-quick.json`, head);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('harness compare', () => {
  it('resolves git refs to the runs saved for each commit; one per side is shown, not tested', async () => {
    const run = await runHarness(['compare', 'HEAD~1', 'HEAD', '--name', 'production'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^run production\nbase: .*20261128T100000Z_\w{7}_production\.json/);
    expect(run.stdout).toMatch(
      /flush_duration p\(95\)\s+39\.61\s+82\.34\s+\+107\.89% \(1 trial per side: not tested\)/,
    );
    expect(run.stdout).not.toMatch(/p=0\.000/);
    // one trial per side is never a regression, and never a gate passed: exit 4
    const gated = await runHarness(
      ['compare', 'HEAD~1', 'HEAD', '--name', 'production', '--fail-on-regression', '5'],
      env,
    );
    expect(gated.code).toBe(4);
    expect(gated.stdout).toMatch(/^gate not applied: run production: 15 of 15 rows untested/m);
  });

  it('matches `latest` to the kind and name of the other side', async () => {
    const base = join(dir, 'runs', readdir('sweep-quick')[0] as string);
    const run = await runHarness(['compare', base, 'latest'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sweep sweep-quick\n/);
    expect(run.stdout).toMatch(/head: .*20261128T110500Z_\w{7}_sweep-quick\.json/);
  });

  it('several runs of each commit are trials: intervals, worse beyond them, and the gate', async () => {
    // A store of its own: four runs of each commit, each a few percent off the fixture.
    const store = mkdtempSync(join(tmpdir(), 'harness-trials-'));
    mkdirSync(join(store, 'runs'));
    const factors = [1, 1.03, 0.98, 1.01];
    for (const [fixture, ref, hour] of [
      ['run-base.json', 'HEAD~1', '10'],
      ['run-head.json', 'HEAD', '11'],
    ] as const)
      factors.forEach((f, i) => {
        const doc = JSON.parse(readFileSync(join(FIXTURES, fixture), 'utf8')) as {
          git: unknown;
          metrics: { values: Record<string, Record<string, number | null>> };
        };
        doc.git = { commit: git(ref), branch: 'main', dirty: false };
        for (const values of Object.values(doc.metrics.values))
          for (const k of Object.keys(values))
            if (typeof values[k] === 'number') values[k] = values[k] * f;
        writeFileSync(
          join(store, 'runs', `20261128T${hour}000${i}Z_${git(ref).slice(0, 7)}_production.json`),
          JSON.stringify(doc),
        );
      });
    const own = { HARNESS_RESULTS_DIR: store };
    const run = await runHarness(['compare', 'HEAD~1', 'HEAD', '--name', 'production'], own);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^base: 4 results \(newest .*_production\.json\)/m);
    expect(run.stdout).toMatch(
      /flush_duration p\(95\)\s+[\d.]+\s+[\d.]+\s+\+\d+\.\d+% \[\+\d+\.\d+%, \+\d+\.\d+%\] \(n=4\) worse/,
    );
    expect(run.stdout).toMatch(/note: no calibration of this machine for these results/);
    const gated = await runHarness(
      ['compare', 'HEAD~1', 'HEAD', '--name', 'production', '--fail-on-regression', '50%'],
      own,
    );
    expect(gated.code).toBe(3);
    expect(gated.stderr).toMatch(
      /error: \d+ regressions? with the whole interval beyond 50%: run production: flush_duration med \(flush_duration\) \+10\d\.\d\d% \[\+/,
    );
    const lenient = await runHarness(
      ['compare', 'HEAD~1', 'HEAD', '--name', 'production', '--fail-on-regression', '500'],
      own,
    );
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^gate \(--fail-on-regression 500%\): no change for the worse/m);
    const files = await runHarness(
      [
        'compare',
        '--base',
        ...factors.map((_, i) =>
          join(store, 'runs', `20261128T10000${i}Z_${git('HEAD~1').slice(0, 7)}_production.json`),
        ),
        '--head',
        join(store, 'runs', `20261128T110000Z_${git('HEAD').slice(0, 7)}_production.json`),
      ],
      own,
    );
    expect(files.code, files.stderr).toBe(0);
    expect(files.stdout).toMatch(/\(4\+1 trials: not tested\)/);
    rmSync(store, { recursive: true, force: true });
  });

  it.each([
    [
      ['compare', join(FIXTURES, 'sweep-base.json'), join(FIXTURES, 'run-base.json')],
      /cannot compare a sweep result .* with a run result/,
    ],
    [
      ['compare', join(FIXTURES, 'sweep-v1.json'), 'latest'],
      /is schema version 1; this harness reads version 2\. Migrate it with `harness results migrate/,
    ],
    [
      ['compare', 'nonsense', 'latest'],
      /"nonsense" is neither a results file, "latest", "baseline", nor a git ref/,
    ],
    [
      ['compare', 'baseline', 'latest', '--name', 'production'],
      /"baseline": no saved run result named "production" of variant join in .*baselines/,
    ],
    [
      ['compare', 'latest', 'latest', '--fail-on-regression', 'much'],
      /--fail-on-regression "much" is not a percentage/,
    ],
  ])('%j: exit 2 with one clear message', async (args, message) => {
    const run = await runHarnessInProcess(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });
});

function readdir(name: string): string[] {
  return execFileSync('ls', [join(dir, 'runs')], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith(`_${name}.json`));
}

describe('harness results', () => {
  it('lists saved results with commit, verdict and key figures, and says which files it cannot read', async () => {
    writeFileSync(
      join(dir, 'runs', '20261128T120000Z_0000000_broken.json'),
      '{"schemaVersion": 2, "kind": "run"',
    );
    const run = await runHarness(['results'], env);
    rmSync(join(dir, 'runs', '20261128T120000Z_0000000_broken.json'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /run\s+│ production\s+│ KEEP\s+│ 484 ev\/s, flush p95 82\.3 ms, e2c p99 572 ms/,
    );
    expect(run.stdout).toMatch(/sweep │ sweep-quick │ -\s+│ 1000 rows: correlated/);
    expect(run.stdout).toMatch(
      /unreadable: 20261128T120000Z_0000000_broken\.json: .*not valid JSON/,
    );
  });

  it('migrate rewrites an old file and keeps the original; a bad file among them stops all', async () => {
    const old = join(dir, 'old.json');
    const truncated = join(dir, 'truncated.json');
    writeFileSync(old, readFileSync(join(FIXTURES, 'sweep-v1.json')));
    writeFileSync(truncated, readFileSync(join(FIXTURES, 'sweep-v1.json'), 'utf8').slice(0, 100));
    const refused = await runHarness(['results', 'migrate', old, truncated], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /nothing migrated; these files cannot be:\n {2}- .*truncated\.json: /,
    );
    expect(existsSync(`${old}.v1.bak`)).toBe(false);

    const run = await runHarness(['results', 'migrate', old], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /old\.json: schema version 1 -> 2 \(original kept as .*old\.json\.v1\.bak\)/,
    );
    expect((JSON.parse(readFileSync(old, 'utf8')) as { schemaVersion: number }).schemaVersion).toBe(
      2,
    );
    expect(readFileSync(`${old}.v1.bak`, 'utf8')).toBe(
      readFileSync(join(FIXTURES, 'sweep-v1.json'), 'utf8'),
    );
  });

  it('baseline promotes a run, which `compare baseline latest` then uses', async () => {
    const promoted = await runHarness(
      ['results', 'baseline', 'HEAD~1', '--name', 'production'],
      env,
    );
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toMatch(/baseline for run "production": .*baselines\/production\.json/);
    const run = await runHarness(['compare', 'baseline', 'latest', '--name', 'production'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/base: .*baselines\/production\.json/);
  });
});

describe('harness report and history', () => {
  it('report writes the HTML page, the Markdown summary and JUnit XML', async () => {
    const out = join(dir, 'reports');
    const head = join(dir, 'runs', readdir('production')[1] as string);
    const run = await runHarness(
      ['report', head, '--name', 'rep', '--out', out, '--compare', 'HEAD~1'],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/report: .*rep\.html\n$/);
    const html = readFileSync(join(out, 'rep.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    const md = readFileSync(join(out, 'rep.md'), 'utf8');
    expect(md).toMatch(/Verdict: \*\*KEEP\*\*/);
    expect(md).toMatch(/```text\nrun production\n/);
    const junit = readFileSync(join(out, 'rep.junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuite name="run production" tests="4" failures="1"/);
    expect(junit).toMatch(
      /<testcase classname="run.production" name="flush_duration: p\(95\)&lt;50">\n\s+<failure message="p\(95\)&lt;50 failed: measured 82\.34"/,
    );
  });

  it("history follows a metric across commits, with each commit's runs as its trials, and draws it as SVG", async () => {
    const chart = join(dir, 'history.svg');
    const run = await runHarness(['history', 'flush_duration:p(95)', '--chart', chart], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/│\s+1 │\s+39\.61 │\s+│/);
    expect(run.stdout).toMatch(/│\s+1 │\s+82\.34 │ \+107\.89% \(1 trial per side: not tested\)/);
    expect(readFileSync(chart, 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<path[\s\S]*<\/svg>$/);
    const cell = await runHarness(['history', 'join@60', '--chart', chart], env);
    expect(cell.code).toBe(0);
    expect(cell.stdout).toMatch(/join 60 rows, unprepared \(median wall ms\)/);
  });

  it.each([
    [['history', 'speed'], /metric "speed" is not one the harness records/],
    [['history', 'join@60', '--last', '0'], /--last "0" is not a positive integer/],
    [
      ['history', 'flush_duration:p(95)', '--name', 'flush-500'],
      /no saved run result named "flush-500" has flush_duration p\(95\)/,
    ],
    [['report', 'missing.json'], /"missing\.json" is neither a results file/],
    [['check', '--duration', '10x'], /--duration/],
    [['check', '--full', '--duration', '1m'], /--full and --duration contradict each other/],
  ])('%j: exit 2 with one clear message, nothing started', async (args, message) => {
    const run = await runHarnessInProcess(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('merges the shards of a plan run as separate generators, judging thresholds on the merge', async () => {
    const shard = (i: number, n: number, extra: string[] = []) => {
      const output = join(dir, `shard-${i}-of-${n}${extra.length > 0 ? '-other' : ''}.json`);
      return runHarness(
        [
          'simulate',
          '--sink',
          'memory',
          '--rate',
          '400',
          '--duration',
          '2s',
          '--shard',
          `${i}/${n}`,
          '--output',
          output,
          ...extra,
        ],
        env,
      ).then((r) => {
        expect(r.code, r.stderr).toBe(0);
        return output;
      });
    };
    const whole = JSON.parse(readFileSync(await shard(0, 1), 'utf8')) as {
      metrics: { sent: number; partitions: { sent: number }[] };
    };
    const parts = [await shard(0, 2), await shard(1, 2)];
    const out = join(dir, 'merged.json');
    const merged = await runHarness(
      [
        'results',
        'merge',
        ...parts,
        '--output',
        out,
        '--threshold',
        'dropped_events:count==0',
        '--threshold',
        'schedule_lag:p(99)<1000',
      ],
      env,
    );
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/merged \(2 generators\)/);
    expect(merged.stdout).toMatch(/shard 0\/2/);
    expect(merged.stdout).toMatch(/shard 1\/2/);
    expect(merged.stdout).toMatch(/ok {3}dropped_events count==0: 0\.00/);
    const result = JSON.parse(readFileSync(out, 'utf8')) as typeof whole;
    expect(result.metrics.sent).toBe(whole.metrics.sent);
    expect(result.metrics.partitions.map((p) => p.sent)).toEqual(
      whole.metrics.partitions.map((p) => p.sent),
    );

    const failing = await runHarness(
      [
        'results',
        'merge',
        ...parts,
        '--output',
        out,
        '--threshold',
        'events_per_second:value>99999999',
      ],
      env,
    );
    expect(failing.code).toBe(99);
    expect(failing.stderr).toMatch(
      /thresholds failed on the merged result: events_per_second value>99999999/,
    );

    const missing = await runHarness(['results', 'merge', parts[0] as string], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/shard 1\/2 is missing/);
    const twice = await runHarness(['results', 'merge', ...parts, parts[1] as string], env);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/shard 1\/2 is given twice/);
    const other = await shard(1, 2, ['--seed', '7']);
    const foreign = await runHarness(['results', 'merge', parts[0] as string, other], env);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(
      /shard-1-of-2-other\.json is a shard of another plan: its seed is 7, not 42/,
    );
    const bad = await runHarness(
      ['results', 'merge', ...parts, '--threshold', 'latency:p(99)<5'],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--threshold "latency:p\(99\)<5": expected metric:expression/);
  }, 120_000);
});
