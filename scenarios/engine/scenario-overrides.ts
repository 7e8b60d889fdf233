import { UsageError } from '../../lib/errors.ts';
import { parseDuration } from '../../simulator/duration.ts';
import type { HealthLimits } from './health-limits.ts';

/** What `harness run` may change in a scenario file from the command line. */
export interface ScenarioOverrides {
  readonly rate?: number | undefined;
  readonly duration?: string | undefined;
  readonly variant?: readonly string[] | undefined;
  readonly freshTable?: boolean | undefined;
  /** /healthz limits (ms) for the service(s) the run starts, over the file's `harness.health`. */
  readonly health?: { readonly [K in keyof HealthLimits]?: number | undefined } | undefined;
}

export type RawOptions = Record<string, unknown> & {
  scenarios: Record<string, Record<string, unknown>>;
  harness?: Record<string, unknown>;
};

const startOf = (sc: Record<string, unknown>) =>
  typeof sc.startTime === 'string' ? parseDuration(sc.startTime, 'startTime') : 0;

/** The scenario a run is about: the one that starts last (a warm-up comes first). */
export function mainScenarioName(raw: RawOptions): string {
  const entries = Object.entries(raw.scenarios);
  return entries.reduce((a, b) => (startOf(b[1]) >= startOf(a[1]) ? b : a))[0];
}

/**
 * A scenario file's options with the command line's changes, before validation (which then
 * judges the result whole): `--duration` changes the scenario the run is about, `--rate` every
 * constant-arrival-rate scenario, the warm-up too; `--variant` replaces the file's variants.
 */
export function withOverrides(
  options: unknown,
  o: ScenarioOverrides,
): { raw: RawOptions; overridden: boolean } {
  const raw = structuredClone(options) as RawOptions;
  const entries = Object.entries(raw.scenarios);
  const [name, main] = entries.reduce((a, b) => (startOf(b[1]) >= startOf(a[1]) ? b : a));
  if (o.rate !== undefined || o.duration !== undefined) {
    if (main.executor !== 'constant-arrival-rate')
      throw new UsageError(
        `--rate and --duration apply to constant-arrival-rate; scenario "${name}" is ${String(main.executor)}`,
      );
    if (o.duration !== undefined) main.duration = o.duration;
    if (o.rate !== undefined)
      for (const [, sc] of entries) if (sc.executor === 'constant-arrival-rate') sc.rate = o.rate;
  }
  if (o.freshTable === true) raw.harness = { ...(raw.harness ?? {}), freshTable: true };
  // A flag not given is undefined: only those given are limits.
  const health: Record<string, number> = {};
  for (const [key, value] of Object.entries(o.health ?? {}) as [string, number | undefined][])
    if (value !== undefined) health[key] = value;
  const healthSet = Object.keys(health).length > 0;
  if (healthSet) {
    const fromFile = raw.harness?.health;
    raw.harness = {
      ...(raw.harness ?? {}),
      health: { ...(typeof fromFile === 'object' && fromFile !== null ? fromFile : {}), ...health },
    };
  }
  if (o.variant !== undefined) {
    const harness = { ...(raw.harness ?? {}) };
    delete harness.variant;
    delete harness.variants;
    raw.harness =
      o.variant.length === 1
        ? { ...harness, variant: o.variant[0] }
        : { ...harness, variants: o.variant };
  }
  const overridden =
    healthSet ||
    o.freshTable === true ||
    o.rate !== undefined ||
    o.duration !== undefined ||
    o.variant !== undefined;
  return { raw, overridden };
}
