import pg from 'pg';
import { startPgLinkProxy, type LinkDelay, type PgLinkProxy } from '../faults/pg-link-proxy.ts';

/**
 * The network between the service and the database, as `--db-latency` asks for it: the
 * harness's own TCP proxy (scenarios/faults/pg-link-proxy.ts) holds every chunk for half the
 * round trip in each direction. It needs no privileges: Linux traffic control (tc netem)
 * would shape real packets, but needs CAP_NET_ADMIN in a network namespace of its own, which
 * a CI runner or a developer's container often lacks.
 */
export type DbLinkSettings = LinkDelay;

/** What the link measured: recorded in results (env.link) and said when it falls short. */
export interface DbLinkRecord {
  /** The round trip asked for, added to the one the machine has (ms). */
  readonly roundTripMs: number;
  readonly jitterMs: number;
  /** `SELECT 1` through the proxy, median (ms). */
  readonly throughRoundTripMs: number;
  /** `SELECT 1` straight to the server, median (ms). */
  readonly directRoundTripMs: number;
  /** What the proxy added to the probes: through - direct (its own hop included). */
  readonly measuredAddedMs: number;
  /**
   * What the link held each round trip over the work: twice the mean time a chunk waited in
   * the proxy, arrival to departure (its hop through the event loop not included).
   */
  readonly heldRoundTripMs: number;
  /** How late chunks left against their due time over the work: median, p99, the worst (ms). */
  readonly latenessP50Ms: number;
  readonly latenessP99Ms: number;
  readonly latenessMaxMs: number;
  /** Whether the proxy held the round trip within LINK_MARGIN (see linkMargin). */
  readonly held: boolean;
}

/** Probes each way: enough for a stable median, a fraction of a second even at 2 ms. */
const PROBES = 60;

/**
 * How far the measured round trip may exceed the one asked for before the link is said not
 * to hold it: 0.25 ms (the proxy's own hop through the event loop, both ways, measured at
 * 0.1-0.2 ms on a busy 2-core machine) or 10 %, the larger. Per direction, the typical
 * (median) chunk may leave at most half of that late.
 */
export function linkMargin(roundTripMs: number): number {
  return Math.max(0.25, roundTripMs * 0.1);
}

export interface DbLink {
  /** The database URL with the link in between. */
  readonly url: string;
  readonly proxy: PgLinkProxy;
  /** Round trips the proxy has seen (a client turn after the server's). */
  exchanges(): number;
  /** Measures the link now and reads the proxy's lateness since it opened. */
  measure(): Promise<DbLinkRecord>;
  close(): Promise<void>;
}

async function medianRoundTrip(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const samples: number[] = [];
    for (let i = 0; i < PROBES; i++) {
      const t0 = performance.now();
      await client.query('SELECT 1');
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)] as number;
  } finally {
    await client.end();
  }
}

export async function openDbLink(directUrl: string, settings: DbLinkSettings): Promise<DbLink> {
  const proxy = await startPgLinkProxy(directUrl);
  proxy.setLink(settings);
  return {
    url: proxy.url,
    proxy,
    exchanges: () => proxy.stats.exchanges,
    async measure() {
      const direct = await medianRoundTrip(directUrl);
      const through = await medianRoundTrip(proxy.url);
      const lateness = proxy.takeLateness();
      const added = Math.max(0, through - direct);
      const margin = linkMargin(settings.roundTripMs);
      return {
        roundTripMs: settings.roundTripMs,
        jitterMs: settings.jitterMs,
        throughRoundTripMs: through,
        directRoundTripMs: direct,
        measuredAddedMs: added,
        heldRoundTripMs: 2 * lateness.meanHoldMs,
        latenessP50Ms: lateness.p50Ms,
        latenessP99Ms: lateness.p99Ms,
        latenessMaxMs: lateness.maxMs,
        // What the work met: the chunks' mean hold (no chunk: the probes') against the ask.
        held:
          (lateness.chunks > 0 ? 2 * lateness.meanHoldMs : added) - settings.roundTripMs <= margin,
      };
    },
    close: () => proxy.close(),
  };
}

/** The words for a link that did not hold its round trip, or undefined when it did. */
export function linkShortfall(record: DbLinkRecord): string | undefined {
  if (record.held) return undefined;
  const margin = linkMargin(record.roundTripMs);
  return `the database link did not hold --db-latency ${record.roundTripMs} ms: it held chunks ${record.heldRoundTripMs.toFixed(2)} ms per round trip on average (allowed: ${(record.roundTripMs + margin).toFixed(2)}; late ${record.latenessP50Ms.toFixed(2)} ms at the median, ${record.latenessP99Ms.toFixed(2)} ms at p99), probes saw ${record.measuredAddedMs.toFixed(2)} ms added; the machine is too busy for this delay, so the figures include more network time than asked for`;
}

/**
 * The verdict's words on the network (--db-latency): how many round trips the service's
 * flushes took (the proxy's count over the run, over the flushes), what they cost at the
 * measured round trip, and the flush p95 without them, which is the server's and the service's.
 */
export function networkExplanation(
  record: DbLinkRecord,
  exchanges: number,
  flushes: number,
  flushP95Ms: number,
): string[] {
  if (!(flushes > 0)) return [];
  const perFlush = exchanges / flushes;
  const network = record.heldRoundTripMs * perFlush;
  const lines = [
    `the network: the link held ${record.heldRoundTripMs.toFixed(2)} ms per round trip (--db-latency ${record.roundTripMs}) and a flush took ${perFlush.toFixed(2)} round trips (${exchanges.toLocaleString('en-US')} over ${flushes.toLocaleString('en-US')} flushes, connecting included), so ${network.toFixed(2)} ms of each flush is the network${Number.isFinite(flushP95Ms) ? `: of the flush p95 ${flushP95Ms.toFixed(2)} ms, ${Math.max(0, flushP95Ms - network).toFixed(2)} ms is the server's and the service's` : ''}.`,
  ];
  const shortfall = linkShortfall(record);
  if (shortfall !== undefined) lines.push(`${shortfall}.`);
  return lines;
}
