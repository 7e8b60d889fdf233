import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parentControl, type FromGenerator } from './generator-control.ts';

/** A process with an IPC channel, as a child of `fork` has: what it sends is kept. */
function ipcProcess(): { proc: NodeJS.Process; sent: FromGenerator[]; emitter: EventEmitter } {
  const emitter = new EventEmitter();
  const sent: FromGenerator[] = [];
  const proc = Object.assign(emitter, {
    connected: true,
    send: (message: FromGenerator) => {
      sent.push(message);
      return true;
    },
    disconnect: () => {
      proc.connected = false;
    },
  });
  return { proc: proc as unknown as NodeJS.Process, sent, emitter };
}

describe('parentControl', () => {
  it('is null without an IPC channel to a parent', () => {
    const proc = Object.assign(new EventEmitter(), { send: undefined });
    expect(parentControl(proc as unknown as NodeJS.Process)).toBeNull();
  });

  it('says ready, starts at go, reports progress, and stops at stop', async () => {
    const { proc, sent, emitter } = ipcProcess();
    const control = parentControl(proc);
    if (control === null) throw new Error('expected a control');
    let started = false;
    const ready = control.ready().then(() => (started = true));
    expect(sent).toEqual([{ type: 'ready' }]);
    await Promise.resolve();
    expect(started).toBe(false);
    emitter.emit('message', { type: 'go' });
    await ready;
    expect(started).toBe(true);
    control.progress(10, 1);
    expect(sent[1]).toEqual({ type: 'progress', sent: 10, dropped: 1 });
    expect(control.signal.aborted).toBe(false);
    emitter.emit('message', { type: 'something else' });
    expect(control.signal.aborted).toBe(false);
    emitter.emit('message', { type: 'stop' });
    expect(control.signal.aborted).toBe(true);
    control.release();
    expect(emitter.listenerCount('message')).toBe(0);
  });

  it('gives up at once when the run went away while it was still preparing', async () => {
    const { proc, emitter } = ipcProcess();
    const control = parentControl(proc);
    if (control === null) throw new Error('expected a control');
    emitter.emit('disconnect');
    await expect(control.ready()).rejects.toThrow(/went away before it said go/);
    expect(control.signal.aborted).toBe(true);
  });

  it('gives up waiting and stops when the run that started it goes away', async () => {
    const { proc, emitter } = ipcProcess();
    const control = parentControl(proc);
    if (control === null) throw new Error('expected a control');
    const ready = control.ready();
    emitter.emit('disconnect');
    await expect(ready).rejects.toThrow(/went away before it said go/);
    expect(control.signal.aborted).toBe(true);
  });
});
