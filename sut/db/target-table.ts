import type pg from 'pg';
import { UsageError } from '../../lib/errors.ts';
import { isPlainIdentifier } from './harness-schema.ts';

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
}

/**
 * The table a command writes: the harness's own, or a table the user named. A named table
 * must exist with the production table's columns, and must be empty unless the user said
 * its rows may be replaced: the harness never changes rows it did not put there unasked.
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
  const { rows: columns } = await client.query<{ column_name: string; data_type: string }>(
    `SELECT a.attname AS column_name, format_type(a.atttypid, NULL) AS data_type
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
  const table: TargetTable = {
    sql: `${quoteIdentifier(named.schema)}.${quoteIdentifier(named.name)}`,
    label,
    owned: false,
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
