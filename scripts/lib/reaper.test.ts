import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REAPER = fileURLToPath(new URL('./reaper.js', import.meta.url));
const started: ChildProcess[] = [];
const folders: string[] = [];

afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A stand-in for a server: a node process that records the signal that stops it. */
function fakeServer(folder: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { require('node:fs').writeFileSync(${JSON.stringify(join(folder, '..', 'stopped-by'))}, s); process.exit(0); }); setInterval(() => {}, 1000); process.stdout.write('ready\\n');`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  started.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once('exit', () => {
        resolve();
      });
  });
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.stdout?.once('data', () => {
      resolve();
    }),
  );
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return check();
}

describe('the reaper', () => {
  for (const [label, pidFile, signal] of [
    ['an embedded PostgreSQL', 'data/postmaster.pid', 'SIGINT'],
    ['a local broker', 'broker.pid', 'SIGTERM'],
  ] as const)
    it(`stops ${label} with ${signal} and deletes its folder once the harness is gone`, async () => {
      const base = mkdtempSync(join(tmpdir(), 'harness-reaper-test-'));
      folders.push(base);
      const folder = join(base, 'server');
      mkdirSync(join(folder, 'data'), { recursive: true });
      const server = fakeServer(folder);
      await ready(server);
      // PostgreSQL's pid file has more lines after the pid; the broker's has the pid alone.
      writeFileSync(join(folder, pidFile), `${String(server.pid)}\n${folder}\n`);
      const harness = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      started.push(harness);
      const reaper = spawn(
        process.execPath,
        [REAPER, String(harness.pid), folder, pidFile, signal],
        { stdio: 'ignore' },
      );
      started.push(reaper);
      // While the harness lives, the server is left alone.
      await new Promise((r) => setTimeout(r, 1200));
      expect(server.exitCode).toBeNull();
      expect(existsSync(folder)).toBe(true);
      harness.kill('SIGKILL');
      await exited(server);
      expect(await until(() => !existsSync(folder), 5000)).toBe(true);
      expect(await until(() => existsSync(join(base, 'stopped-by')), 2000)).toBe(true);
      expect(readFileSync(join(base, 'stopped-by'), 'utf8')).toBe(signal);
      await exited(reaper);
    });

  it('exits by itself once the harness removed the folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'harness-reaper-test-'));
    folders.push(folder);
    const reaper = spawn(
      process.execPath,
      [REAPER, String(process.pid), folder, 'x.pid', 'SIGTERM'],
      {
        stdio: 'ignore',
      },
    );
    started.push(reaper);
    rmSync(folder, { recursive: true, force: true });
    await exited(reaper);
    expect(reaper.exitCode).toBe(0);
  });
});
