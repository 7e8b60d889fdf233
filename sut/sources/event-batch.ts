import {
  parsePlayerEvent,
  type PlayerEvent,
  type RejectionReason,
} from '../events/player-event.ts';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import type { IngestPort, PartResult } from './ingest-ports.ts';

const PROBLEMS_SHOWN = 10;
/** What an error answer quotes of a malformed body at most. */
const QUOTE_LIMIT = 240;

function cut(text: string): string {
  return text.length <= QUOTE_LIMIT ? text : `${text.slice(0, QUOTE_LIMIT)}...`;
}

/** What the service says about one batch of events: an HTTP status and its JSON body. */
export interface BatchAnswer {
  readonly status: number;
  readonly body: {
    readonly accepted?: number;
    readonly rejected?: number;
    readonly error?: string;
    readonly problems?: readonly string[];
    readonly parts?: readonly PartResult[];
  };
}

export type Decoded = { ok: true; values: unknown[] } | { ok: false; problem: string };

/** NDJSON lines, each one event; blank lines are skipped. */
export function decodeLines(lines: readonly string[]): Decoded {
  const values: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      return {
        ok: false,
        problem: `malformed NDJSON on line ${i + 1}: ${cut((error as Error).message)}`,
      };
    }
  }
  return { ok: true, values };
}

/** A JSON array of events, or NDJSON (one event per line); detected by the first character. */
export function decodeBody(text: string): Decoded {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const values: unknown = JSON.parse(trimmed);
      return Array.isArray(values)
        ? { ok: true, values }
        : { ok: false, problem: 'the body must be a JSON array of events or NDJSON' };
    } catch (error) {
      return { ok: false, problem: `malformed JSON: ${cut((error as Error).message)}` };
    }
  }
  return decodeLines(text.split('\n'));
}

/**
 * Checks a decoded batch and hands it to the service: all or nothing for bad input (any
 * invalid event and none is applied, 400 naming the problems), 503 when the service is
 * stopping (`sink` undefined) or backpressure timed out, else 200 `{accepted, rejected}`.
 */
export async function applyBatch(
  decoded: Decoded,
  sink: IngestPort | undefined,
  metrics: SutMetrics,
): Promise<BatchAnswer> {
  if (!decoded.ok) {
    metrics.rejected('malformed_body');
    return { status: 400, body: { error: decoded.problem } };
  }
  const receivedAt = Date.now();
  const events: PlayerEvent[] = [];
  const problems: string[] = [];
  let firstReason: RejectionReason | undefined;
  for (let i = 0; i < decoded.values.length; i++) {
    const parsed = parsePlayerEvent(decoded.values[i], receivedAt);
    if (parsed.ok) events.push(parsed.event);
    else {
      firstReason ??= parsed.reason;
      if (problems.length < PROBLEMS_SHOWN) problems.push(`event ${i}: ${parsed.problem}`);
      else if (problems.length === PROBLEMS_SHOWN) problems.push('...');
    }
  }
  metrics.received(decoded.values.length);
  if (firstReason !== undefined) {
    metrics.rejected(firstReason, decoded.values.length);
    return {
      status: 400,
      body: {
        error: 'invalid events; nothing from this request was applied',
        problems,
        accepted: 0,
        rejected: decoded.values.length,
      },
    };
  }
  if (sink === undefined) {
    metrics.rejected('shutting_down', events.length);
    return {
      status: 503,
      body: { error: 'the service is shutting down', accepted: 0, rejected: events.length },
    };
  }
  const result = await sink.ingest(events);
  return { status: result.error === undefined ? 200 : 503, body: result };
}
