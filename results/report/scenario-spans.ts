import type { RunResult } from '../schema/result-schema.ts';

/** One scenario of a run's file on the run's clock, in seconds from the start of the load. */
export interface ScenarioSpan {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** The scenario the verdict and the thresholds without a tag are about. */
  readonly judged: boolean;
}

const UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** k6's duration strings (`30s`, `1m30s`, `500ms`) in seconds; null for anything else. */
function seconds(value: unknown): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  const text = value.trim();
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (match === null) return null;
    total += Number(match[1]) * (UNIT_S[match[2] as string] as number);
    index = part.lastIndex;
  }
  return total;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** A scenario's length: its duration, or its stages added up (ramping executors). */
function length(scenario: Record<string, unknown>): number | null {
  const duration = seconds(scenario.duration);
  if (duration !== null) return duration;
  if (!Array.isArray(scenario.stages) || scenario.stages.length === 0) return null;
  let total = 0;
  for (const stage of scenario.stages) {
    const s = seconds(record(stage)?.duration);
    if (s === null) return null;
    total += s;
  }
  return total;
}

/**
 * Where each scenario of a file of several ran, read from the options the run recorded, so
 * that charts can shade the warm-up and name the judged part. Empty for a run of one
 * scenario (nothing to tell apart) and when the recorded options cannot be read as k6's:
 * boundaries that might be wrong are worse than none.
 */
export function scenarioSpans(r: RunResult): ScenarioSpan[] {
  const scenarios = record(record(r.config.options)?.scenarios);
  const judged = r.metrics.steadyScenario;
  if (scenarios === null || judged === undefined) return [];
  const spans: ScenarioSpan[] = [];
  for (const [name, value] of Object.entries(scenarios)) {
    const scenario = record(value);
    if (scenario === null) return [];
    const start = scenario.startTime === undefined ? 0 : seconds(scenario.startTime);
    const span = length(scenario);
    if (start === null || span === null) return [];
    spans.push({ name, start, end: start + span, judged: name === judged });
  }
  return spans.length > 1 ? spans.sort((a, b) => a.start - b.start) : [];
}
