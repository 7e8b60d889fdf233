import type pg from 'pg';
import { UsageError } from '../../lib/errors.ts';

/**
 * The schema the harness keeps everything it creates in: its copy of the progress table, its
 * migrations record, Kafka offsets. On a user's server nothing outside it is written unless
 * the user names a table of theirs (`--table`) and says its rows may be replaced.
 */
export const DEFAULT_HARNESS_SCHEMA = 'flush_harness';

/**
 * The harness's migrations record. Its presence is also what marks a schema as the
 * harness's own: a schema that holds other relations and not this one belongs to someone else.
 */
export const MIGRATIONS_TABLE = 'harness_migrations';

/** Unquoted PostgreSQL identifiers only: they go into search_path and into SQL text. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPlainIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function parseSchemaName(value: string, flag = '--schema'): string {
  if (!isPlainIdentifier(value))
    throw new UsageError(
      `${flag} "${value}" is not a plain schema name: lower-case letters, digits and _, starting with a letter or _, at most 63 characters`,
    );
  if (value.startsWith('pg_') || value === 'information_schema' || value === 'public')
    throw new UsageError(
      `${flag} "${value}": the harness needs a schema of its own, not a system schema or public`,
    );
  return value;
}

/**
 * Makes sure `schema` is the harness's to write in: creates it when missing, adopts it when it
 * exists and is empty (a schema a DBA created for the harness), and refuses a schema that
 * holds relations of someone else's. Call under the migration lock.
 */
export async function prepareHarnessSchema(
  client: pg.ClientBase,
  schema: string,
): Promise<'created' | 'adopted' | 'existing'> {
  const { rows } = await client.query<{ relations: string; marked: boolean }>(
    `SELECT (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid) AS relations,
            EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = $2
                      AND c.relkind = 'r') AS marked
       FROM pg_namespace n WHERE n.nspname = $1`,
    [schema, MIGRATIONS_TABLE],
  );
  const found = rows[0];
  if (found === undefined) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    return 'created';
  }
  if (found.marked) return 'existing';
  if (Number(found.relations) === 0) return 'adopted';
  throw new UsageError(
    `schema "${schema}" exists and holds ${found.relations} relations the harness did not create (it has no ${MIGRATIONS_TABLE} table); the harness writes only in a schema of its own: pass --schema with another name`,
  );
}
