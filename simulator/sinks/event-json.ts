import type { PlayerEvent } from '../../sut/events/player-event.ts';

/** Printable ASCII but `"` and `\`: a string of only these is its own JSON text, quoted. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** Strings that repeat from event to event (player ids, the namespace, stat codes) kept quoted. */
const CACHE_LIMIT = 100_000;

function quote(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * An event's JSON text, as `JSON.stringify` writes it (the same keys in the same order), for
 * the HTTP sink's NDJSON. Built by hand because it runs for every event sent: the player id,
 * namespace and stat code repeat and are quoted once, and a generic walk of the object costs
 * about three times as much.
 */
export class EventJson {
  private readonly quoted = new Map<string, string>();

  private repeated(value: string): string {
    let text = this.quoted.get(value);
    if (text === undefined) {
      text = quote(value);
      if (this.quoted.size < CACHE_LIMIT) this.quoted.set(value, text);
    }
    return text;
  }

  line(event: PlayerEvent): string {
    const statCode =
      event.statCode === undefined ? '' : `,"statCode":${this.repeated(event.statCode)}`;
    return `{"eventId":${quote(event.eventId)},"playerId":${this.repeated(event.playerId)},"namespace":${this.repeated(event.namespace)},"type":${this.repeated(event.type)}${statCode},"delta":${number(event.delta)},"intendedAt":${number(event.intendedAt)}}`;
  }
}

/** JSON has no text for NaN and the infinities: JSON.stringify writes null. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
