import type pg from 'pg';
import { connectClient } from '../../sut/db/pool.ts';
import { migrate } from '../../sut/db/migrate.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../../sut/db/harness-schema.ts';
import { resolveTargetTable, type TableName, type TargetTable } from '../../sut/db/target-table.ts';
import { assertSchemaAccess, assertWritableSession } from '../../sut/db/write-access.ts';
import type { Logger } from '../../lib/logger.ts';
import { redactUrl } from '../lib/redact-url.ts';
import { UsageError } from '../../lib/errors.ts';
import { provisionPostgres, type DbSource } from './provision-postgres.ts';
import type { ProvisionedDatabase } from '../../scenarios/engine/provisioned-database.ts';
import {
  linkShortfall,
  openDbLink,
  type DbLink,
  type DbLinkSettings,
} from '../../scenarios/engine/db-link.ts';

export interface DatabaseSession {
  readonly database: ProvisionedDatabase;
  readonly client: pg.Client;
  readonly serverVersion: string;
  /** The harness's schema: everything it creates is in it. */
  readonly schema: string;
  /**
   * With `--db-latency`: the network in between. `database.url` then goes through it (the
   * flushers', the service's and pgbench's connections); `client` is straight to the server,
   * so seeding and the server's counters pay no round trips.
   */
  readonly link?: DbLink;
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
  /** `--allow-triggers`: the named table's triggers and rules may fire on the harness's writes. */
  readonly allowTriggers?: boolean;
  /** `--db-latency` / `--db-jitter`: a network between the harness's connections and the server. */
  readonly link?: DbLinkSettings;
  /** `--pg-version`: the major version of a server the harness starts. */
  readonly pgVersion?: number;
  /** A server by URL, whatever DATABASE_URL says (a sweep's --base-database-url). */
  readonly url?: string;
}

/** SQLSTATEs of a write the server refused for want of a privilege or on a read-only session. */
const REFUSED_WRITE = new Set(['42501', '25006']);

function refusedWrite(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && REFUSED_WRITE.has(code)) return e.message;
  }
  return undefined;
}

/**
 * Provisions PostgreSQL, connects, checks that the session may write and settles the target
 * table before migrating the harness's schema (so that a refused command creates nothing),
 * runs `work`, and always stops what it started, whether `work` succeeds or throws.
 */
export async function withDatabase<T>(
  options: WithDatabaseOptions,
  work: (session: DatabaseSession) => Promise<T>,
): Promise<T> {
  const schema = options.schema ?? DEFAULT_HARNESS_SCHEMA;
  const database = await provisionPostgres({
    source: options.url === undefined ? options.source : 'url',
    ...(options.url === undefined ? {} : { env: { DATABASE_URL: options.url } }),
    logger: options.logger,
    createPostgresUser:
      options.createPostgresUser ?? process.env.HARNESS_CREATE_POSTGRES_USER === '1',
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.pgVersion === undefined ? {} : { pgVersion: options.pgVersion }),
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
      await assertWritableSession(client);
      const table = await resolveTargetTable(client, {
        schema,
        ...(options.table === undefined ? {} : { table: options.table }),
        ...(options.replaceRows === undefined ? {} : { replaceRows: options.replaceRows }),
        ...(options.allowTriggers === undefined ? {} : { allowTriggers: options.allowTriggers }),
      });
      const { existed } = await assertSchemaAccess(client, schema);
      let migrated: Awaited<ReturnType<typeof migrate>>;
      try {
        migrated = await migrate(client, schema);
      } catch (error) {
        if (!existed) await dropIfEmpty(client, schema, options.logger);
        // The checks above cover the usual grants; a server may still refuse (a tablespace, a
        // policy): that is the user's setup to fix, said without a stack.
        const refused = refusedWrite(error);
        if (refused === undefined) throw error;
        throw new UsageError(
          `PostgreSQL refused the harness's schema ${schema}: ${refused}; the role needs CREATE on the database (or USAGE and CREATE on schema ${schema}) on a server that is not read-only`,
        );
      }
      if (migrated.applied.length > 0)
        options.logger.debug(`migrations applied: ${migrated.applied.join(', ')}`);
      options.logger.info(
        `PostgreSQL (${database.kind}): the harness writes in schema ${schema}${migrated.schema === 'existing' ? '' : ` (${migrated.schema} now)`}${userTableNote(table)}`,
      );
      const link = options.link === undefined ? undefined : await openLink(database, options);
      try {
        return await work({
          database: link === undefined ? database : { ...database, url: link.url },
          client,
          serverVersion: rows[0]?.server_version ?? 'unknown',
          schema,
          table,
          ...(link === undefined ? {} : { link }),
        });
      } finally {
        await link?.close();
      }
    } finally {
      await client.end();
    }
  } finally {
    await database.stop();
  }
}

/** Opens the link and says what it measured, and when it falls short of what was asked. */
async function openLink(
  database: ProvisionedDatabase,
  options: WithDatabaseOptions,
): Promise<DbLink> {
  const settings = options.link as DbLinkSettings;
  const link = await openDbLink(database.url, settings);
  const first = await link.measure();
  options.logger.info(
    `database link: ${settings.roundTripMs} ms round trip${settings.jitterMs > 0 ? ` (jitter ${settings.jitterMs} ms)` : ''} through the harness's proxy; measured ${first.throughRoundTripMs.toFixed(2)} ms through it, ${first.directRoundTripMs.toFixed(2)} ms straight`,
  );
  const shortfall = linkShortfall(first);
  if (shortfall !== undefined) options.logger.warn(shortfall);
  return link;
}

/**
 * Takes back the schema this command created when nothing could be put in it: a plain
 * DROP SCHEMA refuses a schema that holds anything, so what another process or an earlier
 * migration put there stays.
 */
async function dropIfEmpty(client: pg.Client, schema: string, logger: Logger): Promise<void> {
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema}`);
  } catch (error) {
    // 2BP01: it holds objects, so it is not this command's to take back.
    if ((error as { code?: unknown }).code !== '2BP01')
      logger.warn(
        `schema ${schema}, created by this command, could not be dropped: ${(error as Error).message}`,
      );
  }
}

/** The start-up line's word on the user's table: only what was checked is claimed. */
function userTableNote(table: TargetTable): string {
  if (table.owned) return '; nothing else is changed';
  const effects = table.sideEffects ?? [];
  if (effects.length === 0)
    return ` and in your table ${table.label} (--table), which has no triggers or rules that fire on these writes; nothing else is changed`;
  return ` and in your table ${table.label} (--table), whose triggers and rules fire on these writes and may change other tables (--allow-triggers): ${effects.join('; ')}`;
}
