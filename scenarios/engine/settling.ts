import type * as hdr from 'hdr-histogram-js';
import type { IntervalMetric } from '../../sut/metrics/interval-recorder.ts';
import type { LoadEdges } from './latency-store.ts';

/** A window's exact figures: what the start of a load is compared with its end by. */
export interface WindowFigures {
  readonly flushes: number;
  readonly flushP95Ms: number | null;
  readonly eventToCommitP99Ms: number | null;
}

/** Whether a run settled: its first and last seconds side by side, and when it got there. */
export interface Settling {
  /** The length of each window compared (30 s, less for a short load). */
  readonly seconds: number;
  readonly first: WindowFigures;
  readonly last: WindowFigures;
  /** first flush p95 / last flush p95: 1 is a run that measured steady from its first second. */
  readonly flushP95Ratio: number | null;
  /**
   * The second of the load from which, in every 10 seconds, at most one second's flush p95
   * is above SETTLED_WITHIN times the last window's: null when that never holds.
   */
  readonly settledAfterSeconds: number | null;
}

/** How close to the end's level a stretch of seconds must be to count as settled. */
export const SETTLED_WITHIN = 2;
const ROLLING_SECONDS = 10;
/** Seconds of a window that may exceed the limit and still count as settled. */
const MAX_SPIKES = 1;

function figures(window: Map<IntervalMetric, hdr.Histogram>): WindowFigures {
  const read = (metric: IntervalMetric, percentile: number) => {
    const h = window.get(metric);
    return h === undefined || h.totalCount === 0 ? null : h.getValueAtPercentile(percentile) / 1000;
  };
  return {
    flushes: window.get('flushDurationUs')?.totalCount ?? 0,
    flushP95Ms: read('flushDurationUs', 95),
    eventToCommitP99Ms: read('eventToCommitUs', 99),
  };
}

/**
 * The settling of a run from the exact edges of its load and its per-second flush p95
 * (`series`, one point per second from 1). Destroys the edges' histograms.
 */
export function settlingOf(
  edges: LoadEdges,
  series: readonly { readonly t: number; readonly flushP95Ms: number | null }[],
  loadSeconds: number,
): Settling {
  const first = figures(edges.first);
  const last = figures(edges.last);
  for (const h of [...edges.first.values(), ...edges.last.values()]) h.destroy();
  const perSecond = series
    .filter((p) => p.t <= loadSeconds && p.flushP95Ms !== null)
    .map((p) => ({ t: p.t, v: p.flushP95Ms as number }));
  let settledAfterSeconds: number | null = null;
  if (last.flushP95Ms !== null && perSecond.length >= ROLLING_SECONDS) {
    const limit = last.flushP95Ms * SETTLED_WITHIN;
    // Walk back from the end: the earliest start of an unbroken run of settled windows,
    // a window settled when at most one of its seconds is above the limit (a lone spike,
    // a checkpoint, does not unsettle a run).
    for (let i = perSecond.length - ROLLING_SECONDS; i >= 0; i--) {
      const above = perSecond.slice(i, i + ROLLING_SECONDS).filter((p) => p.v > limit).length;
      if (above > MAX_SPIKES) break;
      settledAfterSeconds = (perSecond[i] as { t: number }).t - 1;
    }
  }
  return {
    seconds: edges.seconds,
    first,
    last,
    flushP95Ratio:
      first.flushP95Ms === null || last.flushP95Ms === null || last.flushP95Ms === 0
        ? null
        : first.flushP95Ms / last.flushP95Ms,
    settledAfterSeconds,
  };
}

const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);

/** One line for the summary: did the run measure steady from its start? */
export function settlingLine(s: Settling): string {
  return `settling: flush p95 ${ms(s.first.flushP95Ms)} in the first ${s.seconds} s of the load, ${ms(s.last.flushP95Ms)} in the last ${s.seconds} s${s.flushP95Ratio === null ? '' : ` (${s.flushP95Ratio.toFixed(1)}x)`}; event-to-commit p99 ${ms(s.first.eventToCommitP99Ms)} then ${ms(s.last.eventToCommitP99Ms)}; ${s.settledAfterSeconds === null ? 'the per-second flush p95 never settled within 2x of the end' : s.settledAfterSeconds === 0 ? 'steady (within 2x of the end) from the first second' : `steady (within 2x of the end) after ${s.settledAfterSeconds} s`}`;
}
