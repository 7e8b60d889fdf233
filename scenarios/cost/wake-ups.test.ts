import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mainThreadWakeUps, WakeUpRate } from './wake-ups.ts';

describe('event-loop wake-ups from /proc', () => {
  it('counts a child that sleeps on a 5 ms timer far more often than one that sleeps once', async () => {
    const child = (code: string) => spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
    // Both live about 1.5 s: one wakes about 300 times, the other a handful.
    const ticking = child(
      'const t = setInterval(() => {}, 5); setTimeout(() => clearInterval(t), 1500);',
    );
    const sleeping = child('setTimeout(() => {}, 1500);');
    const rate = new WakeUpRate({ ticking: () => ticking.pid, sleeping: () => sleeping.pid });
    await new Promise((r) => setTimeout(r, 300));
    await rate.start();
    await new Promise((r) => setTimeout(r, 800));
    const perSecond = await rate.stop();
    await Promise.all([ticking, sleeping].map((c) => new Promise((r) => c.on('exit', r))));
    expect(perSecond.ticking).toBeGreaterThan(50);
    expect(perSecond.sleeping).toBeLessThan(perSecond.ticking / 5);
  });

  it('a process that is gone reads undefined, and 0 a second', async () => {
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => gone.on('exit', r));
    expect(await mainThreadWakeUps(gone.pid as number)).toBeUndefined();
    const rate = new WakeUpRate({ gone: () => gone.pid });
    await rate.start();
    expect(await rate.stop()).toEqual({ gone: 0 });
  });
});
