import { UsageError } from '../lib/errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * k6's duration strings: a sequence of number+unit parts, `500ms`, `30s`, `1m30s`, `2h`;
 * units ms, s, m, h; decimals allowed (`1.5s`). Returns milliseconds; throws a UsageError
 * naming `what` for anything else.
 */
export function parseDuration(value: string, what: string): number {
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (match === null) break;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    index = part.lastIndex;
  }
  if (text === '' || index !== text.length) {
    throw new UsageError(
      `${what} "${value}" is not a duration; expected a number and a unit (ms, s, m, h), like 500ms, 30s or 1m30s`,
    );
  }
  return total;
}

/** Milliseconds the way k6 writes a duration: `30s`, `10m30s`, `1h`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const text = `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
  return text === '' ? '0s' : text;
}
