import type * as hdr from 'hdr-histogram-js';
import { decodeLatencies } from './stats/hdr-encoding.ts';
import type { RecordedMachineLoad, RunResult } from './schema/result-schema.ts';

/** The exact histograms a run keeps (microseconds, or rows), by the service's metric name. */
export type ExactMetric = 'flushDurationUs' | 'eventToCommitUs' | 'flushRows' | 'rowsUpdated';

/** The part of a run that is judged: its steady scenario when it has a warm-up, else all of it. */
export function judgedPart(r: RunResult): { scenario: string | undefined; label: string } {
  const scenario = r.metrics.steadyScenario;
  return { scenario, label: scenario === undefined ? 'whole run' : `scenario ${scenario}` };
}

/**
 * One exact histogram of a run, merged over partitions (and over scenarios unless one is
 * named); undefined for results from before exact histograms were kept. The caller destroys it.
 */
export function exactHistogram(
  r: RunResult,
  metric: ExactMetric,
  scenario?: string,
): hdr.Histogram | undefined {
  const byScenario = r.metrics.latency?.[metric];
  if (byScenario === undefined) return undefined;
  let merged: hdr.Histogram | undefined;
  for (const [name, partitions] of Object.entries(byScenario)) {
    if (scenario !== undefined && name !== scenario) continue;
    for (const encoded of Object.values(partitions)) {
      const h = decodeLatencies(encoded);
      if (merged === undefined) merged = h;
      else {
        merged.add(h);
        h.destroy();
      }
    }
  }
  return merged;
}

/** One line on how busy the machine was: what a reader needs to trust a figure or not. */
export function machineFigure(m: RecordedMachineLoad | undefined): string | undefined {
  if (m === undefined) return undefined;
  return `other processes ${m.cpuPercent.others.toFixed(0)} % of ${m.cores} cores, load ${m.loadAverage.mean.toFixed(1)}`;
}
