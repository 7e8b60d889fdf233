import { readdir } from 'node:fs/promises';
import { processStat } from '../engine/machine-load.ts';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU seconds used so far by a process and everything under it: each living process's own
 * time, plus what its exited children used (the kernel adds a child's time to its parent
 * when the parent waits for it), so a server's finished backends still count. Undefined when
 * the root is not there, or when no consistent reading could be had (below).
 */
export async function processTreeCpuSeconds(
  root: number,
  options: { readonly tree?: boolean } = {},
): Promise<number | undefined> {
  const reading = await readTreeCpu(root, options);
  return typeof reading === 'number' ? reading : undefined;
}

/**
 * processTreeCpuSeconds, saying why there is no figure: `gone` (no such process) or
 * `unsettled`. /proc is read one process at a time, so a child reaped during a scan could be
 * counted twice (read, then reaped into a parent read later) or nowhere (the parent read
 * before, the child missing when its turn came), and readings could fall (a server whose
 * backends come and go). A scan counts only when no process of the tree with children
 * reaped any while it ran; after MAX_SCANS scans that did not settle, `unsettled`.
 */
export async function readTreeCpu(
  root: number,
  options: { readonly tree?: boolean } = {},
): Promise<number | 'gone' | 'unsettled'> {
  if (options.tree === false) {
    const s = await processStat(root);
    return s === undefined ? 'gone' : s.ticks / CLOCK_TICKS;
  }
  let parents = [root];
  for (let attempt = 0; attempt < MAX_SCANS; attempt++) {
    const before = await reapedTicksOf(parents);
    const scan = await scanTree(root);
    if (scan === undefined) return 'gone';
    const after = await reapedTicksOf(scan.parents);
    if (scan.parents.every((pid) => before.has(pid) && before.get(pid) === after.get(pid)))
      return scan.ticks / CLOCK_TICKS;
    parents = scan.parents;
  }
  return 'unsettled';
}

/** Enough for any server: its backends end a few times a second at most. */
const MAX_SCANS = 5;

async function reapedTicksOf(pids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const s = await processStat(pid);
    if (s !== undefined) out.set(pid, s.reapedTicks);
  }
  return out;
}

/** One pass over /proc: the tree's ticks, and its processes that have children in it. */
async function scanTree(
  root: number,
): Promise<{ readonly ticks: number; readonly parents: number[] } | undefined> {
  const all = new Map<number, NonNullable<Awaited<ReturnType<typeof processStat>>>>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await processStat(Number(entry));
    if (stat !== undefined) all.set(Number(entry), stat);
  }
  if (!all.has(root)) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, s] of all) {
    const siblings = children.get(s.ppid);
    if (siblings === undefined) children.set(s.ppid, [pid]);
    else siblings.push(pid);
  }
  let ticks = 0;
  const parents: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    const s = all.get(pid);
    if (s === undefined) continue;
    ticks += s.ticks + s.reapedTicks;
    const under = children.get(pid) ?? [];
    if (pid === root || under.length > 0) parents.push(pid);
    queue.push(...under);
  }
  return { ticks, parents };
}

/** A part of a run whose CPU is counted: a process, alone or with everything under it. */
export interface CpuPart {
  readonly pid: () => number | undefined;
  /** false: the process's own threads only (its children are parts of their own). */
  readonly tree: boolean;
}

/** The CPU each named part used between `start` and `stop`. */
export class CpuSplit<Part extends string> {
  private before = new Map<Part, number>();

  constructor(private readonly parts: Readonly<Record<Part, CpuPart>>) {}

  async start(): Promise<void> {
    this.before = await this.read();
  }

  /** CPU seconds of each part since `start`; a part whose root is gone reads 0. */
  async stop(): Promise<Record<Part, number>> {
    const now = await this.read();
    const out = {} as Record<Part, number>;
    for (const part of Object.keys(this.parts) as Part[])
      out[part] = Math.max(0, (now.get(part) ?? 0) - (this.before.get(part) ?? 0));
    return out;
  }

  private async read(): Promise<Map<Part, number>> {
    const out = new Map<Part, number>();
    for (const part of Object.keys(this.parts) as Part[]) {
      const { pid: pidOf, tree } = this.parts[part];
      const pid = pidOf();
      const reading = pid === undefined ? 'gone' : await readTreeCpu(pid, { tree });
      // A wrong figure would pass for a measurement; none at all is the honest outcome.
      if (reading === 'unsettled')
        throw new Error(
          `the CPU of ${part} (pid ${pid ?? '?'}) could not be read consistently: its processes kept ending while /proc was read`,
        );
      out.set(part, reading === 'gone' ? 0 : reading);
    }
    return out;
  }
}
