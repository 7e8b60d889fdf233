import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../testing/fixtures/hold-local-kafka.ts', import.meta.url));
const hasJava = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

// Under CI=true a missing Java fails the test instead of skipping it.
describe.skipIf(!hasJava && process.env.CI !== 'true')("a broker of the command's own", () => {
  it('is stopped when the harness that started it dies without cleaning up (SIGKILL)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => {
        reject(new Error(`fixture exited with ${code}`));
      });
    });
    const { brokers, pid } = JSON.parse(line) as { brokers: string[]; pid: number };
    const broker = brokers[0] ?? '';
    expect(alive(pid)).toBe(true);
    expect(await portOpen(broker)).toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while ((alive(pid) || (await portOpen(broker))) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(alive(pid)).toBe(false);
    expect(await portOpen(broker)).toBe(false);
  }, 120_000);
});
