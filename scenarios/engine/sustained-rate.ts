import type { SeriesPoint } from './run-scenario.ts';

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
 * The gauge of the load as k6 keeps one: sampled once a second (the events the service
 * accepted in that second), its value the last sample taken while the load ran, and its
 * lowest and highest samples. Seconds after the load (the final flushes) are left out.
 */
export function rateGauge(
  series: readonly SeriesPoint[],
  loadMs: number,
): { readonly value: number; readonly min: number; readonly max: number } | undefined {
  // The sampler starts a moment before the schedule does: a second that ends within that
  // moment of the load's end is still a second of load.
  const during = series.filter((p) => p.t * 1000 <= loadMs + 100);
  const last = during[during.length - 1];
  if (last === undefined) return undefined;
  const rates = during.map((p) => p.eventsPerSecond);
  return { value: last.eventsPerSecond, min: Math.min(...rates), max: Math.max(...rates) };
}
