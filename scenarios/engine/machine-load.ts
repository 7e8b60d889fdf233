import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';

/** The parts of a run whose CPU is counted apart; everything else on the machine is `others`. */
export const RUN_PARTS = ['harness', 'service', 'database', 'broker'] as const;
export type RunPart = (typeof RUN_PARTS)[number];

/** How busy the machine was while a run measured, and with what. */
export interface MachineLoad {
  readonly cores: number;
  /** The 1-minute load average over the window: lowest, highest, mean of the readings. */
  readonly loadAverage: { readonly min: number; readonly max: number; readonly mean: number };
  /** CPU taken by the hypervisor from this machine (steal), percent of all cores. */
  readonly stealPercent: number;
  /** Percent of all cores each part used, and processes outside the run (`others`). */
  readonly cpuPercent: Readonly<Record<RunPart | 'others', number>>;
  /** Percent of all cores busy in all. */
  readonly busyPercent: number;
  /** Set when processes outside the run took more than the warning share of the machine. */
  readonly warning: string | null;
}

/** Past this share of all cores taken by other processes, a run says its figures are suspect. */
export const OTHERS_WARNING_PERCENT = 15;

const CLOCK_TICKS = 100; // USER_HZ on Linux

interface CpuTotals {
  readonly busy: number;
  readonly steal: number;
  readonly total: number;
}

async function cpuTotals(): Promise<CpuTotals> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/**
 * A process's parent and CPU ticks (user + system, all its threads) from /proc, and the
 * ticks of its children that have exited and been waited for; undefined once it is gone.
 */
export async function processStat(
  pid: number,
): Promise<{ ticks: number; ppid: number; reapedTicks: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      reapedTicks: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

/** Every process on the machine with its parent and CPU ticks. */
async function allProcesses(): Promise<Map<number, { ticks: number; ppid: number }>> {
  const out = new Map<number, { ticks: number; ppid: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await processStat(Number(entry));
    if (stat !== undefined) out.set(Number(entry), stat);
  }
  return out;
}

/** The pids of the run's parts now: roots and everything under them. */
export interface RunProcesses {
  /** This process (the harness and its simulator). */
  readonly harness: number;
  /** The service's processes now (they change when a fault restarts one; several with --services). */
  service(): number | readonly number[] | undefined;
  /** The database's postmaster, for a server on this machine. */
  database(): Promise<number | undefined>;
  /** The Kafka broker's process, for one the run started. */
  broker(): Promise<number | undefined>;
}

/**
 * Reads /proc once a second while a run measures: total and stolen CPU, the load average,
 * and the CPU of each part of the run (the harness with its simulator, the service, the
 * database, each with its child processes); what is left is other processes. A process that
 * ends between two readings takes its last second with it, which is why it reads often.
 */
export class MachineLoadMeter {
  private first: CpuTotals | undefined;
  private last: CpuTotals | undefined;
  private readonly loads: number[] = [];
  private readonly partTicks: Record<RunPart, number> = {
    harness: 0,
    service: 0,
    database: 0,
    broker: 0,
  };
  private readonly lastTicks = new Map<number, number>();

  constructor(private readonly processes: RunProcesses) {}

  async sample(): Promise<void> {
    const [totals, all, loadText, databasePid, brokerPid] = await Promise.all([
      cpuTotals(),
      allProcesses(),
      readFile('/proc/loadavg', 'utf8'),
      this.processes.database(),
      this.processes.broker(),
    ]);
    this.first ??= totals;
    this.last = totals;
    this.loads.push(Number(loadText.split(' ', 1)[0]));
    const services = this.processes.service();
    const roots: [RunPart, number | undefined][] = [
      ['harness', this.processes.harness],
      ...(Array.isArray(services) ? services : [services]).map(
        (pid): [RunPart, number | undefined] => ['service', pid as number | undefined],
      ),
      ['database', databasePid],
      ['broker', brokerPid],
    ];
    const children = new Map<number, number[]>();
    for (const [pid, { ppid }] of all) {
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    }
    const counted = new Set<number>();
    for (const [part, root] of roots) {
      if (root === undefined) continue;
      const stack = [root];
      while (stack.length > 0) {
        const pid = stack.pop() as number;
        if (counted.has(pid)) continue;
        counted.add(pid);
        const ticks = all.get(pid)?.ticks;
        if (ticks !== undefined) {
          // The first reading of a process is its baseline: only what it uses from then counts.
          const before = this.lastTicks.get(pid);
          if (before !== undefined) this.partTicks[part] += Math.max(0, ticks - before);
          this.lastTicks.set(pid, ticks);
        }
        // The service is a child of the harness: counted as itself, not as the harness.
        for (const child of children.get(pid) ?? [])
          if (!roots.some(([, r]) => r === child)) stack.push(child);
      }
    }
  }

  /** The figures over the window sampled so far; undefined before two readings. */
  summary(): MachineLoad | undefined {
    const first = this.first;
    const last = this.last;
    if (first === undefined || last === undefined || last.total === first.total) return undefined;
    const cores = cpus().length;
    // /proc/stat counts every core's ticks; process ticks are per process: both in USER_HZ.
    const total = last.total - first.total;
    const percent = (ticks: number) => (ticks / total) * 100;
    const parts = {
      harness: percent(this.partTicks.harness),
      service: percent(this.partTicks.service),
      database: percent(this.partTicks.database),
      broker: percent(this.partTicks.broker),
    };
    const busy = percent(last.busy - first.busy);
    const others = Math.max(
      0,
      busy - parts.harness - parts.service - parts.database - parts.broker,
    );
    const loads = this.loads;
    return {
      cores,
      loadAverage: {
        min: Math.min(...loads),
        max: Math.max(...loads),
        mean: loads.reduce((a, b) => a + b, 0) / loads.length,
      },
      stealPercent: percent(last.steal - first.steal),
      cpuPercent: { ...parts, others },
      busyPercent: busy,
      warning:
        others > OTHERS_WARNING_PERCENT
          ? `other processes took ${others.toFixed(0)} % of the machine's ${cores} cores while this run measured: its figures reflect a busy machine`
          : null,
    };
  }

  static readonly clockTicks = CLOCK_TICKS;
}

/** One line for the summary: how busy the machine was, and with what. */
export function machineLoadLine(load: MachineLoad): string {
  const p = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} %`;
  return `machine: ${load.cores} cores, load average ${load.loadAverage.min.toFixed(1)}-${load.loadAverage.max.toFixed(1)}, steal ${p(load.stealPercent)}; CPU of all cores: harness and simulator ${p(load.cpuPercent.harness)}, service ${p(load.cpuPercent.service)}, database ${p(load.cpuPercent.database)}${load.cpuPercent.broker > 0 ? `, Kafka broker ${p(load.cpuPercent.broker)}` : ''}, other processes ${p(load.cpuPercent.others)}`;
}

/**
 * Samples the machine once a second from now until `stop()`, which returns the figures of
 * that window: for commands that measure without a per-second loop of their own (the sweep).
 */
export function sampleMachine(processes: RunProcesses): {
  stop(): Promise<MachineLoad | undefined>;
} {
  const meter = new MachineLoadMeter(processes);
  let pending: Promise<void> = meter.sample();
  const timer = setInterval(() => {
    pending = pending.then(() => meter.sample());
  }, 1000);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      await meter.sample();
      return meter.summary();
    },
  };
}
