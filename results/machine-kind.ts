import { cpus, totalmem } from 'node:os';

/**
 * What kind of machine a result ran on: the figures that move timings (cores, CPU model,
 * memory), never the host name. CI runners are new hosts every time; runners of one kind
 * share calibrations and between-session spreads through the results store under this key.
 */
export interface MachineKind {
  readonly cpuModel: string;
  readonly cores: number;
  /** Rounded to whole GiB: two runners of one kind report a few MiB apart. */
  readonly memoryGiB: number;
}

export const memoryGiB = (bytes = totalmem()): number => Math.round(bytes / 2 ** 30);

export function thisMachineKind(): MachineKind {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: memoryGiB(),
  };
}

/** Two kinds are one when cores, CPU model and memory (to the GiB) agree. */
export function sameKind(
  a: { cpuModel: string; cores: number; memoryGiB: number },
  b: { cpuModel: string; cores: number; memoryGiB: number },
): boolean {
  return (
    a.cpuModel.trim() === b.cpuModel.trim() &&
    a.cores === b.cores &&
    Math.round(a.memoryGiB) === Math.round(b.memoryGiB)
  );
}

/**
 * The kind as a folder name in the results store: `2-cores_24-GiB_intel-xeon-platinum-8375c`;
 * readable, and the same on every runner of the kind.
 */
export function machineKindKey(kind: MachineKind): string {
  const model = kind.cpuModel
    .toLowerCase()
    .replace(/\(r\)|\(tm\)|\bcpu\b|@/g, ' ')
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${kind.cores}-cores_${Math.round(kind.memoryGiB)}-GiB_${model || 'unknown-cpu'}`;
}

/** The kind in words, for what a command prints. */
export const describeKind = (kind: MachineKind): string =>
  `${kind.cores} cores, ${kind.cpuModel.trim()}, ${Math.round(kind.memoryGiB)} GiB`;
