import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHarnessInProcess, type HarnessRun } from './testing/run-harness.ts';

// Hostile argument lists, by class, run through the real CLI in this process (no database:
// DATABASE_URL names a port nobody listens on, so a command that passes its checks stops at
// the connection with exit 2 too). Every one must end in exit 0 or 2, with at most one
// `error:` message and never a stack trace, and must not write where it was not asked to.

const root = mkdtempSync(join(tmpdir(), 'harness-cli-fuzz-'));
const results = join(root, 'results');
process.env.HARNESS_RESULTS_DIR = results;
// Relative paths land in a scratch folder two levels down, so `../../decoy.txt` reaches a
// file of the test's own and nothing of the machine's: a file that is not JSON, which no
// --output may replace.
const cwd = join(root, 'a', 'b');
mkdirSync(cwd, { recursive: true });
const decoy = join(root, 'decoy.txt');
const DECOY_TEXT = 'root:x:0:0:root:/root:/bin/bash\n';
writeFileSync(decoy, DECOY_TEXT);
const startDir = process.cwd();
process.env.DATABASE_URL = 'postgres://fuzz:secretpw@127.0.0.1:1/none';
process.env.KAFKA_BROKERS = '';
beforeAll(() => {
  process.chdir(cwd);
});
afterAll(() => {
  process.chdir(startDir);
  rmSync(root, { recursive: true, force: true });
});

const number = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '1e308',
    '-1e308',
    'NaN',
    'Infinity',
    'abc',
    '',
    ' ',
    '1.5',
    '0x10',
    '１２',
    '99999999999999999999',
    '1_000',
    '5 ',
  ),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
);
/** Durations that are short or broken: a valid long one would make a run of the test. */
const duration = fc.constantFrom(
  '',
  '0s',
  '-1s',
  '1e3s',
  '10x',
  '50ms',
  '0.1s',
  '1m30',
  's',
  '1e308h',
  '99999999999999999999h',
);
const text = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '-',
    '--',
    '\u0000',
    '😀',
    '../../decoy.txt',
    '/nonexistent/x.json',
    '.',
  ),
  fc.string({ maxLength: 12 }),
);
const flagValue = <T extends string>(flag: T, value: fc.Arbitrary<string>) =>
  value.map((v) => [flag, v] as const);

const simulateFlags = fc.array(
  fc.oneof(
    flagValue('--rate', number),
    flagValue('--duration', duration),
    flagValue('--players', number),
    flagValue('--seed', number),
    flagValue('--partitions', number),
    flagValue('--skew', number),
    flagValue('--time-unit', duration),
    flagValue('--start-rate', number),
    flagValue('--stages', fc.oneof(text, fc.constantFrom('50ms:10', '1s:1e9', '50ms:x,', ':'))),
    flagValue('--executor', fc.constantFrom('ramping-arrival-rate', 'per-vu-iterations', '')),
    flagValue('--mix', fc.oneof(text, fc.constantFrom('login=1', 'wins=-1', 'x=1', 'login'))),
    flagValue('--shard', fc.oneof(text, fc.constantFrom('0/1', '1/1', '3/2', '0/0', '-1/2'))),
    flagValue('--drop-after', duration),
    flagValue('--output', text),
    flagValue('--max-batch', number),
    flagValue('--linger', number),
  ),
  { maxLength: 5 },
);

const otherCommand = fc.oneof(
  fc.tuple(
    fc.constantFrom('seed', 'sweep'),
    fc.array(
      fc.oneof(
        flagValue('--players', number),
        flagValue('--goals', number),
        flagValue('--seed', number),
        flagValue('--sizes', fc.oneof(text, fc.constantFrom('10,60', '0', '1e308', ','))),
        flagValue('--schema', text),
        flagValue('--table', text),
        flagValue('--db', text),
        flagValue('--pg-setting', text),
        flagValue('--inactive-share', number),
      ),
      { maxLength: 4 },
    ),
  ),
  fc.tuple(
    fc.constantFrom('run'),
    fc.array(
      fc.oneof(
        flagValue('--rate', number),
        flagValue('--duration', duration),
        flagValue('--variant', text),
        flagValue('--output', text),
        flagValue('--sut-port', number),
        flagValue('-e', text),
        flagValue('--schema', text),
      ),
      { maxLength: 4 },
    ),
  ),
  fc.tuple(
    fc.constantFrom('compare', 'report', 'history', 'results'),
    fc.array(flagValue('--last', number), { maxLength: 1 }),
  ),
);

function expectCleanOutcome(argv: string[], run: HarnessRun) {
  const where = `${JSON.stringify(argv)} -> ${run.code}\n${run.stderr}`;
  expect([0, 2], where).toContain(run.code);
  expect(run.stderr, where).not.toMatch(/\n\s+at [\w.<]+ \(|node:internal/);
  expect(run.stderr, where).not.toContain('secretpw');
  if (run.code === 2)
    expect(run.stderr.match(/^error:/gm)?.length ?? 0, where).toBeLessThanOrEqual(1);
}

describe('the CLI, fuzzed', () => {
  it('simulate (memory sink): exit 0 or 2, one message, no stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(simulateFlags, async (flags) => {
        const argv = ['--log-level', 'error', 'simulate', '--sink', 'memory', ...flags.flat()];
        // Nothing long: a schedule that parses is at most 0.1 s of events at the rates drawn.
        if (!argv.includes('--duration')) argv.push('--duration', '50ms');
        expectCleanOutcome(argv, await runHarnessInProcess(argv));
      }),
      { numRuns: 150 },
    );
  });

  it('seed, sweep, run, compare, report, history, results: exit 0 or 2, one message, no stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(otherCommand, async ([command, flags]) => {
        const argv = ['--log-level', 'error', command, ...flags.flat()];
        if (command === 'run') argv.splice(3, 0, 'smoke');
        expectCleanOutcome(argv, await runHarnessInProcess(argv));
      }),
      { numRuns: 120 },
    );
  });

  it('wrote nothing outside the results folder it was given, and no folder for a bad --output', () => {
    expect(readdirSync(results).every((f) => f === 'runs' || f === 'reports')).toBe(true);
  });

  it('replaced no file that was not JSON (an --output of ../../decoy.txt was refused)', () => {
    expect(readFileSync(decoy, 'utf8')).toBe(DECOY_TEXT);
  });
});
