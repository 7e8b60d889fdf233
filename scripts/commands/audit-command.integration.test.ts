import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';

// A run writes its ledger; `harness audit` judges the run again from the ledger alone (and
// the table, with --db). Doctored by hand, ledger or table, it must say WRONG RESULTS.
const fixture = fileURLToPath(
  new URL('../../scenarios/engine/fixtures/audit-ledger.ts', import.meta.url),
);
const dir = mkdtempSync(join(tmpdir(), 'harness-audit-test-'));
const results = join(dir, 'run.json');
const ledger = join(dir, 'run.ledger.jsonl.gz');
let db: TestDatabase;

type Line = unknown[];
const readLines = (path: string): string[] =>
  gunzipSync(readFileSync(path)).toString('utf8').trimEnd().split('\n');
const writeLines = (path: string, lines: readonly string[]) => {
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
};

/** The rows the ledger says increments may move freely: movable, not daily. */
function plainRows(lines: readonly string[]): Set<string> {
  const rows = new Set<string>();
  for (const l of lines.slice(1)) {
    const v = JSON.parse(l) as Line;
    const flags = String(v[5]);
    if (v[0] === 'r' && flags.includes('m') && !flags.includes('d'))
      rows.add(`${String(v[1])}/${String(v[2])}`);
  }
  return rows;
}

/** An acknowledged event with a goal on a plain row, its line number and that row. */
function acknowledgedOnPlainRow(lines: readonly string[], skip = 0) {
  const rows = plainRows(lines);
  let seen = 0;
  for (let i = 1; i < lines.length; i++) {
    const v = JSON.parse(lines[i] as string) as Line;
    if (v[0] !== 'e' || v[6] !== 'a') continue;
    const goal = (v[5] as string[]).find((g) => rows.has(`${String(v[3])}/${g}`));
    if (goal === undefined || seen++ < skip) continue;
    return { i, event: v, player: v[3] as string, goal };
  }
  throw new Error('no acknowledged event on a plain row');
}

beforeAll(async () => {
  db = await createTestDatabase();
  const run = await runHarness(['run', fixture, '--output', results], {
    DATABASE_URL: db.url,
    HARNESS_RESULTS_DIR: dir,
    HARNESS_LOG_LEVEL: 'warn',
  });
  expect([0, 99], run.stderr + run.stdout).toContain(run.code);
  expect(run.stdout).toContain(`ledger: ${ledger} (check it with harness audit ${results})`);
}, 180_000);
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('harness audit', () => {
  it('an untouched ledger passes, and the results file agrees with it', async () => {
    const lines = readLines(ledger);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      format: 'flush-harness-ledger',
      version: 1,
      variant: 'join',
      transport: 'http',
      table: 'flush_harness.user_goal_progress',
    });
    expect(JSON.parse(lines[lines.length - 1] as string)).toEqual(['end', 120, 10_000, 0]);
    const run = await runHarnessInProcess(['audit', results]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^ {2}lost increments 0 outside the crash windows; doubled 0;/m);
    expect(run.stdout).toContain(`the results file ${results} agrees`);
    expect(run.stdout).toContain('audit: PASS');
  });

  it('an untouched table read from the database passes', async () => {
    const run = await runHarnessInProcess(['audit', results, '--ledger', ledger, '--db', db.url]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('the table holds exactly the after state the ledger recorded');
  });

  it('a ledger doctored by hand (one increment taken out of an event, one added to another) is caught: exit 99', async () => {
    const lines = readLines(ledger);
    const removed = acknowledgedOnPlainRow(lines, 0);
    const added = acknowledgedOnPlainRow(lines, 1);
    const doctored = [...lines];
    doctored[removed.i] = JSON.stringify(
      removed.event.map((x, k) => (k === 4 ? (x as number) - 1 : x)),
    );
    doctored[added.i] = JSON.stringify(
      added.event.map((x, k) => (k === 4 ? (x as number) + 1 : x)),
    );
    const path = join(dir, 'doctored.ledger.jsonl.gz');
    writeLines(path, doctored);
    const run = await runHarnessInProcess(['audit', results, '--ledger', path]);
    expect(run.code, run.stderr + run.stdout).toBe(99);
    // An increment the ledger no longer sends is in the table: over; one more acknowledged
    // than the table holds: short.
    expect(run.stdout).toMatch(/^ {2}lost increments [1-9][\d,]* outside the crash windows/m);
    expect(run.stdout).toMatch(/doubled [1-9]/);
    expect(run.stdout).toContain(`  short: ${added.player} / `);
    expect(run.stdout).toContain(`  over: ${removed.player} / `);
    expect(run.stdout).toMatch(
      /disagrees:\n {2}- lost increments: the results say 0, the ledger gives [1-9]/,
    );
    expect(run.stderr).toContain('WRONG RESULTS');
  });

  it('a table doctored by hand (one increment removed from a row, one doubled on another) is caught with --db: exit 99', async () => {
    const lines = readLines(ledger);
    const short = acknowledgedOnPlainRow(lines, 0);
    const over = acknowledgedOnPlainRow(lines, 1);
    const update = (player: string, goal: string, by: number) =>
      db.client.query(
        'UPDATE flush_harness.user_goal_progress SET progress = progress + $3 WHERE user_id = $1 AND goal_id = $2',
        [player, goal, by],
      );
    await update(short.player, short.goal, -1);
    await update(over.player, over.goal, over.event[4] as number);
    const run = await runHarnessInProcess(['audit', results, '--db', db.url]);
    expect(run.code, run.stderr + run.stdout).toBe(99);
    expect(run.stdout).toContain("the table differs from the ledger's after state in 2 rows");
    expect(run.stdout).toMatch(
      /^ {2}lost increments 1 outside the crash windows \(1 rows short\); doubled [1-9]/m,
    );
    expect(run.stdout).toContain(`  short: ${short.player} / ${short.goal}:`);
    expect(run.stdout).toContain(`  over: ${over.player} / ${over.goal}:`);
    // Put back, the table passes again.
    await update(short.player, short.goal, 1);
    await update(over.player, over.goal, -(over.event[4] as number));
    expect((await runHarnessInProcess(['audit', results, '--db', db.url])).code).toBe(0);
  });

  it('bad input: not a ledger, a truncated one, no ledger beside the results: exit 2 naming it', async () => {
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, '{"format":"something-else"}\n');
    const notLedger = await runHarnessInProcess(['audit', results, '--ledger', other]);
    expect(notLedger.code).toBe(2);
    expect(notLedger.stderr).toMatch(/line 1: not an audit ledger/);
    const json = await runHarnessInProcess(['audit', results, '--ledger', results]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/line 1: not JSON/);
    const lines = readLines(ledger);
    const truncated = join(dir, 'truncated.ledger.jsonl.gz');
    writeLines(truncated, lines.slice(0, 50));
    const cut = await runHarnessInProcess(['audit', results, '--ledger', truncated]);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/has no end line: it is truncated/);
    const lone = join(dir, 'lone.json');
    writeFileSync(lone, readFileSync(results));
    const missing = await runHarnessInProcess(['audit', lone]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no ledger beside ${lone}`);
  });
});
