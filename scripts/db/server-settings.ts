import { UsageError } from '../../lib/errors.ts';

/**
 * What a PostgreSQL server the harness starts (embedded or testcontainers) runs with, before
 * the user's `--pg-setting` overrides.
 *
 * shared_buffers: PostgreSQL's compiled-in 128MB is a floor for tiny machines, not a
 * production setting (the documentation's starting point is 25 % of memory). At 128MB the
 * default seed (500,000 rows: 80 MB of table and 134 MB of indexes) does not fit, so every
 * flush makes backends evict and write dirty pages themselves (about 7,000 pages/s at
 * 5,000 events/s), which a production server holding its hot table in memory never does.
 * 512MB holds that seed twice over and still suits a laptop. `--pg-setting
 * shared_buffers=128MB` measures the constrained case.
 */
export const HARNESS_SERVER_SETTINGS: Readonly<Record<string, string>> = {
  shared_preload_libraries: 'pg_stat_statements',
  TimeZone: 'UTC',
  shared_buffers: '512MB',
};

/** Names PostgreSQL accepts for a setting (`work_mem`, `auto_explain.log_min_duration`). */
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$/;

/** Where the server is and what it reads: the harness chooses these to reach and remove it. */
const RESERVED_SETTINGS = [
  'port',
  'listen_addresses',
  'unix_socket_directories',
  'data_directory',
  'config_file',
  'hba_file',
  'ident_file',
];

/** Parses one `--pg-setting name=value`; a UsageError names what is wrong. */
export function parsePgSetting(text: string): [name: string, value: string] {
  const at = text.indexOf('=');
  const name = at < 0 ? text : text.slice(0, at);
  if (at < 0 || !SETTING_NAME.test(name)) {
    throw new UsageError(
      `--pg-setting "${text}" is not name=value with a PostgreSQL setting name (e.g. shared_buffers=1GB, max_wal_size=4GB)`,
    );
  }
  if (RESERVED_SETTINGS.includes(name.toLowerCase())) {
    throw new UsageError(
      `--pg-setting ${name}: the harness sets where its server listens and keeps its files; expected any setting but ${RESERVED_SETTINGS.join(', ')}`,
    );
  }
  return [name, text.slice(at + 1)];
}

/**
 * commander collector for a repeatable `--pg-setting`: a later setting of one name (in any
 * case, as PostgreSQL compares them) replaces the earlier one.
 */
export function collectPgSetting(
  text: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const [name, value] = parsePgSetting(text);
  const kept = Object.entries(previous).filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  return Object.fromEntries([...kept, [name, value]]);
}

/** The harness's settings with the user's on top. Names compare case-insensitively, as PostgreSQL's do. */
export function serverSettings(
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const merged = new Map<string, [string, string]>();
  for (const [name, value] of [
    ...Object.entries(HARNESS_SERVER_SETTINGS),
    ...Object.entries(overrides),
  ])
    merged.set(name.toLowerCase(), [name, value]);
  return Object.fromEntries(merged.values());
}

/** `postgres -c name=value` arguments for the settings. */
export function settingFlags(settings: Readonly<Record<string, string>>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/**
 * A server that refused to start because of a setting the user gave is bad input: this finds
 * PostgreSQL's own complaint about one of `overrides` in its start-up log.
 */
export function rejectedSetting(
  log: readonly string[],
  overrides: Readonly<Record<string, string>>,
): UsageError | undefined {
  for (const line of log.flatMap((chunk) => chunk.split('\n'))) {
    const named = /parameter "([^"]+)"/i.exec(line)?.[1]?.toLowerCase();
    const name = Object.keys(overrides).find((n) => n.toLowerCase() === named);
    if (name !== undefined) {
      const detail = line.replace(/^.*?(FATAL|ERROR|LOG):\s*/, '').trim();
      return new UsageError(
        `--pg-setting ${name}: PostgreSQL refused it: ${detail}. Expected a setting PostgreSQL accepts, with a value in its units (e.g. shared_buffers=1GB)`,
      );
    }
  }
  return undefined;
}
