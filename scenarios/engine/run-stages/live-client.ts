import type pg from 'pg';
import { connectClient } from '../../../sut/db/pool.ts';
import type { RunSession } from '../run-plan.ts';

/**
 * `client`, or a new connection when a fault restarted the server under it (its connection
 * was cut): the audit reads the table once the server is back.
 */
export async function liveClient(session: RunSession, client: pg.Client): Promise<pg.Client> {
  try {
    await client.query('SELECT 1');
    return client;
  } catch {
    if (client !== session.client) await client.end().catch(() => undefined);
    return connectClient(session.database.url, session.schema);
  }
}
