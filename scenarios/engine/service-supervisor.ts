import {
  accumulateSamples,
  parsePrometheusText,
  sumOf,
  type PromSample,
} from '../../results/stats/prometheus-text.ts';
import type { DeliveryLedger } from '../../simulator/delivery-ledger.ts';
import { startChildSut, type ChildSut } from '../../sut/service/child-sut.ts';
import type { CrashWindow } from './increment-audit.ts';
import type { IntervalHistogram, IntervalMetric } from '../../sut/metrics/interval-recorder.ts';
import type * as hdr from 'hdr-histogram-js';
import type { LatencyStore } from './latency-store.ts';
import { METRIC_NAMES } from '../../sut/metrics/metric-names.ts';

/** After a SIGKILL, answers already on their way from the dead service still arrive for a moment. */
const LATE_ANSWERS_MS = 200;

/**
 * The service under test as a run sees it: one child process at a time on one port, started
 * again after a fault stopped it, with its figures added up over every life (a new process
 * starts its counters at 0) and, for every SIGKILL, what it held unwritten when it died.
 */
export class ServiceSupervisor {
  private current: ChildSut;
  /** Figures of the lives that ended, as last read. */
  private finished: PromSample[] = [];
  private lastScrape: PromSample[] = [];
  readonly crashes: CrashWindow[] = [];
  /** Lives so far (1 until a fault restarts the service). */
  lives = 1;

  private constructor(
    first: ChildSut,
    private readonly args: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly port: number,
    private readonly ledger: DeliveryLedger | undefined,
    private readonly latency: LatencyStore | undefined,
    /** Which of the run's services this is (`run --services N`): its histograms' cursor. */
    readonly instance: number,
  ) {
    this.current = first;
  }

  static async start(
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    port: number,
    ledger?: DeliveryLedger,
    latency?: LatencyStore,
    instance = 0,
  ): Promise<ServiceSupervisor> {
    const first = await startChildSut(args, env, port);
    // A restart comes back on the same port, so the load generator's target stays valid.
    const bound = Number(new URL(first.url).port);
    return new ServiceSupervisor(first, args, env, bound, ledger, latency, instance);
  }

  /**
   * The service's exact histograms since the last read, into the store; `close` takes the
   * open second too (before the service is stopped or killed). Returns the seconds read,
   * merged over partitions, for the per-second series.
   */
  async pullIntervals(close = false): Promise<Map<IntervalMetric, hdr.Histogram>> {
    const store = this.latency;
    if (store === undefined) return new Map();
    const res = await fetch(
      `${this.current.url}/intervals?after=${store.seqOf(this.instance)}${close ? '&close=1' : ''}`,
    );
    const { intervals } = (await res.json()) as { intervals: IntervalHistogram[] };
    return store.add(intervals, this.instance);
  }

  get url(): string {
    return this.current.url;
  }

  /** The service's process now. */
  get pid(): number | undefined {
    return this.current.child.pid;
  }

  /** The figures as last read, with the lives before: for a moment the service cannot answer. */
  lastKnown(): PromSample[] {
    return accumulateSamples(this.finished, this.lastScrape);
  }

  /** The service's /metrics now, added to what the lives before it counted. */
  async scrape(): Promise<PromSample[]> {
    const text = await (await fetch(`${this.current.url}/metrics`)).text();
    this.lastScrape = parsePrometheusText(text);
    return accumulateSamples(this.finished, this.lastScrape);
  }

  /**
   * SIGKILL, as a crash: what it had buffered or in flight is read just before, and every
   * event it acknowledged from that read to its death is added, bounding what the crash lost.
   * Started again after `restartAfterMs`.
   */
  async kill(restartAfterMs: number): Promise<void> {
    const ackFrom = this.ledger?.acknowledgedCount ?? 0;
    await this.scrape();
    await this.pullIntervals(true);
    const unwritten = sumOf(this.lastScrape, METRIC_NAMES.unwrittenIncrements);
    // Read before the kill: a flush that commits in between only makes the true window smaller.
    const durableThrough = durableMarks(this.lastScrape);
    const at = Date.now();
    this.current.child.kill('SIGKILL');
    await this.current.stop();
    await new Promise((r) => setTimeout(r, LATE_ANSWERS_MS));
    this.crashes.push({
      unwrittenBefore: unwritten,
      ackFrom,
      ackTo: this.ledger?.acknowledgedCount ?? 0,
      at,
      durableThrough,
    });
    // The dying life's figures as last read, by this or by the per-second sampler.
    this.finished = accumulateSamples(this.finished, this.lastScrape);
    this.lastScrape = [];
    await this.restart(restartAfterMs);
  }

  /** SIGTERM: the service flushes everything and exits; started again after `restartAfterMs`. */
  async terminate(restartAfterMs: number): Promise<void> {
    await this.scrape();
    await this.pullIntervals(true);
    const code = await this.current.stop();
    if (code !== 0) throw new Error(`the service exited with ${String(code)} on SIGTERM`);
    this.finished = accumulateSamples(this.finished, this.lastScrape);
    this.lastScrape = [];
    await this.restart(restartAfterMs);
  }

  private async restart(afterMs: number): Promise<void> {
    if (afterMs > 0) await new Promise((r) => setTimeout(r, afterMs));
    this.current = await startChildSut(this.args, this.env, this.port);
    this.latency?.restarted(this.instance);
    this.lives++;
  }

  /** The final SIGTERM: every partition flushed; its exit code. */
  stop(): Promise<number | null> {
    return this.current.stop();
  }
}

/** The service's durable-through mark per partition (epoch ms), by partition number. */
function durableMarks(samples: readonly PromSample[]): number[] {
  const marks: number[] = [];
  for (const s of samples)
    if (s.name === METRIC_NAMES.durableThroughSeconds)
      marks[Number(s.labels.partition)] = Math.round(s.value * 1000);
  return marks;
}
