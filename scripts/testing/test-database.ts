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

/** A fresh, migrated database on the test run's PostgreSQL, for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('databaseUrl');
  const name = `harness_test_${randomBytes(6).toString('hex')}`;
  const admin = await connectClient(serverUrl);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = await connectClient(url.toString());
  await migrate(client);
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
