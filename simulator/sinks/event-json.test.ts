import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { EventGenerator } from '../event-generator.ts';
import { buildMix, DEFAULT_MIX_WEIGHTS } from '../event-mix.ts';
import { Population } from '../population.ts';
import { EventJson } from './event-json.ts';

describe('EventJson: an event as JSON.stringify writes it', () => {
  it("gives JSON.stringify's text for the generator's events", () => {
    const population = new Population(2000, 7, 8);
    const generator = new EventGenerator(population, buildMix(DEFAULT_MIX_WEIGHTS), 7, 'harness');
    const json = new EventJson();
    for (let k = 0; k < 5000; k++) {
      const event = generator.eventAt(k, generator.playerAt(k), 1_800_000_000_000 + k * 0.2137);
      expect(json.line(event)).toBe(JSON.stringify(event));
    }
  });

  it('for any strings and numbers: quotes, backslashes, control characters, lone surrogates, NaN', () => {
    const json = new EventJson();
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('\uD800x', 'x\uDC00', 'a\u0000b', '"\\', '\u2028', 'caf\u00e9'),
    );
    const number = fc.oneof(fc.double(), fc.integer(), fc.constant(Number.NaN));
    const event = fc.record({
      eventId: text,
      playerId: fc.oneof(text, fc.constantFrom('p1', 'p2', 'p"3')),
      namespace: text,
      type: fc.constantFrom('login' as const, 'stat' as const),
      statCode: fc.option(text, { nil: undefined }),
      delta: number,
      intendedAt: number,
    });
    fc.assert(
      fc.property(event, (e) => {
        const ordered: PlayerEvent = {
          eventId: e.eventId,
          playerId: e.playerId,
          namespace: e.namespace,
          type: e.type,
          ...(e.statCode === undefined ? {} : { statCode: e.statCode }),
          delta: e.delta,
          intendedAt: e.intendedAt,
        };
        // Twice: the second time from the cache of repeated strings.
        expect(json.line(ordered)).toBe(JSON.stringify(ordered));
        expect(json.line(ordered)).toBe(JSON.stringify(ordered));
      }),
      { numRuns: 2000 },
    );
  });
});
