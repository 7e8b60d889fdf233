import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateResultSchema } from '../../results/schema/result-schema.ts';
import { startChildSut } from '../../sut/service/child-sut.ts';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-simulate-test-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('harness simulate', () => {
  it('runs into memory and writes a valid results JSON', async () => {
    const output = join(dir, 'memory.json');
    const run = await runHarness([
      'simulate',
      '--players',
      '200',
      '--rate',
      '500',
      '--duration',
      '1s',
      '--output',
      output,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/│ 500 +│ +500 │ +0 │ 500\.0 ev\/s │/);
    expect(run.stdout.trimEnd().split('\n').pop()).toBe(`results: ${output}`);
    const result = simulateResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(result.metrics).toMatchObject({ scheduled: 500, sent: 500, dropped: 0 });
    expect(result.metrics.partitions).toHaveLength(8);
  });

  it('drives the service over HTTP: every event delivered, none failed', async () => {
    const sut = await startChildSut(['--no-database']);
    try {
      const output = join(dir, 'http.json');
      const run = await runHarness([
        'simulate',
        '--sink',
        'http',
        '--target',
        sut.url,
        '--rate',
        '2000',
        '--duration',
        '2s',
        '--output',
        output,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const { metrics } = simulateResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
      expect(metrics.sent).toBe(4000);
      expect(metrics.sink).toMatchObject({ delivered: 4000, rejected: 0, failed: 0 });
      const served = await (await fetch(`${sut.url}/metrics`)).text();
      const accepted = [
        ...served.matchAll(/^harness_events_accepted_total\{[^}]*\} (\d+)$/gm),
      ].reduce((s, m) => s + Number(m[1]), 0);
      expect(accepted).toBe(4000);
    } finally {
      await sut.stop();
    }
  });

  it('counts failed requests when the service is down, and never retries them', async () => {
    const output = join(dir, 'down.json');
    const run = await runHarness([
      'simulate',
      '--sink',
      'http',
      '--target',
      'http://127.0.0.1:1',
      '--rate',
      '200',
      '--duration',
      '1s',
      '--output',
      output,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0 delivered, 0 rejected, 200 failed/);
    expect(run.stdout).toMatch(/ECONNREFUSED/);
  });

  it.each([
    [['--rate', '0'], /--rate "0" must be a number above 0/],
    [['--rate', '-5'], /--rate "-5" must be a number above 0/],
    [['--duration', '10x'], /duration "10x" is not a duration/],
    [['--executor', 'ramping-arrival-rate'], /needs --stages/],
    [
      ['--executor', 'ramping-arrival-rate', '--stages', '30s=100'],
      /--stages "30s=100" does not parse/,
    ],
    [['--shard', '3/2'], /--shard "3\/2" must be i\/N with 0 <= i < N/],
    [
      ['--mix', 'login=0,wins=0'],
      /event mix weights must be numbers of at least 0 that sum to more than 0/,
    ],
    [['--mix', 'login'], /--mix "login" does not parse/],
    [['--sink', 'http', '--target', 'nowhere'], /--target "nowhere" is not a URL/],
    [
      ['--sink', 'http', '--target', 'https://127.0.0.1:8080'],
      /uses https; the HTTP sink speaks plain http/,
    ],
    [
      ['--sink', 'http', '--target', 'ftp://127.0.0.1:8080'],
      /uses ftp; the HTTP sink speaks plain http/,
    ],
    [
      ['--sink', 'http', '--target', 'http://u:secretpw@x y'],
      /--target "http:\/\/u:\*\*\*@x y" is not a URL/,
    ],
    [
      ['--sink', 'kafka', '--kafka-brokers', '127.0.0.1:1'],
      /no broker answers at --kafka-brokers 127\.0\.0\.1:1:\n {2}- 127\.0\.0\.1:1: connect ECONNREFUSED/,
    ],
    [['--output', '/nonexistent/x.json'], /the folder \/nonexistent does not exist/],
    [['--rate', '1e308', '--duration', '1s'], /the most the harness plans is 10,000,000 events\/s/],
    [['--rate', '10', '--duration', '99999999h'], /the longest the harness plans is 168 h/],
    [['--rate', '10', '--time-unit', '0s'], /timeUnit must be longer than 0/],
    [
      ['--executor', 'ramping-arrival-rate', '--stages', '1s:1e9'],
      /--stages "1s:1e9" does not parse/,
    ],
    [
      ['--executor', 'ramping-arrival-rate', '--stages', '1s:100000000'],
      /the most the harness plans is 10,000,000 events\/s/,
    ],
    [['--executor', 'per-vu-iterations'], /argument 'per-vu-iterations' is invalid/],
    [
      ['--scenarios-file', '/nonexistent/plan.json'],
      /--scenarios-file "\/nonexistent\/plan\.json" cannot be read/,
    ],
  ])(
    'bad input %j: one clear message before anything starts, exit code 2',
    async (args, message) => {
      const run = await runHarnessInProcess(['simulate', ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/secretpw|\n\s+at /);
      expect(run.stdout).toBe('');
    },
  );

  // In a process of its own: the check is that no parent talks to it over IPC, and the test
  // runner's worker has such a channel.
  it('--controlled without the run that starts generators: exit code 2', async () => {
    const run = await runHarness(['simulate', '--controlled']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--controlled is for the generators `harness run --generators N` starts/,
    );
    expect(run.stderr).not.toMatch(/secretpw|\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
