import { readFile } from 'node:fs/promises';

/**
 * How many times a process's main thread has gone to sleep and been woken so far (its
 * voluntary context switches, from /proc/<pid>/status): for a Node.js process, its event
 * loop's wake-ups. On a virtual machine a wake-up costs tens of microseconds of CPU before
 * any work, so at a few thousand events a second they, not the events, are most of the
 * harness's own cost (docs/findings.md, "Wake-ups and per-event bookkeeping"). Undefined
 * when the process is gone.
 */
export async function mainThreadWakeUps(pid: number): Promise<number | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    // ESRCH: the process was exiting while its status was read.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
  const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status);
  if (match === null) throw new Error(`/proc/${pid}/status has no voluntary_ctxt_switches line`);
  return Number(match[1]);
}

/** Wake-ups a second of each named process between `start` and `stop`. */
export class WakeUpRate<Part extends string> {
  private before = new Map<Part, number>();
  private startedAt = 0;

  constructor(private readonly pids: Readonly<Record<Part, () => number | undefined>>) {}

  async start(): Promise<void> {
    this.before = await this.read();
    this.startedAt = performance.now();
  }

  /** Per second since `start`; a process gone at either end reads 0. */
  async stop(): Promise<Record<Part, number>> {
    const now = await this.read();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const out = {} as Record<Part, number>;
    for (const part of Object.keys(this.pids) as Part[]) {
      const [a, b] = [this.before.get(part), now.get(part)];
      out[part] = a === undefined || b === undefined ? 0 : Math.max(0, b - a) / seconds;
    }
    return out;
  }

  private async read(): Promise<Map<Part, number>> {
    const out = new Map<Part, number>();
    for (const part of Object.keys(this.pids) as Part[]) {
      const pid = this.pids[part]();
      const count = pid === undefined ? undefined : await mainThreadWakeUps(pid);
      if (count !== undefined) out.set(part, count);
    }
    return out;
  }
}
