import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import { connectClient } from '../../sut/db/pool.ts';
import { migrate } from '../../sut/db/migrate.ts';
import { silentLogger } from '../../lib/logger.ts';
import { provisionPostgres } from '../db/provision-postgres.ts';

export interface TestDatabase {
  readonly url: string;
  readonly client: pg.Client;
  drop(): Promise<void>;
}

/**
 * A fresh database on the test run's PostgreSQL, for one test file: migrated (the harness's
 * schema in place, `client` on its search_path), or, with `migrated: false`, untouched, as a
 * user's database is before the harness first meets it. With `ownServer`, on an embedded
 * server of the file's own, for tests that read server-wide figures (WAL position,
 * checkpoints) which other files' work on the shared server would move.
 */
export async function createTestDatabase(
  options: { migrated?: boolean; ownServer?: boolean } = {},
): Promise<TestDatabase> {
  const server =
    options.ownServer === true
      ? await provisionPostgres({
          source: 'embedded',
          logger: silentLogger,
          durability: 'relaxed',
          createPostgresUser: process.env.HARNESS_CREATE_POSTGRES_USER === '1',
        })
      : undefined;
  const serverUrl = server?.url ?? inject('databaseUrl');
  const name = `harness_test_${randomBytes(6).toString('hex')}`;
  const admin = await connectClient(serverUrl);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = await connectClient(url.toString());
  if (options.migrated !== false) await migrate(client);
  return {
    url: url.toString(),
    client,
    async drop() {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await server?.stop();
    },
  };
}
