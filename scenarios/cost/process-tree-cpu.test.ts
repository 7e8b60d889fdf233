import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { CpuSplit, processTreeCpuSeconds } from './process-tree-cpu.ts';

// Burns `ms` of this process's own CPU time (not wall time: the machine may be busy).
const burn = (ms: number) =>
  `{const t=process.cpuUsage();while(process.cpuUsage(t).user+process.cpuUsage(t).system<${ms}e3){}}`;

/**
 * A tree whose CPU is known: a parent that burns 300 ms, a child that burns 700 ms and stays,
 * and a child that burns 400 ms and exits (waited for, so the kernel adds it to the parent).
 */
const PARENT = `
const { spawn } = require('node:child_process');
const stay = spawn(process.execPath, ['-e', "${burn(700)};console.log('burnt');setInterval(()=>{},1000)"], { stdio: ['ignore', 'pipe', 'inherit'] });
const gone = spawn(process.execPath, ['-e', "${burn(400)}"], { stdio: 'ignore' });
let waiting = 2;
const done = () => { if (--waiting === 0) { ${burn(300)}; console.log('ready ' + stay.pid); } };
stay.stdout.once('data', done);
gone.once('exit', done);
setInterval(() => {}, 1000);
`;

let tree: ChildProcess | undefined;
afterEach(() => {
  if (tree?.pid !== undefined) process.kill(-tree.pid, 'SIGKILL');
  tree = undefined;
});

async function startTree(): Promise<{ parent: number; child: number }> {
  tree = spawn(process.execPath, ['-e', PARENT], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, so the test kills it whole
  });
  const line = await new Promise<string>((resolve) => {
    createInterface({ input: tree?.stdout as NodeJS.ReadableStream }).once('line', resolve);
  });
  return { parent: tree.pid as number, child: Number(line.split(' ')[1]) };
}

/**
 * A server's backends, sped up: a parent that keeps three children burning 300 ms each and
 * reaps each as it ends. A reading that missed a child reaped during its scan would fall by
 * that child's 0.3 s (seen in about one reading in 150 before the scan was made consistent).
 */
const CHURN = `
const { spawn } = require('node:child_process');
const next = () => spawn(process.execPath, ['-e', "${burn(300)}"], { stdio: 'ignore' }).on('exit', () => setTimeout(next, 20));
next(); next(); next();
`;

describe('the CPU of a process tree, from /proc', () => {
  it('never falls between readings while children end and are reaped', async () => {
    tree = spawn(process.execPath, ['-e', CHURN], { stdio: 'ignore', detached: true });
    const root = tree.pid as number;
    await new Promise((resolve) => setTimeout(resolve, 500));
    let previous = 0;
    let readings = 0;
    const drops: string[] = [];
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      const now = (await processTreeCpuSeconds(root)) ?? 0;
      if (now < previous) drops.push(`${previous} -> ${now}`);
      previous = now;
      readings++;
    }
    expect(readings).toBeGreaterThan(20);
    expect(drops).toEqual([]);
    expect(previous).toBeGreaterThan(0.5);
  }, 30_000);

  it('counts the root, its living children and its exited children', async () => {
    const { parent, child } = await startTree();
    const whole = (await processTreeCpuSeconds(parent)) ?? 0;
    const alone = (await processTreeCpuSeconds(parent, { tree: false })) ?? 0;
    const stay = (await processTreeCpuSeconds(child)) ?? 0;
    // 300 + 700 + 400 ms burnt, plus Node's start-up in each of the three; ticks are 10 ms.
    expect(whole).toBeGreaterThanOrEqual(1.35);
    expect(whole).toBeLessThan(3);
    expect(stay).toBeGreaterThanOrEqual(0.68);
    expect(stay).toBeLessThan(whole - 0.6);
    // Alone, the parent is its own 300 ms and start-up, without either child.
    expect(alone).toBeGreaterThanOrEqual(0.28);
    expect(alone).toBeLessThan(whole - 1);
  }, 30_000);

  it('splits a window between parts, and reads a part that is gone as 0', async () => {
    const { parent, child } = await startTree();
    const split = new CpuSplit({
      tree: { pid: () => parent, tree: true },
      child: { pid: () => child, tree: true },
      nobody: { pid: () => undefined, tree: true },
    });
    await split.start();
    process.kill(child, 'SIGSTOP'); // nothing more burns in the window
    const used = await split.stop();
    process.kill(child, 'SIGCONT');
    expect(used.nobody).toBe(0);
    expect(used.child).toBeLessThanOrEqual(0.05);
    expect(used.tree).toBeLessThanOrEqual(0.1);
    expect(await processTreeCpuSeconds(2 ** 22 + 7)).toBeUndefined();
  }, 30_000);
});
