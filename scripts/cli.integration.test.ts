import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './testing/test-database.ts';
import { runHarness } from './testing/run-harness.ts';

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
    expect(run.stdout).toMatch(/check \[options\]/);
    expect(run.stdout).toMatch(/seed \[options\]/);
  });

  it('check: seeds, applies every variant, verifies row counts and prints the table', async () => {
    const run = await runHarness(
      ['check', '--players', '100', '--goals', '10', '--rounds', '3', '--batch-size', '25'],
      { DATABASE_URL: db.url },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/seeded 1,000 rows in [\d.]+ s \([\d,]+ rows\/s\)/);
    for (const variant of ['correlated', 'cte', 'join'])
      expect(run.stdout).toMatch(new RegExp(`│ ${variant}\\s+│\\s+25 rows`));
    expect(run.stdout).toContain('every batch updated all 25 rows it named');
  });

  it('seed: fills the table on DATABASE_URL', async () => {
    const run = await runHarness(['seed', '--players', '20', '--goals', '5'], {
      DATABASE_URL: db.url,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/seeded 100 rows/);
    const { rows } = await db.client.query<{ n: string }>(
      'SELECT count(*) AS n FROM user_goal_progress',
    );
    expect(rows[0]?.n).toBe('100');
  });

  it.each([
    [['check', '--players', '0'], /--players "0" is not a positive integer/],
    [['check', '--batch-size', '1.5'], /--batch-size "1.5" is not a positive integer/],
    [
      ['check', '--variant', 'nope', 'join'],
      /unknown SQL variant "nope"; the variants are: correlated, cte, join/,
    ],
    [
      ['check', '--db', 'docker'],
      /--db "docker" is not one of auto, url, embedded, testcontainers/,
    ],
    [['check', '--inactive-share', '2'], /--inactive-share "2" is not a share between 0 and 1/],
    [
      ['check', '--players', '10', '--goals', '2', '--batch-size', '5000'],
      /--batch-size 5000 exceeds the 20 rows seeded/,
    ],
    [
      ['check', '--players', '10', '--goals', '2', '--batch-size', '20'],
      /--batch-size 20 exceeds the 1\d updatable rows seeded/,
    ],
    [['nope'], /unknown command 'nope'/],
  ])('bad input %j: one clear message, exit code 2', async (args, message) => {
    const run = await runHarness(args, { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreachable DATABASE_URL: exit code 2, naming it', async () => {
    const run = await runHarness(['check'], {
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/postgres',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /cannot connect to DATABASE_URL \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres\)/,
    );
  });
});
