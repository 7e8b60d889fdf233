import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/logger.ts';
import { UsageError } from '../../lib/errors.ts';
import { provisionPostgres } from './provision-postgres.ts';

const FIXTURE = fileURLToPath(
  new URL('../testing/fixtures/hold-embedded-postgres.ts', import.meta.url),
);

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

async function startHolder() {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => {
      reject(new Error(`fixture exited with ${code}`));
    });
  });
  const info = JSON.parse(line) as { url: string; dataDir: string };
  return { child, ...info, rootDir: dirname(info.dataDir) };
}

describe('PostgreSQL provisioning', () => {
  it('uses DATABASE_URL as it is, starting nothing', async () => {
    const db = await provisionPostgres({
      source: 'auto',
      logger: silentLogger,
      env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/db' },
    });
    expect(db).toMatchObject({
      kind: 'url',
      url: 'postgres://x@127.0.0.1:1/db',
      startupMs: 0,
      local: true,
    });
  });

  it('rejects a DATABASE_URL that is not a URL, and --db url without one', async () => {
    await expect(
      provisionPostgres({
        source: 'auto',
        logger: silentLogger,
        env: { DATABASE_URL: 'not a url' },
      }),
    ).rejects.toThrow(UsageError);
    await expect(
      provisionPostgres({ source: 'url', logger: silentLogger, env: {} }),
    ).rejects.toThrow(/--db url needs DATABASE_URL/);
  });

  it('without a Docker engine, --db testcontainers says so and names the alternatives', async () => {
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    try {
      const error = await provisionPostgres({
        source: 'testcontainers',
        logger: silentLogger,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(
        /needs a running Docker engine.*\n.*--db embedded.*\n.*DATABASE_URL/,
      );
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });

  it('starts an embedded server (as an unprivileged account when root) and removes it on stop()', async () => {
    const db = await provisionPostgres({
      source: 'embedded',
      logger: silentLogger,
      durability: 'relaxed',
      settings: { work_mem: '7MB', TIMEZONE: 'Europe/Paris' },
    });
    try {
      expect(db.kind).toBe('embedded');
      expect(db.startupMs).toBeGreaterThan(0);
      const client = new pg.Client(db.url);
      await client.connect();
      const { rows } = await client.query<Record<string, string>>(
        `SELECT current_user AS user, current_setting('shared_preload_libraries') AS preload,
                current_setting('shared_buffers') AS shared_buffers,
                current_setting('work_mem') AS work_mem, current_setting('TimeZone') AS tz`,
      );
      await client.end();
      // The harness's own settings, and the user's over them (a name in any case replaces).
      expect(rows[0]).toEqual({
        user: 'postgres',
        preload: 'pg_stat_statements',
        shared_buffers: '512MB',
        work_mem: '7MB',
        tz: 'Europe/Paris',
      });
      // The server process never runs as root, whoever started the harness.
      const postmasterPid =
        readFileSync(`${db.dataDir ?? ''}/postmaster.pid`, 'utf8').split('\n')[0] ?? '';
      expect(statSync(`/proc/${postmasterPid}`).uid).not.toBe(0);
    } finally {
      await db.stop();
    }
    expect(existsSync(dirname(db.dataDir ?? '/nonexistent'))).toBe(false);
    expect(await canConnect(db.url)).toBe(false);
  });

  it('restarts (fast, immediate) and stops for a while as fault scenarios do, keeping data, port and settings; stop() afterwards still removes it', async () => {
    const db = await provisionPostgres({
      source: 'embedded',
      logger: silentLogger,
      durability: 'relaxed',
      settings: { work_mem: '9MB' },
    });
    const control = db.control;
    if (control === undefined) throw new Error('an embedded server has a control');
    try {
      const client = new pg.Client(db.url);
      const lost: string[] = [];
      client.on('error', (e) => lost.push((e as { code?: string }).code ?? e.message));
      await client.connect();
      await client.query('CREATE TABLE kept (x int)');
      await client.query('INSERT INTO kept VALUES (1)');
      await control.restart('fast');
      // The open connection heard the shutdown (57P01), as every client of a restarted server does.
      expect(lost).toContain('57P01');
      await control.restart('immediate');
      await control.stop('fast');
      expect(await control.running()).toBe(false);
      expect(await canConnect(db.url)).toBe(false);
      // The watchdog leaves a server stopped on purpose alone while the harness lives.
      await new Promise((r) => setTimeout(r, 1200));
      expect(existsSync(db.dataDir ?? '/nonexistent')).toBe(true);
      await control.start();
      const again = new pg.Client(db.url);
      await again.connect();
      const { rows } = await again.query<{ x: number; work_mem: string }>(
        `SELECT x, current_setting('work_mem') AS work_mem FROM kept`,
      );
      await again.end();
      expect(rows).toEqual([{ x: 1, work_mem: '9MB' }]);
    } finally {
      await db.stop();
    }
    expect(existsSync(dirname(db.dataDir ?? '/nonexistent'))).toBe(false);
    expect(await canConnect(db.url)).toBe(false);
  });

  it('a setting PostgreSQL refuses is bad input naming it, and nothing is left behind', async () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('harness-pg-'));
    for (const [settings, complaint] of [
      [
        { shared_buffers: 'plenty' },
        /--pg-setting shared_buffers: PostgreSQL refused it: invalid value/,
      ],
      [
        { no_such_setting: '1' },
        /--pg-setting no_such_setting: PostgreSQL refused it: unrecognized/,
      ],
      [{ max_connections: '0' }, /--pg-setting max_connections: .*outside the valid range/],
      // PostgreSQL names another setting here; the user's settings are still the cause.
      [
        { max_connections: '2' },
        /did not start with --pg-setting max_connections=2; expected settings it can start with[^]*superuser_reserved_connections/,
      ],
    ] as const) {
      const error = await provisionPostgres({
        source: 'embedded',
        logger: silentLogger,
        settings,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(complaint);
    }
    const after = readdirSync(tmpdir()).filter((f) => f.startsWith('harness-pg-'));
    expect(after.filter((f) => !before.includes(f))).toEqual([]);
  });

  it('stop() returns and cleans up when the server already died on its own', async () => {
    const db = await provisionPostgres({ source: 'embedded', logger: silentLogger });
    const pid = Number(readFileSync(`${db.dataDir ?? ''}/postmaster.pid`, 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    await db.stop();
    expect(existsSync(dirname(db.dataDir ?? '/nonexistent'))).toBe(false);
  });

  it('refuses settings for a server DATABASE_URL names: that server keeps its own', async () => {
    await expect(
      provisionPostgres({
        source: 'auto',
        logger: silentLogger,
        env: { DATABASE_URL: 'postgres://x@127.0.0.1:1/db' },
        settings: { shared_buffers: '1GB' },
      }),
    ).rejects.toThrow(/--pg-setting shared_buffers: DATABASE_URL names a running server/);
  });

  it('removes the embedded server when the harness is interrupted (SIGINT)', async () => {
    const holder = await startHolder();
    expect(await canConnect(holder.url)).toBe(true);
    holder.child.kill('SIGINT');
    await eventually(async () => !existsSync(holder.rootDir) && !(await canConnect(holder.url)));
  });

  it('removes the embedded server when the harness dies without cleaning up (SIGKILL)', async () => {
    const holder = await startHolder();
    expect(await canConnect(holder.url)).toBe(true);
    holder.child.kill('SIGKILL');
    await eventually(async () => !existsSync(holder.rootDir) && !(await canConnect(holder.url)));
  });
});
