import { describe, expect, it } from 'vitest';
import { CleanupError, CleanupStack } from './cleanup-stack.ts';

describe('CleanupStack', () => {
  it('stops what is left the last started first, and reports every cleanup that failed', async () => {
    const stack = new CleanupStack();
    const stopped: string[] = [];
    stack.defer('database', () => void stopped.push('database'));
    stack.defer('service', () => {
      stopped.push('service');
      throw new Error('would not stop');
    });
    stack.defer('proxy', async () => {
      await new Promise((r) => setTimeout(r, 5));
      stopped.push('proxy');
    });
    expect(stack.pending).toEqual(['proxy', 'service', 'database']);
    const failures = await stack.unwind();
    expect(stopped).toEqual(['proxy', 'service', 'database']);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(CleanupError);
    expect(failures[0]?.part).toBe('service');
    expect(failures[0]?.message).toBe('stopping service failed: would not stop');
    expect(stack.pending).toEqual([]);
    expect(await stack.unwind()).toEqual([]);
  });

  it('a part stopped through its handle is stopped once, with its result, and leaves the stack', async () => {
    const stack = new CleanupStack();
    let stops = 0;
    const service = stack.defer('service', () => ++stops);
    stack.defer('sink', () => undefined);
    expect(await service.stop()).toBe(1);
    expect(await service.stop()).toBe(1);
    expect(stack.pending).toEqual(['sink']);
    await stack.unwind();
    expect(stops).toBe(1);
  });

  it('a dismissed part is not stopped', async () => {
    const stack = new CleanupStack();
    let killed = false;
    const generators = stack.defer('generators', () => (killed = true));
    generators.dismiss();
    expect(await stack.unwind()).toEqual([]);
    expect(killed).toBe(false);
  });
});
