import { cpus, platform, release } from 'node:os';
import type pg from 'pg';
import { memoryGiB } from './machine-kind.ts';

/** PostgreSQL settings that move the numbers; recorded so results can be compared fairly. */
export const RECORDED_POSTGRES_SETTINGS = [
  'shared_buffers',
  'max_wal_size',
  'checkpoint_timeout',
  'full_page_writes',
  'work_mem',
  'effective_cache_size',
  'synchronous_commit',
  'fsync',
  'wal_level',
  'max_connections',
  'jit',
  'plan_cache_mode',
  'autovacuum',
  'shared_preload_libraries',
] as const;

export interface Environment {
  readonly node: string;
  readonly os: string;
  readonly cpu: { readonly model: string; readonly count: number };
  /** With the CPU, the machine's kind (results/machine-kind.ts): what a CI runner was. */
  readonly memoryGiB: number;
  readonly postgres: {
    readonly version: string;
    /** Where the server came from: url, embedded or testcontainers. */
    readonly source: string;
    readonly settings: Record<string, string>;
  };
}

export async function collectEnvironment(
  client: pg.ClientBase,
  source: string,
): Promise<Environment> {
  const { rows } = await client.query<{ name: string; setting: string }>(
    // Plus whatever the server was started with (the harness's --pg-setting among them), but
    // where it listens, which changes every start and moves nothing.
    `SELECT name, current_setting(name) AS setting FROM pg_settings
      WHERE name = ANY($1) OR (source = 'command line' AND name <> ALL($2)) ORDER BY name`,
    [RECORDED_POSTGRES_SETTINGS, ['port', 'listen_addresses', 'unix_socket_directories']],
  );
  const { rows: version } = await client.query<{ server_version: string }>('SHOW server_version');
  const cores = cpus();
  return {
    node: process.version,
    os: `${platform()} ${release()}`,
    cpu: { model: cores[0]?.model.trim() ?? 'unknown', count: cores.length },
    memoryGiB: memoryGiB(),
    postgres: {
      version: version[0]?.server_version ?? 'unknown',
      source,
      settings: Object.fromEntries(rows.map((r) => [r.name, r.setting])),
    },
  };
}
