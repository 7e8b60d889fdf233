import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './testing/test-database.ts';
import { runHarness, runHarnessInProcess } from './testing/run-harness.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('harness CLI', () => {
  it('--help lists the commands', async () => {
    const run = await runHarness(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/sweep \[options\]/);
    expect(run.stdout).toMatch(/seed \[options\]/);
  });

  it('--version prints the version from package.json', async () => {
    const run = await runHarness(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('seed on an embedded server shows the start and the seeding as they happen', async () => {
    const run = await runHarness(['seed', '--db', 'embedded', '--players', '50', '--goals', '5'], {
      DATABASE_URL: '',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^starting an embedded PostgreSQL/m);
    expect(run.stderr).toMatch(/^embedded PostgreSQL ready in [\d.]+ s$/m);
    expect(run.stderr).toMatch(
      /^seeding flush_harness\.user_goal_progress: 100 % \(250\/250 rows done/m,
    );
  });

  it('seed: fills the table on DATABASE_URL and prints the rate', async () => {
    const run = await runHarness(['seed', '--players', '20', '--goals', '5'], {
      DATABASE_URL: db.url,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /seeded flush_harness\.user_goal_progress: 100 rows in [\d.]+ s \([\d,]+ rows\/s\)/,
    );
    const { rows } = await db.client.query<{ n: string }>(
      'SELECT count(*) AS n FROM user_goal_progress',
    );
    expect(rows[0]?.n).toBe('100');
  });

  // Refused before the command does its work: in this process (runHarnessInProcess says why).
  it.each([
    [['seed', '--players', '0'], /--players "0" is not a positive integer/],
    [['seed', '--goals', '1.5'], /--goals "1.5" is not a positive integer/],
    [['seed', '--goals', '501'], /goals per player \(501\) exceeds the catalogue's 500 goals/],
    [['seed', '--db', 'docker'], /--db "docker" is not one of auto, url, embedded, testcontainers/],
    [['seed', '--inactive-share', '2'], /--inactive-share "2" is not a share between 0 and 1/],
    [['nope'], /unknown command 'nope'/],
    [['seed', '--pg-setting', 'shared_buffers'], /--pg-setting "shared_buffers" is not name=value/],
    [['seed', '--pg-setting', '1x=2'], /--pg-setting "1x=2" is not name=value/],
  ])('bad input %j: one clear message, exit code 2', async (args, message) => {
    const run = await runHarnessInProcess(args, { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  // Refused by commander before the program runs, by the database, or by a server the command
  // started: in a process of its own, as a user meets them.
  it.each([
    [['--log-level', 'loud', 'seed'], /option '--log-level <level>' argument 'loud' is invalid/],
    [
      ['sweep', '--players', '10', '--goals', '2', '--sizes', '20', '--min-time', '0'],
      /batch size 20 is larger than the 1\d distinct updatable rows/,
    ],
    [
      ['seed', '--pg-setting', 'work_mem=8MB'],
      /--pg-setting work_mem: DATABASE_URL names a running server, which keeps its own settings/,
    ],
    [
      ['seed', '--db', 'embedded', '--pg-setting', 'shared_buffers=lots'],
      /--pg-setting shared_buffers: PostgreSQL refused it: invalid value for parameter "shared_buffers": "lots"/,
    ],
  ])(
    'bad input %j, in a process of its own: one clear message, exit code 2',
    async (args, message) => {
      const run = await runHarness(args, { DATABASE_URL: db.url });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('an unreachable DATABASE_URL: exit code 2, naming it with the password hidden', async () => {
    const run = await runHarness(['seed'], {
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/postgres',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /cannot connect to DATABASE_URL \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres\)/,
    );
  });

  it.each([
    'postgres://127.0.0.1:1/x?password=secretpw',
    'u:secretpw@127.0.0.1:1/x',
    'postgres://u:se/cretpw@127.0.0.1:1/x',
    'postgres://u:p@ssecretpw@127.0.0.1:1/x',
    'postgres://u:secretpw@127.0.0.1:1/x?sslmode=disable',
  ])('DATABASE_URL %s: exit code 2, and the password appears nowhere', async (url) => {
    const run = await runHarness(['seed'], { DATABASE_URL: url });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).not.toMatch(/secret|cret|ssecret/);
    expect(run.stdout).not.toMatch(/secret/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
