import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `--cpu-prof` and the inspector write) read here. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileEntry {
  /** `function (file:line)`, or V8's own names: (garbage collector), (program), (idle). */
  readonly where: string;
  readonly selfMs: number;
  /** Of the profile's busy time (idle left out). */
  readonly share: number;
}

function place(frame: CpuProfile['nodes'][number]['callFrame'], root: string): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const file = frame.url.startsWith('file://')
    ? relative(root, new URL(frame.url).pathname)
    : frame.url;
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

/**
 * Self time by function over a whole profile, largest first: where a process's CPU went.
 * Idle is left out of the shares, so they say how the busy time splits.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  root = process.cwd(),
  top = 15,
): { busyMs: number; entries: ProfileEntry[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let busyUs = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i] as number);
    if (node === undefined) continue;
    // A sample lasts until the next one (V8 records the gap before each); the last has no end.
    const us = Math.max(0, deltas[i + 1] ?? 0);
    if (node.callFrame.functionName === '(idle)') continue;
    busyUs += us;
    const where = place(node.callFrame, root);
    self.set(where, (self.get(where) ?? 0) + us);
  }
  const entries = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ where, selfMs: us / 1000, share: busyUs === 0 ? 0 : us / busyUs }));
  return { busyMs: busyUs / 1000, entries };
}

export function summarizeCpuProfileFile(path: string, top = 15) {
  return summarizeCpuProfile(
    JSON.parse(readFileSync(path, 'utf8')) as CpuProfile,
    process.cwd(),
    top,
  );
}
