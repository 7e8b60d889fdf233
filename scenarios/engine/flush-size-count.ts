import * as hdr from 'hdr-histogram-js';
import { decodeLatencies } from '../../results/stats/hdr-encoding.ts';
import { INTERVAL_HISTOGRAM } from '../../sut/metrics/interval-recorder.ts';
import type { EncodedLatencies } from './latency-store.ts';

/**
 * How many values a histogram holds at `value` or above. Exact for flush sizes: at three
 * significant digits every value below 2,048 has a bucket of its own.
 */
export function countAtLeast(h: hdr.Histogram, value: number): number {
  if (!(h instanceof hdr.JsHistogram))
    throw new TypeError('counting values needs a JavaScript HdrHistogram, not a WebAssembly one');
  const values = h.recordedValuesIterator;
  values.reset();
  let n = 0;
  while (values.hasNext()) {
    const v = values.next();
    if (v.valueIteratedTo >= value) n += v.countAtValueIteratedTo;
  }
  return n;
}

/**
 * A run's exact flush sizes, every partition merged: one scenario's, or the whole run's when
 * none is named. The caller destroys the histogram.
 */
export function flushSizesOf(latency: EncodedLatencies, scenario?: string): hdr.Histogram {
  const out = hdr.build(INTERVAL_HISTOGRAM);
  const byScenario = latency.flushRows ?? {};
  for (const [name, partitions] of Object.entries(byScenario)) {
    if (scenario !== undefined && name !== scenario) continue;
    for (const encoded of Object.values(partitions)) {
      const h = decodeLatencies(encoded);
      out.add(h);
      h.destroy();
    }
  }
  return out;
}
