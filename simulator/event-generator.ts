import { LOGIN } from '../sut/catalogue/goal-catalogue.ts';
import type { PlayerEvent } from '../sut/events/player-event.ts';
import { pickSource, type EventMix } from './event-mix.ts';
import type { Population } from './population.ts';

/** Largest delta a stat update carries (1 for the others): a kill streak, a few headshots. */
const MAX_DELTA: Readonly<Record<string, number>> = { enemy_kills: 10, headshots: 3 };

/** A 32-bit integer hash (lowbias32): spreads consecutive inputs over the whole range. */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const TWO_32 = 4294967296;

/**
 * Event k of a run as a pure function of (seed, k): its player, type and delta come from
 * hashes of k, not from a sequential generator. So any process can produce any slice of the
 * stream, and N shards that each keep their own players' events produce, together, exactly
 * the events one process would.
 */
export class EventGenerator {
  private readonly seedHash: number;
  /** The part of every event id that depends on the seed only. */
  private readonly idPrefix: string;

  constructor(
    private readonly population: Population,
    private readonly mix: EventMix,
    private readonly seed: number,
    private readonly namespace: string,
  ) {
    this.seedHash = hash32(seed ^ 0x5bd1e995);
    this.idPrefix = `${(seed >>> 0).toString(16).padStart(8, '0')}-0000-8000-8000-`;
  }

  /**
   * Event k's id: a UUID (version 8, the layout RFC 9562 leaves to its user) holding the
   * seed's low 32 bits in its first 32 (all of the seed the stream depends on: seedHash
   * keeps no more, so seeds equal modulo 2^32 give the same events) and k in its last 48
   * (room for 168 h at 10 million events/s), so distinct events of a stream get distinct
   * ids, shaped like the ids producers send. Not `seed-k`: V8's JSON.parse interns every
   * string value of ten characters or fewer, so ids that short grow the receiving service's
   * string table with one entry per event (0.6 us more per event parsed on the project's
   * machine).
   */
  private eventId(k: number): string {
    return this.idPrefix + k.toString(16).padStart(12, '0');
  }

  private uniform(k: number, lane: number): number {
    const lo = k >>> 0;
    const hi = Math.floor(k / TWO_32);
    return (
      hash32(this.seedHash ^ hash32(lo + lane * 0x9e3779b9) ^ hash32(hi + 0x85ebca6b + lane)) /
      TWO_32
    );
  }

  /** Index of the player who sends event k. */
  playerAt(k: number): number {
    return this.population.pick(this.uniform(k, 1));
  }

  /** Event k, sent by player `player` (from playerAt(k)), due at `intendedAt` (epoch ms). */
  eventAt(k: number, player: number, intendedAt: number): PlayerEvent {
    const source = pickSource(this.mix, this.uniform(k, 2));
    const playerId = this.population.ids[player] as string;
    if (source === LOGIN)
      return {
        eventId: this.eventId(k),
        playerId,
        namespace: this.namespace,
        type: 'login',
        delta: 1,
        intendedAt,
      };
    const max = MAX_DELTA[source] ?? 1;
    return {
      eventId: this.eventId(k),
      playerId,
      namespace: this.namespace,
      type: 'stat',
      statCode: source,
      delta: max === 1 ? 1 : 1 + Math.floor(this.uniform(k, 3) * max),
      intendedAt,
    };
  }
}
