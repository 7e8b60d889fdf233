import * as hdr from 'hdr-histogram-js';

/** Microsecond resolution, up to one hour, three significant digits. */
const HISTOGRAM_OPTIONS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3 as const,
};

/**
 * Latencies in milliseconds as a compressed base64 HdrHistogram of microseconds: the format
 * HdrHistogram implementations in every language read, so runs can be merged and their
 * percentiles recomputed later.
 */
export function encodeLatenciesMs(samplesMs: readonly number[]): string {
  const histogram = hdr.build(HISTOGRAM_OPTIONS);
  for (const ms of samplesMs) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  const encoded = hdr.encodeIntoCompressedBase64(histogram);
  histogram.destroy();
  return encoded;
}

export function decodeLatencies(encoded: string): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(encoded);
}
