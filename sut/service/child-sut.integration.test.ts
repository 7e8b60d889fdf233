import { describe, expect, it } from 'vitest';
import { startChildSut } from './child-sut.ts';

describe('startChildSut', () => {
  it('stop() answers at once for a service that has already died, with its exit status', async () => {
    const sut = await startChildSut(['--no-database']);
    const died = new Promise((resolve) => sut.child.once('exit', resolve));
    sut.child.kill('SIGKILL');
    await died;
    // Before, stop() waited for an 'exit' that had already gone by: a test timeout.
    expect(await sut.stop()).toBe(137);
  });

  it('stop() of a running service: SIGTERM, a graceful shutdown, exit 0', async () => {
    const sut = await startChildSut(['--no-database']);
    expect(await sut.stop()).toBe(0);
    expect(await sut.stop()).toBe(0);
  });
});
