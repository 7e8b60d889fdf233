import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResultSchema } from '../../results/schema/result-schema.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';
import { K6Parser } from 'k6-to-junit';
import { findFreePort } from '../db/free-port.ts';

const bin = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));
const fixture = (name: string) =>
  fileURLToPath(new URL(`../../scenarios/engine/fixtures/${name}`, import.meta.url));
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'harness-run-test-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('harness run', () => {
  it('runs the smoke scenario end to end: summary, thresholds, per-partition table, verdict, results JSON', async () => {
    const output = join(dir, 'smoke.json');
    const summaryExport = join(dir, 'export.json');
    const summaryData = join(dir, 'data.json');
    const sutPort = await findFreePort();
    const run = await runHarness(
      [
        'run',
        'smoke',
        '--sut-port',
        String(sutPort),
        '--duration',
        '4s',
        '--output',
        output,
        '--summary-export',
        summaryExport,
        '--summary-data',
        summaryData,
      ],
      { DATABASE_URL: db.url },
    );
    // Timing thresholds (flush p95 < 50 ms) depend on how busy this machine is; the run itself
    // must complete either way: 0 when they hold, 99 when one does not.
    expect([0, 99], run.stderr).toContain(run.code);
    // Where Prometheus can scrape the service while the scenario runs.
    expect(run.stderr).toContain(
      `service (variant join) at http://127.0.0.1:${sutPort}: Prometheus can scrape http://127.0.0.1:${sutPort}/metrics`,
    );
    // smoke judges its steady part: the threshold's mark is on that sub-metric, k6's way
    expect(run.stdout).toMatch(/\n {4}event_to_commit\.+: avg=/);
    expect(run.stdout).toMatch(/\n +[✓✗] \{ scenario:steady \}\.+: avg=/);
    expect(run.stdout).toMatch(/parts: +warmup 0s-10s, steady 10s-14s/);
    expect(run.stdout).toMatch(/settling: flush p95 /);
    expect(run.stdout).toMatch(/machine: \d+ cores, load average/);
    expect(run.stdout).toMatch(/│ Partition 0 │/);
    expect(run.stdout).toMatch(/flush size: predicted [\d.]+ rows/);
    expect(run.stdout).toMatch(
      /database CPU constrained +│ not available: the database is not one this harness started/,
    );
    expect(run.stdout).toMatch(/verdict: (KEEP|REVISIT)/);
    expect(run.stdout.trimEnd().split('\n').pop()).toBe(`results: ${output}`);
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(result.name).toBe('smoke');
    expect(result.thresholds.map((t) => t.metric)).toContain('event_to_commit{scenario:steady}');
    expect(result.metrics.steadyScenario).toBe('steady');
    expect(result.metrics.machine?.cores).toBeGreaterThan(0);
    expect(result.thresholds.every((t) => t.ok)).toBe(run.code === 0);
    expect(result.metrics.series.length).toBeGreaterThanOrEqual(3);
    expect(result.metrics.partitions.reduce((s, p) => s + p.flushes, 0)).toBeGreaterThan(0);
    const exported = JSON.parse(readFileSync(summaryExport, 'utf8')) as {
      metrics: Record<string, { thresholds?: Record<string, boolean> }>;
    };
    expect(exported.metrics['flush_duration{scenario:steady}']?.thresholds).toEqual({
      'p(95)<50': !result.thresholds.find((t) => t.metric === 'flush_duration{scenario:steady}')
        ?.ok,
    });
    const data = JSON.parse(readFileSync(summaryData, 'utf8')) as {
      metrics: Record<string, { type: string }>;
      state: { testRunDurationMs: number };
    };
    expect(data.metrics.event_to_commit?.type).toBe('trend');
    expect(data.state.testRunDurationMs).toBeGreaterThan(4000);
  });

  it('exits 99 when a threshold fails, after printing the summary', async () => {
    const run = await runHarness(
      ['run', fixture('failing-threshold.ts'), '--output', join(dir, 'fail.json')],
      { DATABASE_URL: db.url },
    );
    expect(run.code).toBe(99);
    expect(run.stdout).toMatch(/✗ flush_size/);
    expect(run.stdout).toMatch(/│ flush_size +│ max<0 +│ +\d+ │ FAILED │/);
    expect(run.stderr).toMatch(/1 threshold failed: flush_size max<0/);
    // CI pipelines turn k6's console summary into JUnit with k6-to-junit: it must see the suite
    // (from the `script:` line) and the failed threshold.
    const parser = new K6Parser();
    await parser.parse(run.stdout);
    const xml = parser.toXml();
    expect(xml).toMatch(/<testsuites tests="\d+" failures="1"/);
    expect(xml).toMatch(/<testsuite name="[^"]*failing-threshold\.ts"/);
    expect(xml).toMatch(/<testcase name="flush_size">\s*<failure/);
    expect(parser.allPassed()).toBe(false);
  });

  it('fails a run whose flushes apply increments to the wrong rows: exit 99, WRONG RESULTS, the audit in the table and the results', async () => {
    const output = join(dir, 'wrong.json');
    const run = await runHarness(['run', fixture('wrong-results.ts'), '--output', output], {
      DATABASE_URL: db.url,
    });
    // No threshold names the audit: wrong results fail the run all the same.
    expect(run.code, run.stderr).toBe(99);
    expect(run.stderr).toMatch(
      /WRONG RESULTS, the audit failed: correlated: lost_increments [\d,]+ in [\d,]+ rows; correlated: doubled_increments [\d,]+ in [\d,]+ rows/,
    );
    expect(run.stderr).not.toMatch(/join: /);
    expect(run.stdout).toMatch(/│ audit: doubled_increments +│ count==0 +│ +[\d,]+ │ FAILED +│/);
    expect(run.stdout).toMatch(
      /^verdict: WRONG RESULTS \(variant correlated: lost_increments [\d,]+ in [\d,]+ rows; doubled_increments [\d,]+ in [\d,]+ rows\)$/m,
    );
    expect(run.stdout).toMatch(
      /│ doubled +│ [0-9a-f-]{36} │ challenge-\d+-goal-\d+ │ +exactly [\d,]+ │ +[\d,]+ │/,
    );
    const read = (variant: string) =>
      runResultSchema.parse(JSON.parse(readFileSync(join(dir, `wrong-${variant}.json`), 'utf8')));
    const correlated = read('correlated');
    expect(correlated.verdict.result).toBe('WRONG RESULTS');
    expect(correlated.verdict.audit?.variant).toBe('correlated');
    expect(correlated.verdict.audit?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['lost_increments', false],
      ['doubled_increments', false],
      ['untouchable_rows_moved', true],
    ]);
    const example = correlated.verdict.audit?.examples.find((x) => x.kind === 'doubled');
    expect(example?.expected).toMatch(/^(exactly )?[\d,]+( to [\d,]+)?$/);
    // The same load through join: every increment on its own row, the speed verdict stands.
    const joined = read('join');
    expect(['KEEP', 'REVISIT']).toContain(joined.verdict.result);
    expect(joined.verdict.audit?.checks.every((c) => c.ok && c.count === 0)).toBe(true);
    // What CI uploads: the report's JUnit XML has a test case per audit check, failed for correlated.
    const reports = join(dir, 'wrong-reports');
    const report = await runHarnessInProcess([
      'report',
      join(dir, 'wrong-correlated.json'),
      join(dir, 'wrong-join.json'),
      '--out',
      reports,
      '--name',
      'wrong',
    ]);
    expect(report.code, report.stderr).toBe(0);
    const junit = readFileSync(join(reports, 'wrong.junit.xml'), 'utf8');
    const cases = [
      ...junit.matchAll(
        /<testcase classname="([^"]+)\.audit" name="audit (\w+):[^"]*">(\s*<failure)?/g,
      ),
    ].map((m) => `${m[1]} ${m[2]} ${m[3] === undefined ? 'passed' : 'failed'}`);
    expect(cases).toEqual([
      'run.wrong-results-correlated lost_increments failed',
      'run.wrong-results-correlated doubled_increments failed',
      'run.wrong-results-correlated untouchable_rows_moved passed',
      'run.wrong-results-join lost_increments passed',
      'run.wrong-results-join doubled_increments passed',
      'run.wrong-results-join untouchable_rows_moved passed',
    ]);
  });

  it('a scenario that names the audit checks it breaks is reported WRONG RESULTS but does not fail', async () => {
    const output = join(dir, 'allowed.json');
    const run = await runHarness(['run', fixture('wrong-results-allowed.ts'), '--output', output], {
      DATABASE_URL: db.url,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /│ audit: lost_increments +│ count==0 +│ +[\d,]+ │ FAILED \(allowed by the scenario\) │/,
    );
    expect(run.stdout).toMatch(
      /^verdict: WRONG RESULTS \(variant correlated: .*allowed by the scenario/m,
    );
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(result.verdict.result).toBe('WRONG RESULTS');
    expect(result.verdict.audit?.checks.filter((c) => c.allowed).map((c) => c.name)).toEqual([
      'lost_increments',
      'doubled_increments',
    ]);
  });

  it('runs each variant of a breakpoint scenario on fresh data and reads the breakpoint side by side', async () => {
    const run = await runHarness(['run', fixture('tiny-breakpoint.ts')], { DATABASE_URL: db.url });
    expect(run.code, run.stderr).toBe(99);
    expect(run.stdout).toMatch(/variant join,/);
    expect(run.stdout).toMatch(/variant cte,/);
    expect(run.stdout).toMatch(/side by side \(event-to-commit p99 limit 1 ms, per second\)/);
    expect(run.stdout).toMatch(/│ join +│/);
    expect(run.stdout).toMatch(/│ cte +│/);
    expect(run.stderr).toMatch(/join: event_to_commit p\(99\)<1/);
    // One results file per variant, each named on a line of its own.
    const paths = [...run.stdout.matchAll(/^results: (.+)$/gm)].map((m) => m[1] as string);
    expect(paths).toHaveLength(2);
    expect(new Set(paths).size).toBe(2);
    expect(
      paths.map((p) => runResultSchema.parse(JSON.parse(readFileSync(p, 'utf8'))).name),
    ).toEqual(['tiny-breakpoint-join', 'tiny-breakpoint-cte']);
  });

  it('--variant a,b with --output writes one file per variant beside the named one', async () => {
    const output = join(dir, 'pair.json');
    const run = await runHarness(
      [
        'run',
        fixture('tiny-check.ts'),
        '--variant',
        'join,cte',
        '--duration',
        '1s',
        '--output',
        output,
      ],
      { DATABASE_URL: db.url },
    );
    expect(run.code, run.stderr).toBe(0);
    expect([...run.stdout.matchAll(/^results: (.+)$/gm)].map((m) => m[1])).toEqual([
      join(dir, 'pair-join.json'),
      join(dir, 'pair-cte.json'),
    ]);
  });

  it('runs a scenario file kept outside this repository, in a folder with no package.json', async () => {
    const own = mkdtempSync(join(tmpdir(), 'harness-own-scenario-'));
    const path = join(own, 'release.ts');
    writeFileSync(
      path,
      "import type { ScenarioOptions } from 'flush-harness';\n" +
        "export const options: ScenarioOptions = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 20, duration: '1s' } }, harness: { players: 50, goals: 5 } };\n",
    );
    const run = await runHarness(['run', path, '--output', join(own, 'r.json')], {
      DATABASE_URL: db.url,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/scenario: s \(.*release\.ts\)/);
    rmSync(own, { recursive: true, force: true });
  });

  it.each([
    [
      [fixture('bad-scenario.ts')],
      /bad-scenario\.ts is not valid:[\s\S]*rate[\s\S]*duration[\s\S]*vus[\s\S]*thresholds[\s\S]*partitons/,
    ],
    [['nope'], /scenario "nope" not found/],
    [['smoke', '--variant', 'fast'], /unknown SQL variant "fast"/],
    [['smoke', '--duration', '10x'], /--duration "10x" is not a duration/],
    [['smoke', '--rate', 'abc'], /--rate "abc" must be a number above 0/],
    [['smoke', '--rate', '1e308'], /the most the harness plans is 10,000,000 events\/s/],
    [['smoke', '--duration', '9999h'], /the longest the harness plans is 168 h/],
    [
      ['smoke', '--output', '/nonexistent/x.json'],
      /--output "\/nonexistent\/x\.json": the folder \/nonexistent does not exist/,
    ],
    [['smoke', '--variant', 'join,fast'], /unknown SQL variant "fast"/],
    [['smoke', '-e', 'NOEQUALS'], /-e "NOEQUALS" must be KEY=VALUE/],
  ])('bad scenario or options %j: exit 2, naming the file and the keys', async (args, message) => {
    const run = await runHarnessInProcess(['run', ...args], { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it.each([[[]], [['--generators', '2']]])(
    'Ctrl-C ends a run %j with its summary, its results file and exit 1, no stack trace',
    async (extra: string[]) => {
      const output = join(dir, `interrupted${extra.length}.json`);
      const child = spawn(
        process.execPath,
        [bin, 'run', fixture('tiny-check.ts'), '--duration', '60s', '--output', output, ...extra],
        { env: { ...process.env, DATABASE_URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          // A few seconds of load, then Ctrl-C to the harness alone, as a terminal sends it
          // to the foreground process (the service runs in a process group of its own).
          if (/^3 s \|/m.test(stderr)) resolve();
        });
      });
      child.kill('SIGINT');
      expect(await exited).toBe(1);
      expect(stderr).toMatch(/interrupted: stopping the load, then the service and the database/);
      expect(stderr).not.toMatch(/\n\s+at |fetch failed/);
      expect(stdout).toMatch(/aborted: +interrupted/);
      expect(stdout).toMatch(/^audit: /m);
      expect(stdout.trimEnd().split('\n').pop()).toBe(`results: ${output}`);
      expect(runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8'))).metrics.aborted).toBe(
        'interrupted',
      );
    },
  );
});
