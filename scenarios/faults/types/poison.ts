import { z } from 'zod';
import type { PlayerEvent } from '../../../sut/events/player-event.ts';
import { INT32_MAX } from '../../../sut/model/progress-increment.ts';
import { faultType, WHEN } from '../fault-type.ts';

export const POISON_KINDS = [
  'nul-id',
  'lone-surrogate',
  'delta-overflow',
  'progress-overflow',
] as const;
export type PoisonKind = (typeof POISON_KINDS)[number];

/** The events of a poison fault, for `player`. */
export function poisonEvents(kind: PoisonKind, player: string, namespace: string): PlayerEvent[] {
  const event = (playerId: string, delta: number, n: number): PlayerEvent => ({
    eventId: `poison-${kind}-${n}`,
    playerId,
    namespace,
    type: 'stat',
    // A stat whose goals every seeded player has rows for (the first five of each challenge).
    statCode: 'enemy_kills',
    delta,
    intendedAt: Date.now(),
  });
  switch (kind) {
    case 'nul-id':
      return [event(`${player}\u0000`, 1, 0)];
    case 'lone-surrogate':
      return [event(`${player}\uD800`, 1, 0)];
    case 'delta-overflow':
      return [event(player, INT32_MAX, 0), event(player, INT32_MAX, 1)];
    case 'progress-overflow':
      return [event(player, INT32_MAX, 0)];
  }
}

/**
 * An event the database would refuse, sent beside the load: an id with a NUL or a lone
 * surrogate (refused at the door, or dead-lettered from Kafka), two deltas of INT's largest
 * value for one key (a sum past INT), or one on a row that already has progress (a progress
 * past INT). The partition must go on flushing.
 */
export const poison = faultType(
  z.strictObject({ action: z.literal('poison'), ...WHEN, kind: z.enum(POISON_KINDS) }),
  {
    needs: 'service',
    describe: (spec) => `poison ${spec.kind}`,
    carryOut(spec, targets, at) {
      const player = targets.poisonPlayers[at.poisonIndex % targets.poisonPlayers.length] as string;
      return targets.service.inject(poisonEvents(spec.kind, player, targets.namespace));
    },
  },
);
