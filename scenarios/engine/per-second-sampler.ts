/** One tick of the sampler: which second it stands for and how long a window it covers. */
export interface SampleWindow {
  /** Whole seconds since the start: the tick this sample belongs to, unique and increasing. */
  readonly second: number;
  /** Seconds since the previous sample (or the start): what per-second rates divide by. */
  readonly seconds: number;
}

export interface SamplerOptions<T> {
  readonly intervalMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Takes one sample (a /metrics scrape). */
  readonly scrape: () => Promise<T>;
  readonly onSample: (sample: T, window: SampleWindow) => void | Promise<void>;
  readonly onError: (error: unknown) => void;
}

export interface RunningSampler {
  /** Stops after the sample in progress, if any. */
  stop(): Promise<void>;
}

/**
 * Samples on a fixed schedule, one tick per interval from the start. A scrape that comes back
 * late does not shift the schedule or stack samples up: the ticks it overran are skipped, so
 * every sample has a second of its own, and its window is the real time since the last one,
 * which is what a rate over it must divide by.
 */
export function startPerSecondSampler<T>(options: SamplerOptions<T>): RunningSampler {
  const { intervalMs, now } = options;
  const started = now();
  let last = started;
  let tick = 1;
  const state = { stopped: false };
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!state.stopped) {
      const due = started + tick * intervalMs;
      const wait = due - now();
      if (wait > 0)
        await Promise.race([
          options.sleep(wait),
          new Promise<void>((resolve) => {
            wake = resolve;
          }),
        ]);
      // stop() may have run while this loop slept.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (state.stopped) return;
      try {
        const sample = await options.scrape();
        const at = now();
        const window = {
          second: Math.round((tick * intervalMs) / 1000),
          seconds: (at - last) / 1000,
        };
        last = at;
        await options.onSample(sample, window);
      } catch (error) {
        options.onError(error);
      }
      // Past every tick this sample overran: the next one is the first still ahead.
      tick = Math.max(tick + 1, Math.floor((now() - started) / intervalMs) + 1);
    }
  })();
  return {
    async stop() {
      state.stopped = true;
      wake?.();
      await loop;
    },
  };
}
