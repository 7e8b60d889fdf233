import type { SeriesPoint } from './run-plan.ts';

/** How long a rate must hold for the verdict to count it as the load a service carries. */
export const SUSTAINED_WINDOW_SECONDS = 30;

/** Part of a run, in seconds from the start of its load: a scenario as it ran. */
export interface LoadSpan {
  readonly fromS: number;
  readonly toS: number;
}

export interface SustainedRate {
  /** The window read: SUSTAINED_WINDOW_SECONDS, or the whole span when it is shorter. */
  readonly windowSeconds: number;
  /** The highest rate (events/s) over any window of that length in the span; null with no second in it. */
  readonly peak: number | null;
  /** Where that window ends, in seconds from the start of the load. */
  readonly peakEndsAt: number | null;
}

interface Covered {
  readonly endsAt: number;
  readonly seconds: number;
  readonly events: number;
}

/**
 * The per-second points inside a span. A point stands for the time since the one before it
 * (a late scrape covers more than a second); it belongs to the span when the middle of that
 * time does, so a scenario that starts at 10 s begins with the point at 11 s.
 */
function coveredSeconds(series: readonly SeriesPoint[], span: LoadSpan): Covered[] {
  const out: Covered[] = [];
  let previous: number | undefined;
  for (const point of series) {
    const seconds = previous === undefined ? 1 : point.t - previous;
    previous = point.t;
    const middle = point.t - seconds / 2;
    if (seconds > 0 && middle >= span.fromS && middle <= span.toS)
      out.push({ endsAt: point.t, seconds, events: point.eventsPerSecond * seconds });
  }
  return out;
}

/**
 * The highest rate a span of a run held over a sustained window, from the per-second series
 * (the events the service accepted each second). A span shorter than the window is read
 * whole: its rate over all of it.
 */
export function peakSustainedRate(
  series: readonly SeriesPoint[],
  span: LoadSpan,
  windowSeconds = SUSTAINED_WINDOW_SECONDS,
): SustainedRate {
  const points = coveredSeconds(series, span);
  const total = points.reduce((n, p) => n + p.seconds, 0);
  if (total === 0) return { windowSeconds: 0, peak: null, peakEndsAt: null };
  const window = Math.min(windowSeconds, total);
  let peak: number | null = null;
  let peakEndsAt: number | null = null;
  let first = 0;
  let seconds = 0;
  let events = 0;
  for (const point of points) {
    seconds += point.seconds;
    events += point.events;
    // Drop the oldest seconds while the window stays full without them.
    for (
      let oldest = points[first];
      oldest !== undefined && seconds - oldest.seconds >= window;
      oldest = points[first]
    ) {
      seconds -= oldest.seconds;
      events -= oldest.events;
      first++;
    }
    if (seconds >= window && (peak === null || events / seconds > peak)) {
      peak = events / seconds;
      peakEndsAt = point.endsAt;
    }
  }
  return { windowSeconds: window, peak, peakEndsAt };
}

/**
 * Seconds one sample of the events_per_second gauge averages over. A single second's count
 * swings by up to a tenth on a busy machine as events fall either side of a scrape (a low
 * second is followed by a high one); five seconds hold a steady load to about 1 %.
 */
export const GAUGE_SAMPLE_SECONDS = 5;

/**
 * The gauge of the load as k6 keeps one: sampled once a second, each sample the rate the
 * service accepted events at over the last GAUGE_SAMPLE_SECONDS (fewer at the start); its
 * value the last sample taken while the load ran, with its lowest and highest samples.
 * Seconds after the load (the final flushes) are left out.
 */
export function rateGauge(
  series: readonly SeriesPoint[],
  loadMs: number,
): { readonly value: number; readonly min: number; readonly max: number } | undefined {
  // The sampler starts a moment before the schedule does: a second that ends within that
  // moment of the load's end is still a second of load.
  const during = coveredSeconds(series, { fromS: 0, toS: Number.POSITIVE_INFINITY }).filter(
    (p) => p.endsAt * 1000 <= loadMs + 100,
  );
  if (during.length === 0) return undefined;
  const samples = during.map((p, i) => {
    let seconds = 0;
    let events = 0;
    for (let j = i; j >= 0; j--) {
      const q = during[j] as Covered;
      if (q.endsAt <= p.endsAt - GAUGE_SAMPLE_SECONDS) break;
      seconds += q.seconds;
      events += q.events;
    }
    return events / seconds;
  });
  return {
    value: samples[samples.length - 1] as number,
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}
