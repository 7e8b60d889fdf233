import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { connectClient } from '../../sut/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness } from '../testing/run-harness.ts';

// What the harness meets on a staging server that is not all its own: a production-shaped
// table whose trigger writes an audit log, a read-only default, a role with few grants. Each
// is refused with exit 2 and what to change, before the harness creates anything.
const PRODUCTION_DDL = readFileSync(
  fileURLToPath(new URL('../../sut/db/migrations/0001_user_goal_progress.sql', import.meta.url)),
  'utf8',
);

let db: TestDatabase;
let dir: string;
const role = `harness_limited_${randomBytes(4).toString('hex')}`;
const env = (url = db.url) => ({ DATABASE_URL: url, HARNESS_RESULTS_DIR: dir });
const seedArgs = ['seed', '--players', '20', '--goals', '3'];

async function createProductionTable(client: pg.ClientBase, table: string): Promise<void> {
  await client.query('BEGIN');
  await client.query('SET LOCAL search_path = public');
  await client.query(PRODUCTION_DDL.replace(/user_goal_progress/g, table));
  await client.query('COMMIT');
}

async function harnessSchemaExists(): Promise<boolean> {
  const { rows } = await db.client.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'flush_harness'",
  );
  return Number(rows[0]?.n) > 0;
}

async function auditRows(): Promise<number> {
  const { rows } = await db.client.query<{ n: string }>(
    'SELECT count(*) AS n FROM public.audit_log',
  );
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  dir = mkdtempSync(join(tmpdir(), 'harness-table-safety-'));
  await db.client.query(
    'CREATE TABLE public.audit_log (id SERIAL PRIMARY KEY, user_id TEXT, at TIMESTAMPTZ DEFAULT now())',
  );
  await db.client
    .query(`CREATE FUNCTION public.log_progress() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.audit_log (user_id) VALUES (NEW.user_id); RETURN NEW; END $$`);
  await createProductionTable(db.client, 'ugp_triggered');
  await db.client.query(
    'CREATE TRIGGER ugp_audit AFTER UPDATE ON public.ugp_triggered FOR EACH ROW EXECUTE FUNCTION public.log_progress()',
  );
  await createProductionTable(db.client, 'ugp_seed_trigger');
  await db.client.query(
    'CREATE TRIGGER ugp_stamp BEFORE INSERT ON public.ugp_seed_trigger FOR EACH ROW EXECUTE FUNCTION public.log_progress()',
  );
  await createProductionTable(db.client, 'ugp_ruled');
  await db.client.query(
    'CREATE RULE ugp_log AS ON UPDATE TO public.ugp_ruled DO ALSO INSERT INTO public.audit_log (user_id) VALUES (NEW.user_id)',
  );
  await createProductionTable(db.client, 'ugp_plain');
});

