import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeShards, type ShardFile } from '../../results/merge/merge-shards.ts';
import { parseResultText } from '../../results/result-file.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import type { DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import type { FromGenerator, ToGenerator } from '../../simulator/generator-control.ts';
import { writeScenarioPlanFile } from '../../simulator/scenario-plan-file.ts';
import type { ScenarioPlanConfig } from '../../simulator/simulation.ts';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));

/** What one generator of a run sent, as the summary's line for it shows. */
export interface GeneratorLine {
  readonly shard: string;
  readonly scheduled: number;
  readonly sent: number;
  readonly dropped: number;
  readonly achievedRate: number;
  readonly lagP99Ms: number;
  /** The target's answers: taken, refused, or lost to a failed request. */
  readonly delivered: number;
  readonly rejected: number;
  readonly failed: number;
}

/** The run's plan and where its events go: every generator gets the same, and its shard. */
export interface FleetPlan {
  readonly players: number;
  readonly seed: number;
  readonly skew: number;
  readonly mix: Readonly<Record<string, number>>;
  readonly partitions: number;
  readonly namespace: string;
  readonly scenarios: readonly ScenarioPlanConfig[];
  readonly sink:
    | { readonly kind: 'http'; readonly url: string }
    | { readonly kind: 'kafka'; readonly brokers: readonly string[]; readonly topic: string };
}

interface Member {
  readonly index: number;
  readonly child: ChildProcess;
  readonly output: string;
  readonly ledger: string;
  readonly exited: Promise<number | null>;
  sent: number;
  stderr: string;
}

/** Room for a generator's last words when it fails: enough for an error and its stack. */
const STDERR_KEPT = 8_000;

/**
 * N `harness simulate --shard i/N` processes driving one run (`harness run --generators N`):
 * started and prepared, then told to go at once; their results merged into one (counts
 * summed, schedule-lag histograms added) and their ledgers into the run's, for the audit.
 */
export class GeneratorFleet {
  private constructor(
    private readonly members: readonly Member[],
    private readonly dir: string,
  ) {
    // A generator that fails stops the others: the run would otherwise go on at a part of
    // its load, judged as if it were whole, only to be discarded at the end.
    for (const m of members)
      void m.exited.then((code) => {
        if (code !== 0) this.stop();
      });
  }

