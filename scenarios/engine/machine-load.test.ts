import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MachineLoadMeter, machineLoadLine, OTHERS_WARNING_PERCENT } from './machine-load.ts';

async function ticksOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function totalTicks(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  return line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number)
    .reduce((a, b) => a + b, 0);
}

let hogPid: number | undefined;
afterEach(() => {
  if (hogPid !== undefined) process.kill(hogPid, 'SIGKILL');
  hogPid = undefined;
});

/**
 * A busy loop that is not this process's child (a child of the harness is the harness's):
 * started through a shell that exits at once, so it belongs to no part of the run.
 */
async function startOrphanHog(): Promise<number> {
  const shell = spawn(
    'sh',
    ['-c', `"${process.execPath}" -e 'for (;;) {}' >/dev/null 2>&1 & echo $!`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  shell.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => shell.on('exit', resolve));
  return Number(out.trim());
}

/** A busy loop in its own process, and the share of all cores it used while the meter read. */
async function measureWithHog(hogIsService: boolean) {
  const pid = (hogPid = await startOrphanHog());
  await sleep(200);
  const meter = new MachineLoadMeter({
    harness: process.pid,
    service: () => (hogIsService ? pid : undefined),
    database: () => Promise.resolve(undefined),
    broker: () => Promise.resolve(undefined),
  });
  const [hogBefore, totalBefore] = [await ticksOf(pid), await totalTicks()];
  await meter.sample();
  for (let i = 0; i < 3; i++) {
    await sleep(500);
    await meter.sample();
  }
  const [hogAfter, totalAfter] = [await ticksOf(pid), await totalTicks()];
  const hogPercent = ((hogAfter - hogBefore) / (totalAfter - totalBefore)) * 100;
  const load = meter.summary();
  if (load === undefined) throw new Error('no summary after four readings');
  return { load, hogPercent };
}

describe('MachineLoadMeter: how busy the machine was, from /proc', () => {
  it("counts a process outside the run as other processes' CPU, and warns past the share", async () => {
    const { load, hogPercent } = await measureWithHog(false);
    expect(hogPercent).toBeGreaterThan(5);
    expect(load.cpuPercent.others).toBeGreaterThanOrEqual(hogPercent - 3);
    expect(load.warning !== null).toBe(load.cpuPercent.others > OTHERS_WARNING_PERCENT);
    expect(load.cores).toBeGreaterThan(0);
    expect(load.loadAverage.max).toBeGreaterThanOrEqual(load.loadAverage.min);
    expect(machineLoadLine(load)).toMatch(/other processes \d+(\.\d)? %$/);
  });

  it('counts the same process as the service when it is the run’s service', async () => {
    const { load, hogPercent } = await measureWithHog(true);
    expect(Math.abs(load.cpuPercent.service - hogPercent)).toBeLessThan(3);
    expect(load.busyPercent).toBeGreaterThanOrEqual(load.cpuPercent.service - 1);
  });
});
