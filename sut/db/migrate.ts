import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import {
  DEFAULT_HARNESS_SCHEMA,
  MIGRATIONS_TABLE,
  prepareHarnessSchema,
} from './harness-schema.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Any constant: serialises concurrent migrators (several test workers, two harness runs). */
const MIGRATION_LOCK_KEY = 7_301_446;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: await readFile(`${dir}${file}`, 'utf8'),
    })),
  );
}

export interface MigrationOutcome {
  /** What became of the harness's schema: made now, an empty one taken on, or its own from before. */
  readonly schema: 'created' | 'adopted' | 'existing';
  /** Versions applied now. */
  readonly applied: number[];
}

/**
 * Applies the migrations the harness's schema has not seen, each in its own transaction, and
 * records them in `<schema>.harness_migrations`. Everything it creates goes into `schema`
 * (created when missing; refused when it belongs to someone else, see harness-schema.ts):
 * a user's `public.schema_migrations` or `public.user_goal_progress` are never read or written.
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string = DEFAULT_HARNESS_SCHEMA,
  migrations?: Migration[],
): Promise<MigrationOutcome> {
  const all = migrations ?? (await loadMigrations());
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    const state = await prepareHarnessSchema(client, schema);
    const record = `${schema}.${MIGRATIONS_TABLE}`;
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${record} (
         version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${record}`);
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        // The migration files name their tables unqualified: they land in the harness's schema
        // whatever the connection's search_path says.
        await client.query(`SET LOCAL search_path = ${schema}`);
        await client.query(m.sql);
        await client.query(`INSERT INTO ${record} (version, name) VALUES ($1, $2)`, [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      applied.push(m.version);
    }
    return { schema: state, applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
