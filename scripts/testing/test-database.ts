import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import { connectClient } from '../../sut/db/pool.ts';
import { migrate } from '../../sut/db/migrate.ts';

export interface TestDatabase {
  readonly url: string;
  readonly client: pg.Client;
  drop(): Promise<void>;
}

/**
 * A fresh database on the test run's PostgreSQL, for one test file: migrated (the harness's
 * schema in place, `client` on its search_path), or, with `migrated: false`, untouched, as a
 * user's database is before the harness first meets it.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const serverUrl = inject('databaseUrl');
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
    },
  };
}
