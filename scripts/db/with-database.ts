import type pg from 'pg';
import { connectClient } from '../../sut/db/pool.ts';
import { migrate } from '../../sut/db/migrate.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../../sut/db/harness-schema.ts';
import { resolveTargetTable, type TableName, type TargetTable } from '../../sut/db/target-table.ts';
import type { Logger } from '../../lib/logger.ts';
import { redactUrl } from '../lib/redact-url.ts';
import { UsageError } from '../../lib/errors.ts';
import { provisionPostgres, type DbSource } from './provision-postgres.ts';
import type { ProvisionedDatabase } from '../../scenarios/engine/provisioned-database.ts';

export interface DatabaseSession {
  readonly database: ProvisionedDatabase;
  readonly client: pg.Client;
  readonly serverVersion: string;
  /** The harness's schema: everything it creates is in it. */
  readonly schema: string;
  /** Where increments are seeded and flushed: the harness's own table or the user's `--table`. */
  readonly table: TargetTable;
}

export interface WithDatabaseOptions {
  readonly source: DbSource;
  readonly logger: Logger;
  readonly createPostgresUser?: boolean;
  /** `--pg-setting`s for a server the harness starts. */
  readonly settings?: Readonly<Record<string, string>>;
  /** The harness's schema (`--schema`); flush_harness by default. */
  readonly schema?: string;
  /** A table of the user's to seed and flush into instead of the harness's own (`--table`). */
  readonly table?: TableName;
  /** `--replace-rows`: the named table's rows may be replaced and changed. */
  readonly replaceRows?: boolean;
}

/**
 * Provisions PostgreSQL, connects, migrates the harness's schema, settles the target table,
 * runs `work`, and always stops what it started, whether `work` succeeds or throws.
 */
export async function withDatabase<T>(
  options: WithDatabaseOptions,
  work: (session: DatabaseSession) => Promise<T>,
): Promise<T> {
  const schema = options.schema ?? DEFAULT_HARNESS_SCHEMA;
  const database = await provisionPostgres({
    source: options.source,
    logger: options.logger,
    createPostgresUser:
      options.createPostgresUser ?? process.env.HARNESS_CREATE_POSTGRES_USER === '1',
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  });
  try {
    let client: pg.Client;
    try {
      client = await connectClient(database.url, schema);
    } catch (error) {
      const where = database.kind === 'url' ? 'DATABASE_URL' : `the ${database.kind} PostgreSQL`;
      throw new UsageError(
        `cannot connect to ${where} (${redactUrl(database.url)}): ${(error as Error).message}`,
      );
    }
    // An idle session client still hears the server go away (a restart, a cut connection):
    // without a listener that 'error' event would end the process. Queries on it then fail,
    // and their callers report that.
    client.on('error', (error) => {
      options.logger.warn(`the harness's database session was lost: ${error.message}`);
    });
    try {
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      const migrated = await migrate(client, schema);
      if (migrated.applied.length > 0)
        options.logger.debug(`migrations applied: ${migrated.applied.join(', ')}`);
      const table = await resolveTargetTable(client, {
        schema,
        ...(options.table === undefined ? {} : { table: options.table }),
        ...(options.replaceRows === undefined ? {} : { replaceRows: options.replaceRows }),
      });
      options.logger.info(
        `PostgreSQL (${database.kind}): the harness writes in schema ${schema}${migrated.schema === 'existing' ? '' : ` (${migrated.schema} now)`}${table.owned ? '' : ` and in your table ${table.label} (--table, --replace-rows)`}; nothing else is changed`,
      );
      return await work({
        database,
        client,
        serverVersion: rows[0]?.server_version ?? 'unknown',
        schema,
        table,
      });
    } finally {
      await client.end();
    }
  } finally {
    await database.stop();
  }
}
