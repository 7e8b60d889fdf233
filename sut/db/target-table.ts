import type pg from 'pg';
import { UsageError } from '../../lib/errors.ts';
import { isPlainIdentifier } from './harness-schema.ts';
import { tableSideEffects } from './table-side-effects.ts';
import { assertTableAccess } from './write-access.ts';

/** The table the SQL variant files name; the harness's own copy lives in its schema. */
export const PROGRESS_TABLE_NAME = 'user_goal_progress';

/** The table increments are seeded into and flushed to. */
export interface TargetTable {
  /**
   * Its name as SQL, always schema-qualified: whatever search_path a connection ends up with
   * (a URL's own options, pgbench's session), a statement never lands in another schema.
   */
  readonly sql: string;
  /** schema.name, for messages and results. */
  readonly label: string;
  /** Whether the harness created it (its own schema): only then may it be emptied without asking. */
  readonly owned: boolean;
  /**
   * A user's table: the triggers and rules that fire when the harness writes it, each named
   * with what it runs; empty when it has none. Not empty only when the user allowed them
   * (`--allow-triggers`). Undefined for the harness's own table.
   */
  readonly sideEffects?: readonly string[];
}

/** The harness's own progress table in `schema` (created by its migrations). */
export function harnessTable(schema: string): TargetTable {
  const label = `${schema}.${PROGRESS_TABLE_NAME}`;
  return { sql: label, label, owned: true };
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface TableName {
  readonly schema: string;
  readonly name: string;
}

/** `--table schema.name`: both parts required, so there is never a guess about which schema. */
export function parseTableName(value: string, flag = '--table'): TableName {
  const parts = value.split('.');
  const [schema, name] = parts;
  if (
    parts.length !== 2 ||
    schema === undefined ||
    name === undefined ||
    !isPlainIdentifier(schema) ||
    !isPlainIdentifier(name)
  )
    throw new UsageError(
      `${flag} "${value}" must be schema.table, each a plain lower-case name (e.g. public.user_goal_progress)`,
    );
  return { schema, name };
}

/**
 * The columns a variant and the seeder use, with the types they are written with (CONTEXT of
 * the production table, docs/production-system.md).
 */
const REQUIRED_COLUMNS: Readonly<Record<string, string>> = {
  user_id: 'character varying',
  goal_id: 'character varying',
  challenge_id: 'character varying',
  namespace: 'character varying',
  progress: 'integer',
  status: 'character varying',
  completed_at: 'timestamp without time zone',
  claimed_at: 'timestamp without time zone',
  created_at: 'timestamp without time zone',
  updated_at: 'timestamp without time zone',
  is_active: 'boolean',
  assigned_at: 'timestamp without time zone',
  expires_at: 'timestamp without time zone',
};

export interface ResolveTableOptions {
  /** The harness's schema. */
  readonly schema: string;
  /** A table of the user's to use instead of the harness's own (`--table`). */
  readonly table?: TableName;
  /** The user said the named table's rows may be replaced and changed (`--replace-rows`). */
  readonly replaceRows?: boolean;
  /** The user said the named table's triggers and rules may fire on the harness's writes (`--allow-triggers`). */
  readonly allowTriggers?: boolean;
}

/**
 * The table a command writes: the harness's own, or a table the user named. A named table
 * must exist with the production table's columns, be writable by this role, have no
 * triggers or rules that fire on the harness's writes unless the user allowed them, and be
 * empty unless the user said its rows may be replaced: the harness never changes rows it did
 * not put there, nor anything a trigger of the table would, unasked.
 */
export async function resolveTargetTable(
  client: pg.ClientBase,
  options: ResolveTableOptions,
): Promise<TargetTable> {
  const named = options.table;
  if (
    named === undefined ||
    (named.schema === options.schema && named.name === PROGRESS_TABLE_NAME)
  )
    return harnessTable(options.schema);
  const label = `${named.schema}.${named.name}`;
  const { rows: columns } = await client.query<{
    oid: string;
    column_name: string;
    data_type: string;
  }>(
    `SELECT c.oid::text AS oid, a.attname AS column_name, format_type(a.atttypid, NULL) AS data_type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
        AND a.attnum > 0 AND NOT a.attisdropped`,
    [named.schema, named.name],
  );
  if (columns.length === 0)
    throw new UsageError(
      `--table ${label}: no such table; create it with the production table's definition (docs/production-system.md), or leave --table out to use the harness's own`,
    );
  const have = new Map(columns.map((c) => [c.column_name, c.data_type]));
  const problems = Object.entries(REQUIRED_COLUMNS).flatMap(([column, type]) => {
    const found = have.get(column);
    if (found === undefined) return [`column ${column} (${type}) is missing`];
    return found === type ? [] : [`column ${column} is ${found}, expected ${type}`];
  });
  if (problems.length > 0)
    throw new UsageError(`--table ${label} is not shaped like the production table:`, problems);
  const oid = columns[0]?.oid ?? '';
  await assertTableAccess(client, oid, label);
  const sideEffects = await tableSideEffects(client, oid);
  if (sideEffects.length > 0 && options.allowTriggers !== true)
    throw new UsageError(
      `--table ${label} has triggers or rules that fire when the harness writes it (it UPDATEs rows when flushing, TRUNCATEs and COPYs rows in when seeding), and may change other tables; pass --allow-triggers if they may fire, or name a table without them:`,
      sideEffects,
    );
  const table: TargetTable = {
    sql: `${quoteIdentifier(named.schema)}.${quoteIdentifier(named.name)}`,
    label,
    owned: false,
    sideEffects,
  };
  const { rows } = await client.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${table.sql}) AS any`,
  );
  if (rows[0]?.any === true && options.replaceRows !== true)
    throw new UsageError(
      `--table ${label} holds rows, and the harness replaces a table's rows when it seeds and changes them when it flushes; pass --replace-rows if they may go, or name an empty table`,
    );
  return table;
}

/**
 * A variant's statement aimed at `table`: every mention of user_goal_progress (the name the
 * variant files use) replaced by the table's qualified name. PostgreSQL accepts
 * schema.table.column, so the correlated form's column references stay valid.
 */
export function sqlForTable(sql: string, table: TargetTable): string {
  return sql.replace(/\buser_goal_progress\b/g, table.sql);
}
