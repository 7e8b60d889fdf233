import { readdir } from 'node:fs/promises';
import { processStat } from '../engine/machine-load.ts';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU seconds used so far by a process and everything under it: each living process's own
 * time, plus what its exited children used (the kernel adds a child's time to its parent
 * when the parent waits for it), so a server's finished backends still count. Undefined when
 * the root is not there.
 *
 * /proc is read one process at a time, so a child the root reaps during the scan, after the
 * root was read and before the child would have been, would be counted nowhere, and the sum
 * could fall between two readings (a server whose backends come and go). The scan is
 * repeated until the root reaped nothing while it ran.
 */
export async function processTreeCpuSeconds(
  root: number,
  options: { readonly tree?: boolean } = {},
): Promise<number | undefined> {
  if (options.tree === false) {
    const s = await processStat(root);
    return s === undefined ? undefined : s.ticks / CLOCK_TICKS;
  }
  let ticks: number | undefined;
  for (let attempt = 0; attempt < MAX_SCANS; attempt++) {
    const first = await processStat(root);
    if (first === undefined) return undefined;
    ticks = await treeTicks(root);
    const last = await processStat(root);
    if (ticks === undefined || last === undefined) return undefined;
    if (last.reapedTicks === first.reapedTicks) break;
  }
  return ticks === undefined ? undefined : ticks / CLOCK_TICKS;
}

/** Scans enough for any server: backends end a few times a second at most. */
const MAX_SCANS = 5;

async function treeTicks(root: number): Promise<number | undefined> {
  const all = new Map<number, NonNullable<Awaited<ReturnType<typeof processStat>>>>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await processStat(Number(entry));
    if (stat !== undefined) all.set(Number(entry), stat);
  }
  if (!all.has(root)) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, s] of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  let ticks = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    const s = all.get(pid);
    if (s === undefined) continue;
    ticks += s.ticks + s.reapedTicks;
    queue.push(...(children.get(pid) ?? []));
  }
  return ticks;
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
      const seconds = pid === undefined ? undefined : await processTreeCpuSeconds(pid, { tree });
      out.set(part, seconds ?? 0);
    }
    return out;
  }
}
