import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness } from '../testing/run-harness.ts';

// A user's database as the harness meets it on a staging server: the production table with
// rows of its own, another migration tool's bookkeeping, an unrelated table. Every command
// that writes must work there and leave all of it exactly as it was.
const PRODUCTION_DDL = readFileSync(
  fileURLToPath(new URL('../../sut/db/migrations/0001_user_goal_progress.sql', import.meta.url)),
  'utf8',
);
const tinyCheck = fileURLToPath(
  new URL('../../scenarios/engine/fixtures/tiny-check.ts', import.meta.url),
);

let db: TestDatabase;
let dir: string;
const env = () => ({ DATABASE_URL: db.url, HARNESS_RESULTS_DIR: dir });

async function createProductionTable(client: pg.ClientBase, schema: string, table: string) {
  await client.query('BEGIN');
  await client.query(`SET LOCAL search_path = ${schema}`);
  await client.query(PRODUCTION_DDL.replace(/user_goal_progress/g, table));
  await client.query('COMMIT');
}

async function seedUserDatabase(client: pg.ClientBase): Promise<void> {
  await createProductionTable(client, 'public', 'user_goal_progress');
  await client.query(
    `INSERT INTO public.user_goal_progress (user_id, goal_id, challenge_id, namespace, progress, status, updated_at)
     SELECT 'player-' || p, 'goal-' || g, 'challenge-' || (g % 3), 'prod', p % 7, 'in_progress', TIMESTAMP '2026-01-01' + p * INTERVAL '1 minute'
       FROM generate_series(1, 40) p, generate_series(1, 5) g`,
  );
  // golang-migrate's bookkeeping: a name a harness of old wrote too.
  await client.query(
    'CREATE TABLE public.schema_migrations (version BIGINT PRIMARY KEY, dirty BOOLEAN NOT NULL)',
  );
  await client.query('INSERT INTO public.schema_migrations VALUES (20240611120000, false)');
  await client.query('CREATE TABLE public.players (id SERIAL PRIMARY KEY, name TEXT NOT NULL)');
  await client.query(`INSERT INTO public.players (name) VALUES ('ada'), ('grace'), ('edsger')`);
}