  static async start(count: number, plan: FleetPlan): Promise<GeneratorFleet> {
    const dir = mkdtempSync(join(tmpdir(), 'harness-generators-'));
    const planFile = join(dir, 'scenarios.json');
    writeScenarioPlanFile(planFile, plan.scenarios);
    const members: Member[] = [];
    try {
      for (let index = 0; index < count; index++)
        members.push(launch(index, count, plan, planFile, dir));
      await Promise.all(members.map(readyOf));
    } catch (error) {
      for (const m of members) m.child.kill('SIGKILL');
      await Promise.all(members.map((m) => m.exited));
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return new GeneratorFleet(members, dir);
  }

  /** Every schedule starts now. */
  go(): void {
    for (const m of this.members) tell(m, { type: 'go' });
  }

  /** Ends every schedule early; each still drains what it sent and writes its result. */
  stop(): void {
    for (const m of this.members) tell(m, { type: 'stop' });
  }

  /** Events sent so far, over all generators, as last reported. */
  get sent(): number {
    return this.members.reduce((n, m) => n + m.sent, 0);
  }

  /**
   * Waits for every generator to finish, merges their results, and writes what each one's
   * events became into `ledger`. A generator that failed fails the run, naming it.
   */
  async finish(ledger: DeliveryLedger): Promise<{ merged: RunStats; generators: GeneratorLine[] }> {
    try {
      const codes = await Promise.all(this.members.map((m) => m.exited));
      const count = this.members.length;
      const failed = this.members.filter((_, i) => codes[i] !== 0);
      if (failed.length > 0)
        throw new Error(
          failed
            .map(
              (m) =>
                `generator ${m.index}/${count} exited with ${String(codes[m.index])}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`,
            )
            .join('; '),
        );
      const files: ShardFile[] = this.members.map((m) => {
        const result = parseResultText(readFileSync(m.output, 'utf8'), m.output);
        if (result.kind !== 'simulate') throw new Error(`${m.output} is not a simulate result`);
        return { path: m.output, result };
      });
      for (const m of this.members) ledger.absorb(new Uint8Array(readFileSync(m.ledger)));
      // The merge keeps the sinks' answers summed beside the simulator's figures.
      const m = mergeShards(files, new Date()).metrics;
      // Histograms are optional only in files from before they were kept; these have them.
      const merged: RunStats = {
        ...m,
        partitions: m.partitions.map((p) => ({ ...p, lagHdr: p.lagHdr ?? '' })),
        scenarios: m.scenarios ?? [],
      };
      const generators = files.map(({ result }, i) => {
        const r = result.metrics;
        return {
          shard: `${i}/${count}`,
          scheduled: r.scheduled,
          sent: r.sent,
          dropped: r.dropped,
          achievedRate: r.achievedRate,
          lagP99Ms: r.lag.p99Ms,
          delivered: r.sink.delivered,
          rejected: r.sink.rejected,
          failed: r.sink.failed,
        };
      });
      return { merged, generators };
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Stops every generator at once (the run failed before they finished). */
  async kill(): Promise<void> {
    for (const m of this.members) m.child.kill('SIGKILL');
    await Promise.all(this.members.map((m) => m.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function tell(member: Member, message: ToGenerator): void {
  // A generator may be exiting as the message goes: it has nothing left to stop then.
  if (member.child.connected) member.child.send(message, () => undefined);
}

function launch(
  index: number,
  count: number,
  plan: FleetPlan,
  planFile: string,
  dir: string,
): Member {
  const output = join(dir, `generator-${index}.json`);
  const ledger = join(dir, `generator-${index}.ledger`);
  const sinkArgs =
    plan.sink.kind === 'http'
      ? ['--sink', 'http', '--target', plan.sink.url]
      : [
          '--sink',
          'kafka',
          '--kafka',
          'auto',
          '--kafka-brokers',
          plan.sink.brokers.join(','),
          '--topic',
          plan.sink.topic,
        ];
  const child = fork(
    BIN,
    [
      '--log-level',
      'warn',
      'simulate',
      '--controlled',
      '--shard',
      `${index}/${count}`,
      '--players',
      String(plan.players),
      '--seed',
      String(plan.seed),
      '--skew',
      String(plan.skew),
      '--mix',
      Object.entries(plan.mix)
        .map(([source, weight]) => `${source}=${weight}`)
        .join(','),
      '--partitions',
      String(plan.partitions),
      '--namespace',
      plan.namespace,
      '--scenarios-file',
      planFile,
      '--ledger',
      ledger,
      '--output',
      output,
      ...sinkArgs,
    ],
    // A process group of its own, as the service has: Ctrl-C reaches the run, which tells
    // every generator to stop and still merges what they sent. (A generator whose run is gone
    // loses its IPC channel and stops by itself.)
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true },
  );
  // 'close', not 'exit': by then its stderr has been read to the end, last words included.
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code, signal) => {
      resolve(code ?? (signal === null ? null : -1));
    });
  });
  const member: Member = { index, child, output, ledger, exited, sent: 0, stderr: '' };
  child.stderr?.on('data', (chunk: Buffer) => {
    member.stderr = (member.stderr + chunk.toString()).slice(-STDERR_KEPT);
  });
  // A message to a generator that has just gone: its exit code tells what happened.
  child.on('error', (error) => {
    member.stderr = `${member.stderr}\n${error.message}`.slice(-STDERR_KEPT);
  });
  child.on('message', (message: FromGenerator) => {
    if (message.type === 'progress') member.sent = message.sent;
  });
  return member;
}

/** Resolves at the generator's `ready`; rejects, with its last words, when it exits first. */
function readyOf(member: Member): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromGenerator) => {
      if (message.type !== 'ready') return;
      member.child.off('message', onMessage);
      resolve();
    };
    member.child.on('message', onMessage);
    void member.exited.then((code) => {
      reject(
        new Error(
          `generator ${member.index} exited with ${String(code)} before it was ready: ${member.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        ),
      );
    });
  });
}
