import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHarnessInProcess } from '../testing/run-harness.ts';

let taken: Server;
let port = 0;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
});

describe('a port in use is said before anything starts', () => {
  it('harness sut --port', async () => {
    const run = await runHarnessInProcess(['sut', '--port', String(port)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: --host 127.0.0.1 --port ${port}: port ${port} is in use on 127.0.0.1 (another process listens there; pick another --port, or 0 for a free one)\n`,
    );
  });

  it('harness run --sut-port: before the database starts or the table is seeded', async () => {
    const run = await runHarnessInProcess(['run', 'smoke', '--sut-port', String(port)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: --sut-port ${port}: port ${port} is in use on 127.0.0.1 (another process listens there; pick another --sut-port, or 0 for a free one)\n`,
    );
    expect(run.stdout).toBe('');
  });
});