/** Every row of every table in public, and every relation and column there: what must not move. */
async function publicFingerprint(client: pg.ClientBase): Promise<Record<string, string>> {
  const { rows: relations } = await client.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1`,
  );
  const out: Record<string, string> = {
    relations: relations.map((r) => `${r.name}:${r.kind}`).join(','),
  };
  const { rows: columns } = await client.query<{ d: string }>(
    `SELECT string_agg(table_name || '.' || column_name || ' ' || data_type, ',' ORDER BY table_name, ordinal_position) AS d
       FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  out.columns = columns[0]?.d ?? '';
  for (const r of relations.filter((x) => x.kind === 'r')) {
    const { rows } = await client.query<{ sum: string; n: string }>(
      `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum, count(*) AS n FROM public.${r.name} t`,
    );
    out[r.name] = `${rows[0]?.n} rows, md5 ${rows[0]?.sum}`;
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  dir = mkdtempSync(join(tmpdir(), 'harness-user-db-'));
  await seedUserDatabase(db.client);
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a user's database", () => {
  it('seed, sweep --quick, run smoke and check all work there, and change nothing outside the harness schema', async () => {
    const before = await publicFingerprint(db.client);
    expect(before.user_goal_progress).toMatch(/^200 rows/);

    const seed = await runHarness(['seed', '--players', '100', '--goals', '10'], env());
    expect(seed.code, seed.stderr).toBe(0);
    expect(seed.stdout).toMatch(/seeded flush_harness\.user_goal_progress: 1,000 rows/);
    expect(seed.stderr).toMatch(/the harness writes in schema flush_harness \(created now\)/);

    const sweep = await runHarness(
      [
        'sweep',
        '--quick',
        '--players',
        '300',
        '--goals',
        '10',
        '--sizes',
        '10,100',
        '--min-time',
        '30',
      ],
      env(),
    );
    expect(sweep.code, sweep.stderr).toBe(0);

    const run = await runHarness(['run', 'smoke', '--duration', '3s'], env());
    // Timing thresholds depend on how busy the machine is: 0 or 99, a finished run either way.
    expect([0, 99], run.stderr).toContain(run.code);
    expect(run.stdout).toMatch(/^results: /m);

    const check = await runHarness(['check', '--scenario', tinyCheck, '--duration', '3s'], env());
    expect(check.code, check.stderr + check.stdout).toBe(0);

    expect(await publicFingerprint(db.client)).toEqual(before);
    // The harness kept its own books, in its own schema, and never read golang-migrate's.
    const { rows } = await db.client.query<{ version: number }>(
      'SELECT version FROM flush_harness.harness_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
    // Four whole commands, each seeding 500,000 rows (smoke's 10 s warm-up runs whatever
    // --duration says, and check runs a sweep and a run of its own): near 150 s alone, more
    // than 180 s beside the other worker's tests on two cores.
  }, 420_000);

  it('refuses to write a named table that holds rows, unless told the rows may go', async () => {
    const before = await publicFingerprint(db.client);
    const refused = await runHarness(['seed', '--table', 'public.user_goal_progress'], env());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^error: --table public\.user_goal_progress holds rows, .*pass --replace-rows/m,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    for (const args of [
      ['seed', '--table', 'public.players'],
      ['seed', '--table', 'public.nope'],
      ['seed', '--table', 'user_goal_progress'],
      ['seed', '--replace-rows'],
      ['seed', '--schema', 'public'],
    ]) {
      const r = await runHarness(args, env());
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(await publicFingerprint(db.client)).toEqual(before);
  });

  it("flushes into a user's empty table when named, and into one with rows with --replace-rows", async () => {
    await createProductionTable(db.client, 'public', 'load_test_progress');
    const seeded = await runHarness(
      ['seed', '--table', 'public.load_test_progress', '--players', '300', '--goals', '10'],
      env(),
    );
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/seeded public\.load_test_progress: 3,000 rows/);
    // It holds the harness's rows now, so the next write needs leave like any other table.
    const again = await runHarness(
      ['sweep', '--quick', '--table', 'public.load_test_progress'],
      env(),
    );
    expect(again.code).toBe(2);
    // Every variant, with the table's qualified name written into it, updates every row it names.
    const sweep = await runHarness(
      [
        'sweep',
        '--quick',
        '--table',
        'public.load_test_progress',
        '--replace-rows',
        '--players',
        '300',
        '--goals',
        '10',
        '--sizes',
        '10,100',
        '--min-time',
        '30',
      ],
      env(),
    );
    expect(sweep.code, sweep.stderr).toBe(0);
    const sum = async () =>
      Number(
        (
          await db.client.query<{ s: string }>(
            'SELECT sum(progress) AS s FROM public.load_test_progress',
          )
        ).rows[0]?.s,
      );
    const run = await runHarness(
      ['run', tinyCheck, '--table', 'public.load_test_progress', '--replace-rows'],
      env(),
    );
    expect(run.code, run.stderr).toBe(0);
    const afterRun = await sum();
    expect(afterRun).toBeGreaterThan(0);
    const { rows } = await db.client.query<{ n: string }>(
      "SELECT count(*) AS n FROM public.load_test_progress WHERE updated_at > now() - interval '5 minutes' AND status <> 'not_started'",
    );
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
  });

  it("refuses a schema of someone else's", async () => {
    await db.client.query('CREATE SCHEMA reporting');
    await db.client.query('CREATE TABLE reporting.daily (day DATE PRIMARY KEY)');
    const r = await runHarness(['seed', '--schema', 'reporting', '--players', '10'], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /schema "reporting" exists and holds 2 relations the harness did not create/,
    );
    const { rows } = await db.client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'reporting'",
    );
    expect(Number(rows[0]?.n)).toBe(2);
  });
});
