import type * as hdr from 'hdr-histogram-js';
import { mergeInstanceSamples, type PromSample } from '../../results/stats/prometheus-text.ts';
import type { DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import type { IntervalMetric } from '../../sut/metrics/interval-recorder.ts';
import type { CrashWindow } from './increment-audit.ts';
import type { LatencyStore } from './latency-store.ts';
import { ServiceSupervisor } from './service-supervisor.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';

/** What one instance of the run's services did: its processes and the partitions it flushed. */
export interface ServiceInstanceLine {
  readonly instance: number;
  readonly lives: number;
  /** Flushes per partition it made, over its lives: a partition handed over shows on both. */
  readonly flushes: Readonly<Record<string, number>>;
}

/**
 * The services of a run as one (`harness run --services N`): N `harness sut` processes in one
 * Kafka consumer group, each supervised on its own port, read as one service: their /metrics
 * added up (flushes per partition over every instance, whichever held the partition when),
 * their exact histograms into one store, each with its own cursor. A service fault acts on
 * the instance it names (the first by default); the group hands its partitions to the others
 * while it is down.
 */
export class ServiceGroup {
  private constructor(private readonly members: readonly ServiceSupervisor[]) {}

  /**
   * Starts `count` services with the same arguments; with a fixed `port` the instances take
   * port, port + 1, ... One that fails to start stops the others.
   */
  static async start(
    count: number,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    port: number,
    ledger?: DeliveryLedger,
    latency?: LatencyStore,
  ): Promise<ServiceGroup> {
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        ServiceSupervisor.start(args, env, port === 0 ? 0 : port + i, ledger, latency, i),
      ),
    );
    const members = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(members.map((m) => m.stop()));
      throw failed.reason;
    }
    return new ServiceGroup(members);
  }

  private get first(): ServiceSupervisor {
    return this.members[0] as ServiceSupervisor;
  }

  get size(): number {
    return this.members.length;
  }

  /** The first instance's address: the HTTP target (a run over HTTP has one service). */
  get url(): string {
    return this.first.url;
  }

  get urls(): string[] {
    return this.members.map((m) => m.url);
  }

  /** Every instance's process now. */
  get pids(): number[] {
    return this.members.flatMap((m) => (m.pid === undefined ? [] : [m.pid]));
  }

  get crashes(): CrashWindow[] {
    return this.members.flatMap((m) => m.crashes);
  }

  /** Processes the services ran as: one per instance, plus one per restart a fault caused. */
  get lives(): number {
    return this.members.reduce((n, m) => n + m.lives, 0);
  }

  /**
   * Every instance's /metrics added up. An instance that cannot answer (a fault has it down)
   * counts as last read, as long as another one answers; all down is an error, as for one.
   */
  async scrape(): Promise<PromSample[]> {
    if (this.members.length === 1) return this.first.scrape();
    const read = await Promise.allSettled(this.members.map((m) => m.scrape()));
    const failed = read.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined && read.every((r) => r.status === 'rejected')) throw failed.reason;
    return mergeInstanceSamples(
      read.map((r, i) =>
        r.status === 'fulfilled' ? r.value : (this.members[i]?.lastKnown() ?? []),
      ),
    );
  }

  /**
   * Every instance's exact histograms since the last read, merged by metric; one that cannot
   * answer now is read next time, from where its cursor stands.
   */
  async pullIntervals(close = false): Promise<Map<IntervalMetric, hdr.Histogram>> {
    if (this.members.length === 1) return this.first.pullIntervals(close);
    const read = (await Promise.allSettled(this.members.map((m) => m.pullIntervals(close)))).map(
      (r) => (r.status === 'fulfilled' ? r.value : new Map<IntervalMetric, hdr.Histogram>()),
    );
    const [merged, ...rest] = read;
    if (merged === undefined) return new Map();
    for (const more of rest)
      for (const [metric, h] of more) {
        const into = merged.get(metric);
        if (into === undefined) merged.set(metric, h);
        else {
          into.add(h);
          h.destroy();
        }
      }
    return merged;
  }

  /** Each instance's share, from its figures as last read (call after the final scrape). */
  instances(): ServiceInstanceLine[] {
    return this.members.map((m) => {
      const flushes: Record<string, number> = {};
      for (const s of m.lastKnown())
        if (s.name === METRIC_NAMES.flushesTotal && s.labels.partition !== undefined)
          flushes[s.labels.partition] = (flushes[s.labels.partition] ?? 0) + s.value;
      return { instance: m.instance, lives: m.lives, flushes };
    });
  }

  kill(restartAfterMs: number, instance = 0): Promise<void> {
    return this.member(instance).kill(restartAfterMs);
  }

  terminate(restartAfterMs: number, instance = 0): Promise<void> {
    return this.member(instance).terminate(restartAfterMs);
  }

  private member(instance: number): ServiceSupervisor {
    const member = this.members[instance];
    if (member === undefined)
      throw new Error(`service ${instance} does not exist: the run has ${this.members.length}`);
    return member;
  }

  /** The final SIGTERM to every instance; the first exit code that is not 0, else 0. */
  async stop(): Promise<number | null> {
    const codes = await Promise.all(this.members.map((m) => m.stop()));
    return codes.find((c) => c !== 0) ?? 0;
  }
}
