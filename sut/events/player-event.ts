import {
  characterCount,
  MAX_ID_LENGTH,
  INT32_MAX,
  unstorableText,
} from '../model/progress-increment.ts';

export const EVENT_TYPES = ['login', 'stat'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One player event as the simulator sends it and the service receives it. */
export interface PlayerEvent {
  readonly eventId: string;
  readonly playerId: string;
  readonly namespace: string;
  readonly type: EventType;
  /** The stat updated; present exactly when type is `stat`. */
  readonly statCode?: string;
  /** Increment carried: a stat's delta; 1 for a login. */
  readonly delta: number;
  /** When the load generator meant to send it (epoch ms): the start of event-to-commit latency. */
  readonly intendedAt: number;
}

export type RejectionReason = 'invalid_event' | 'unknown_event_type';

export type ParsedEvent =
  | { readonly ok: true; readonly event: PlayerEvent }
  | { readonly ok: false; readonly reason: RejectionReason; readonly problem: string };

/** What an error message quotes of a bad value at most: a 4 MB field does not come back whole. */
const ECHO_LIMIT = 120;

/** A value for an error message: JSON, cut to a readable length. */
export function echo(value: unknown): string {
  let text: string;
  try {
    // JSON has no text for these (JSON.stringify answers undefined).
    text =
      value === undefined || typeof value === 'function' || typeof value === 'symbol'
        ? String(value)
        : JSON.stringify(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length <= ECHO_LIMIT
    ? text
    : `${text.slice(0, ECHO_LIMIT)}... (${text.length.toLocaleString('en-US')} characters)`;
}

function idProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `${field} must be a non-empty string`;
  if (characterCount(value) > MAX_ID_LENGTH)
    return `${field} is longer than ${MAX_ID_LENGTH} characters`;
  const unstorable = unstorableText(value);
  return unstorable === undefined ? undefined : `${field} ${unstorable}`;
}

/**
 * Validates one decoded JSON value as a PlayerEvent. Hand-written rather than a schema
 * library: it runs for every event on the ingest path, 100,000+ times a second.
 */
export function parsePlayerEvent(value: unknown, receivedAt: number): ParsedEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'invalid_event', problem: 'an event must be a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.type !== 'login' && v.type !== 'stat') {
    return {
      ok: false,
      reason: 'unknown_event_type',
      problem: `type ${echo(v.type)} is not one of ${EVENT_TYPES.join(', ')}`,
    };
  }
  const problem =
    idProblem('eventId', v.eventId) ??
    idProblem('playerId', v.playerId) ??
    idProblem('namespace', v.namespace) ??
    (v.type === 'stat'
      ? idProblem('statCode', v.statCode)
      : v.statCode === undefined
        ? undefined
        : 'statCode belongs to stat events only');
  if (problem !== undefined) return { ok: false, reason: 'invalid_event', problem };
  const delta = v.delta ?? (v.type === 'login' ? 1 : undefined);
  if (typeof delta !== 'number' || !Number.isInteger(delta) || delta < 1 || delta > INT32_MAX) {
    return {
      ok: false,
      reason: 'invalid_event',
      problem: `delta must be an integer from 1 to ${INT32_MAX}, got ${echo(v.delta)}`,
    };
  }
  const intendedAt = v.intendedAt ?? receivedAt;
  if (typeof intendedAt !== 'number' || !Number.isFinite(intendedAt))
    return {
      ok: false,
      reason: 'invalid_event',
      problem: 'intendedAt must be a number (epoch milliseconds)',
    };
  return {
    ok: true,
    event: {
      eventId: v.eventId as string,
      playerId: v.playerId as string,
      namespace: v.namespace as string,
      type: v.type,
      ...(v.type === 'stat' ? { statCode: v.statCode as string } : {}),
      delta,
      intendedAt,
    },
  };
}
