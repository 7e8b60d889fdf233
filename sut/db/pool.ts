import pg from 'pg';

/**
 * Every connection runs with TimeZone=UTC. The table stores `TIMESTAMP` without time zone
 * and the SQL variants write `NOW()` into it and compare UTC dates for the daily rule, as
 * the production service does; that is only correct when the session time zone is UTC.
 */
export const SESSION_OPTIONS = '-c TimeZone=UTC';

export function createPool(
  url: string,
  config: Omit<pg.PoolConfig, 'connectionString'> = {},
): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    options: SESSION_OPTIONS,
    application_name: 'harness',
    ...config,
  });
}

export async function connectClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    options: SESSION_OPTIONS,
    application_name: 'harness',
  });
  await client.connect();
  return client;
}