afterAll(async () => {
  await db.drop();
  const admin = await connectClient(inject('databaseUrl'));
  try {
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await admin.end();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("a user's table is written only as documented", () => {
  it('refuses a table whose triggers or rules fire on the harness writes, naming each, and creates nothing', async () => {
    const updated = await runHarness([...seedArgs, '--table', 'public.ugp_triggered'], env());
    expect(updated.code, updated.stderr).toBe(2);
    expect(updated.stderr).toMatch(
      /^error: --table public\.ugp_triggered has triggers or rules that fire when the harness writes it.*pass --allow-triggers/m,
    );
    expect(updated.stderr).toMatch(
      /^ {2}- trigger ugp_audit: AFTER UPDATE FOR EACH ROW, runs (public\.)?log_progress\(\)$/m,
    );
    expect(updated.stderr).not.toMatch(/\n\s+at /);

    const seeded = await runHarness([...seedArgs, '--table', 'public.ugp_seed_trigger'], env());
    expect(seeded.code, seeded.stderr).toBe(2);
    expect(seeded.stderr).toMatch(/- trigger ugp_stamp: BEFORE INSERT FOR EACH ROW, runs/);

    const ruled = await runHarness([...seedArgs, '--table', 'public.ugp_ruled'], env());
    expect(ruled.code, ruled.stderr).toBe(2);
    expect(ruled.stderr).toMatch(
      /- rule ugp_log: ON UPDATE, DO INSERT INTO (public\.)?audit_log \(user_id\)/,
    );

    // Refused before the harness made its own schema: nothing is left behind.
    expect(await harnessSchemaExists()).toBe(false);
    expect(await auditRows()).toBe(0);
  });

  it('with --allow-triggers writes the table, and the start-up line names the triggers instead of claiming nothing else changes', async () => {
    const seeded = await runHarness(
      [...seedArgs, '--table', 'public.ugp_triggered', '--allow-triggers'],
      env(),
    );
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/seeded public\.ugp_triggered: 60 rows/);
    expect(seeded.stderr).toMatch(
      /your table public\.ugp_triggered \(--table\), whose triggers and rules fire on these writes and may change other tables \(--allow-triggers\): trigger ugp_audit: AFTER UPDATE/,
    );
    expect(seeded.stderr).not.toMatch(/nothing else is changed/);

    const plain = await runHarness([...seedArgs, '--table', 'public.ugp_plain'], env());
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(
      /your table public\.ugp_plain \(--table\), which has no triggers or rules that fire on these writes; nothing else is changed/,
    );
  });

  it('refuses a read-only server with exit 2 and the setting to change', async () => {
    const name = new URL(db.url).pathname.slice(1);
    await db.client.query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
    try {
      const r = await runHarness([...seedArgs, '--schema', 'read_only_try'], env());
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /^error: PostgreSQL sessions of \S+ on \S+ are read-only \(default_transaction_read_only = on\).*ALTER ROLE \S+ IN DATABASE \S+ SET default_transaction_read_only = off$/m,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await db.client.query(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
    }
    const { rows } = await db.client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'read_only_try'",
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('names the GRANT a role without privileges needs, and creates nothing until it has them', async () => {
    const name = new URL(db.url).pathname.slice(1);
    await db.client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'limited'`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'limited';
    const asRole = env(url.toString());

    const noCreate = await runHarness([...seedArgs, '--schema', 'limited_harness'], asRole);
    expect(noCreate.code, noCreate.stderr).toBe(2);
    expect(noCreate.stderr).toMatch(
      new RegExp(
        `^error: role ${role} may not create schema limited_harness \\(no CREATE on database ${name}\\).*GRANT CREATE ON DATABASE ${name} TO ${role}`,
        'm',
      ),
    );
    expect(noCreate.stderr).not.toMatch(/\n\s+at /);

    await db.client.query(`GRANT CREATE ON DATABASE ${name} TO ${role}`);
    const noTable = await runHarness(
      [...seedArgs, '--schema', 'limited_harness', '--table', 'public.ugp_plain', '--replace-rows'],
      asRole,
    );
    expect(noTable.code, noTable.stderr).toBe(2);
    expect(noTable.stderr).toMatch(
      new RegExp(
        `--table public\\.ugp_plain: role ${role} may not write it as the harness does.*missing: GRANT SELECT, INSERT, UPDATE, TRUNCATE ON public\\.ugp_plain TO ${role}$`,
        'm',
      ),
    );
    const { rows } = await db.client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'limited_harness'",
    );
    expect(Number(rows[0]?.n)).toBe(0);

    await db.client.query(`GRANT SELECT, INSERT, UPDATE, TRUNCATE ON public.ugp_plain TO ${role}`);
    const granted = await runHarness(
      [...seedArgs, '--schema', 'limited_harness', '--table', 'public.ugp_plain', '--replace-rows'],
      asRole,
    );
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toMatch(/seeded public\.ugp_plain: 60 rows/);
  });

  it('takes back the schema it created when the server refuses what goes in it', async () => {
    // A DBA's policy the privilege checks cannot see: no tables in this schema.
    await db.client
      .query(`CREATE FUNCTION public.no_tables_here() RETURNS event_trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE schema_name = 'policy_harness') THEN
          RAISE EXCEPTION 'no tables in policy_harness' USING ERRCODE = 'insufficient_privilege';
        END IF;
      END $$`);
    await db.client.query(
      "CREATE EVENT TRIGGER no_tables_here ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.no_tables_here()",
    );
    try {
      const r = await runHarness([...seedArgs, '--schema', 'policy_harness'], env());
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /^error: PostgreSQL refused the harness's schema policy_harness: no tables in policy_harness;/m,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await db.client.query('DROP EVENT TRIGGER no_tables_here');
    }
    const { rows } = await db.client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'policy_harness'",
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
