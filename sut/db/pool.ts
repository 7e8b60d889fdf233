import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { DEFAULT_HARNESS_SCHEMA } from './harness-schema.ts';

/**
 * Every connection runs with TimeZone=UTC and with the harness's schema as its only
 * search_path entry (pg_catalog is always searched too).
 *
 * UTC: the table stores `TIMESTAMP` without time zone and the SQL variants write `NOW()` into
 * it and compare UTC dates for the daily rule, as the production service does; that is only
 * correct when the session time zone is UTC.
 *
 * search_path: the SQL variants name `user_goal_progress` unqualified, and on a user's server
 * that name must find the harness's copy, never a table of the user's. With the harness's
 * schema alone on the path, an unqualified name that is not there is an error, not a
 * reach into `public`.
 */
export function sessionOptions(schema: string): string {
  return `-c TimeZone=UTC -c search_path=${schema}`;
}

export async function connectClient(
  url: string,
  schema: string = DEFAULT_HARNESS_SCHEMA,
  /** More client settings (pipeline mode, timeouts) for connections that need them. */
  extra: Omit<pg.ClientConfig, 'connectionString' | 'options'> = {},
): Promise<pg.Client> {
  // Parsed here rather than passed as connectionString: pg lets a URL's own `options`
  // override the config's, and a URL's search_path must not win over the harness's schema.
  const config = parseIntoClientConfig(url);
  const own = sessionOptions(schema);
  const client = new pg.Client({
    application_name: 'harness',
    ...extra,
    ...config,
    // Later -c settings win, so the URL's options come first.
    options: config.options === undefined ? own : `${config.options} ${own}`,
  });
  // Until the caller has its own listener: a server that refuses the connection while it
  // shuts down (57P03) answers the connect() call with an error and may also emit one as
  // the socket closes; unheard, that second one would end the process. The connect()
  // rejection carries it to the caller; a connection that dies later fails its next query.
  const duringConnect = () => undefined;
  client.on('error', duringConnect);
  await client.connect();
  return client;
}
