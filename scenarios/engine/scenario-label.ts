import type { Logger } from '../../lib/logger.ts';
import { AFTER_LOAD, type ScenarioWindow } from './latency-store.ts';

/** The scenario running `ms` into the load: of several, the one that started last. */
export function scenarioAtMs(windows: readonly ScenarioWindow[], ms: number): string {
  let found: ScenarioWindow | undefined;
  for (const w of windows)
    if (ms >= w.startMs && ms < w.endMs && (found === undefined || w.startMs >= found.startMs))
      found = w;
  return found?.name ?? AFTER_LOAD;
}

/**
 * Tells each service which scenario is running (`PUT /scenario?name=`), so its /metrics carry
 * a `scenario` label as the run's own samples do and a dashboard tells a warm-up from the
 * judged part. Said again every second, so a service restarted by a fault has it too. A
 * service that cannot be told is a warning, not a failed run: the label is for people.
 */
export function labelScenarios(
  urls: () => readonly string[],
  windows: readonly ScenarioWindow[],
  logger: Logger,
): { stop(): Promise<void> } {
  const startedAt = performance.now();
  let warned = false;
  const tell = (name: string) =>
    Promise.all(
      urls().map((url) =>
        fetch(`${url}/scenario?name=${encodeURIComponent(name)}`, {
          method: 'PUT',
          signal: AbortSignal.timeout(900),
        })
          .then((res) => res.body?.cancel())
          .catch((error: unknown) => {
            if (warned) return;
            warned = true;
            logger.debug(`could not label ${url}'s metrics with the scenario: ${String(error)}`);
          }),
      ),
    );
  void tell(scenarioAtMs(windows, 0));
  const timer = setInterval(() => {
    void tell(scenarioAtMs(windows, performance.now() - startedAt));
  }, 1000);
  return {
    async stop() {
      clearInterval(timer);
      await tell(AFTER_LOAD);
    },
  };
}
