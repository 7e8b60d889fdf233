import { parsePlayerEvent, type PlayerEvent } from '../events/player-event.ts';

/** Why a record went to the dead-letter topic (also the metric's reason label). */
export const DEAD_LETTER_REASONS = [
  'empty_value',
  'malformed_json',
  'invalid_event',
  'unknown_event_type',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export type DecodedRecord =
  | { readonly ok: true; readonly event: PlayerEvent }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly problem: string };

/** A record's value is one event as JSON, the same object `POST /events` takes. */
export function encodeEvent(event: PlayerEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

export function decodeRecord(value: Buffer | null, receivedAt: number): DecodedRecord {
  if (value === null || value.length === 0)
    return { ok: false, reason: 'empty_value', problem: 'the record has no value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return {
      ok: false,
      reason: 'malformed_json',
      problem: `malformed JSON: ${(error as Error).message}`,
    };
  }
  const result = parsePlayerEvent(parsed, receivedAt);
  return result.ok ? result : { ok: false, reason: result.reason, problem: result.problem };
}
