import type pg from 'pg';
import { UsageError } from '../../lib/errors.ts';

/**
 * Refuses a session that cannot write at all: a hot standby, or sessions that start
 * read-only (default_transaction_read_only, set for the server, the database or the role).
 * Said before the harness creates anything, as a usage error naming what to change.
 */
export async function assertWritableSession(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{
    standby: boolean;
    read_only: string;
    role: string;
    database: string;
  }>(
    `SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only,
            quote_ident(current_user) AS role, quote_ident(current_database()) AS database`,
  );
  const session = rows[0];
  if (session === undefined) return;
  if (session.standby)
    throw new UsageError(
      `PostgreSQL is a hot standby (in recovery, read-only): the harness creates its schema and writes tables; connect it to the primary`,
    );
  if (session.read_only === 'on')
    throw new UsageError(
      `PostgreSQL sessions of ${session.role} on ${session.database} are read-only (default_transaction_read_only = on): the harness creates its schema and writes tables; connect as a role that may write, or on a server meant for load tests: ALTER ROLE ${session.role} IN DATABASE ${session.database} SET default_transaction_read_only = off`,
    );
}

/**
 * What the harness needs to keep its own schema: CREATE on the database to make it, or USAGE
 * and CREATE on it when it is there. Each missing privilege is named with its GRANT.
 * Answers whether the schema was there already.
 */
export async function assertSchemaAccess(
  client: pg.ClientBase,
  schema: string,
): Promise<{ existed: boolean }> {
  const { rows } = await client.query<{
    exists: boolean;
    create_db: boolean;
    usage: boolean | null;
    create: boolean | null;
    role: string;
    database: string;
  }>(
    `SELECT n.oid IS NOT NULL AS exists,
            has_database_privilege(current_database(), 'CREATE') AS create_db,
            CASE WHEN n.oid IS NULL THEN NULL ELSE has_schema_privilege(n.oid, 'USAGE') END AS usage,
            CASE WHEN n.oid IS NULL THEN NULL ELSE has_schema_privilege(n.oid, 'CREATE') END AS create,
            quote_ident(current_user) AS role, quote_ident(current_database()) AS database
       FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`,
    [schema],
  );
  const found = rows[0];
  if (found === undefined) throw new Error('the privilege query returned no row');
  if (!found.exists) {
    if (!found.create_db)
      throw new UsageError(
        `role ${found.role} may not create schema ${schema} (no CREATE on database ${found.database}); a superuser or the database's owner can grant it: GRANT CREATE ON DATABASE ${found.database} TO ${found.role}; or create the schema for the harness: CREATE SCHEMA ${schema} AUTHORIZATION ${found.role}`,
      );
    return { existed: false };
  }
  const missing = [
    found.usage === true ? [] : ['USAGE'],
    found.create === true ? [] : ['CREATE'],
  ].flat();
  if (missing.length > 0)
    throw new UsageError(
      `role ${found.role} lacks ${missing.join(' and ')} on schema ${schema}, the harness's own: GRANT ${missing.join(', ')} ON SCHEMA ${schema} TO ${found.role}`,
    );
  return { existed: true };
}

/** What the harness does to a table of the user's: reads, updates (flushes), TRUNCATE and COPY (seeding). */
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'TRUNCATE'] as const;

/**
 * Refuses a table of the user's that this role cannot write as the harness does, naming the
 * GRANTs that are missing (the schema's USAGE too).
 */
export async function assertTableAccess(
  client: pg.ClientBase,
  oid: string,
  label: string,
): Promise<void> {
  const { rows } = await client.query<{
    usage: boolean;
    granted: boolean[];
    role: string;
    schema: string;
    table: string;
  }>(
    `SELECT has_schema_privilege(c.relnamespace, 'USAGE') AS usage,
            ARRAY(SELECT has_table_privilege(c.oid, p) FROM unnest($2::text[]) WITH ORDINALITY u(p, i) ORDER BY i) AS granted,
            quote_ident(current_user) AS role, quote_ident(n.nspname) AS schema,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::oid`,
    [oid, TABLE_PRIVILEGES],
  );
  const found = rows[0];
  if (found === undefined) return;
  const missing = TABLE_PRIVILEGES.filter((_, i) => found.granted[i] !== true);
  const grants = [
    ...(found.usage ? [] : [`GRANT USAGE ON SCHEMA ${found.schema} TO ${found.role}`]),
    ...(missing.length === 0
      ? []
      : [`GRANT ${missing.join(', ')} ON ${found.table} TO ${found.role}`]),
  ];
  if (grants.length > 0)
    throw new UsageError(
      `--table ${label}: role ${found.role} may not write it as the harness does (it reads it, UPDATEs it when flushing, TRUNCATEs and COPYs into it when seeding); missing: ${grants.join('; ')}`,
    );
}
