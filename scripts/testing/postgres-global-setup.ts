import type { TestProject } from 'vitest/node';
import { provisionPostgres } from '../db/provision-postgres.ts';
import { createLogger } from '../../lib/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * One PostgreSQL for the whole test run: DATABASE_URL when set, else an embedded server
 * (fsync off: tests check behaviour, not durability). Each test file makes its own database
 * on it (see test-database.ts), so files run in parallel without sharing a table.
 */
export default async function setup(project: TestProject) {
  const logger = createLogger(process.env.HARNESS_LOG_LEVEL === 'debug' ? 'debug' : 'warn');
  const database = await provisionPostgres({
    source: 'auto',
    logger,
    durability: 'relaxed',
    createPostgresUser: process.env.HARNESS_CREATE_POSTGRES_USER === '1',
  });
  process.stderr.write(
    `tests use ${database.kind === 'url' ? 'the PostgreSQL at DATABASE_URL' : `an embedded PostgreSQL (started in ${Math.round(database.startupMs)} ms)`}\n`,
  );
  project.provide('databaseUrl', database.url);
  return async () => {
    await database.stop();
  };
}
