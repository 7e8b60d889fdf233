import type pg from 'pg';
import { connectClient } from '../../sut/db/pool.ts';
import { migrate } from '../../sut/db/migrate.ts';
import type { Logger } from '../lib/logger.ts';
import { UsageError } from '../lib/usage-error.ts';
import { provisionPostgres, type DbSource } from './provision-postgres.ts';
import type { ProvisionedDatabase } from './provisioned-database.ts';

export interface DatabaseSession {
  readonly database: ProvisionedDatabase;
  readonly client: pg.Client;
  readonly serverVersion: string;
}

export interface WithDatabaseOptions {
  readonly source: DbSource;
  readonly logger: Logger;
  readonly createPostgresUser?: boolean;
  /** `--pg-setting`s for a server the harness starts. */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * Provisions PostgreSQL, connects, migrates, runs `work`, and always stops what it started,
 * whether `work` succeeds or throws.
 */
export async function withDatabase<T>(
  options: WithDatabaseOptions,
  work: (session: DatabaseSession) => Promise<T>,
): Promise<T> {
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
      client = await connectClient(database.url);
    } catch (error) {
      const where = database.kind === 'url' ? 'DATABASE_URL' : `the ${database.kind} PostgreSQL`;
      throw new UsageError(
        `cannot connect to ${where} (${redact(database.url)}): ${(error as Error).message}`,
      );
    }
    try {
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      const applied = await migrate(client);
      if (applied.length > 0) options.logger.debug(`migrations applied: ${applied.join(', ')}`);
      return await work({ database, client, serverVersion: rows[0]?.server_version ?? 'unknown' });
    } finally {
      await client.end();
    }
  } finally {
    await database.stop();
  }
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
