import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { createGunzip, createGzip } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';
import { UsageError } from '../../lib/errors.ts';
import { DELIVERY, type Delivery } from '../../simulator/delivery-ledger.ts';
import { auditKey, type AuditRow, type LedgerEvent } from './audit-judgement.ts';

/** What names a file as an audit ledger, and the version of its layout (docs/audit.md). */
export const LEDGER_FORMAT = 'flush-harness-ledger';
export const LEDGER_VERSION = 1;

/** The ledger's first line: the run it belongs to, the table it audited, its crash windows and faults. */
export interface LedgerHeader {
  readonly format: typeof LEDGER_FORMAT;
  readonly version: number;
  readonly scenario: string;
  readonly variant: string;
  readonly transport: 'http' | 'kafka';
  /** schema.name of the table the run wrote. */
  readonly table: string;
  /** When the load started (ISO 8601). */
  readonly loadStartedAt: string;
  readonly crashes: readonly { readonly atSeconds?: number; readonly unwrittenReported: number }[];
  readonly faults: readonly { readonly t: number; readonly detail: string }[];
}

/** Everything the audit judged: the events, the table before and after, the dead letters. */
export interface LedgerContent {
  readonly header: LedgerHeader;
  readonly events: Iterable<LedgerEvent>;
  readonly before: ReadonlyMap<string, AuditRow>;
  readonly after: ReadonlyMap<string, number>;
  readonly deadLetters: ReadonlyMap<string, number>;
}

const STATE_LETTER: Record<Delivery, string> = {
  [DELIVERY.notSent]: 'n',
  [DELIVERY.unknown]: 'u',
  [DELIVERY.acknowledged]: 'a',
  [DELIVERY.refused]: 'r',
};
const LETTER_STATE = new Map(
  Object.entries(STATE_LETTER).map(([state, letter]) => [letter, Number(state) as Delivery]),
);
const SEP = '\u0001';

async function writeLine(out: Writable, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}

/**
 * Writes the ledger as gzipped JSON lines (docs/audit.md): a header, one line per event, one
 * per row of the table (before and after), one per dead-lettered key, and an end line with
 * the counts, so that a truncated file is told from a whole one. Written beside and renamed
 * into place: a ledger is whole or absent.
 */
export async function writeAuditLedger(path: string, content: LedgerContent): Promise<void> {
  const partial = `${path}.partial`;
  const gzip = createGzip();
  const file = createWriteStream(partial);
  gzip.pipe(file);
  const finished = once(file, 'close');
  try {
    await writeLine(gzip, JSON.stringify(content.header));
    let events = 0;
    for (const e of content.events) {
      await writeLine(
        gzip,
        JSON.stringify([
          'e',
          e.index,
          e.eventId,
          e.playerId,
          e.delta,
          e.goals,
          STATE_LETTER[e.state],
          e.crash,
        ]),
      );
      events++;
    }
    let rows = 0;
    for (const [key, row] of content.before) {
      const [userId, goalId] = key.split(SEP);
      const flags = `${row.movable ? 'm' : ''}${row.daily ? 'd' : ''}${row.countedToday ? 't' : ''}`;
      await writeLine(
        gzip,
        JSON.stringify(['r', userId, goalId, row.progress, content.after.get(key) ?? null, flags]),
      );
      rows++;
    }
    let letters = 0;
    for (const [key, delta] of content.deadLetters) {
      const [userId, goalId] = key.split(SEP);
      await writeLine(gzip, JSON.stringify(['d', userId, goalId, delta]));
      letters++;
    }
    await writeLine(gzip, JSON.stringify(['end', events, rows, letters]));
    gzip.end();
    await finished;
    await rename(partial, path);
  } catch (error) {
    gzip.destroy();
    file.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}

/** A ledger as read back: the same content, with the events kept. */
export interface ReadLedger extends LedgerContent {
  readonly events: LedgerEvent[];
  readonly before: Map<string, AuditRow>;
  readonly after: Map<string, number>;
  readonly deadLetters: Map<string, number>;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Opens a ledger, gzipped (as the harness writes it) or plain JSON lines (unpacked by hand). */
async function openLines(path: string): Promise<Readable> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new UsageError(`--ledger ${path} cannot be read: ${(error as Error).message}`);
  }
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(path);
  return magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
}

/**
 * Reads a ledger the harness wrote. Anything else (not a ledger, a newer version, a line
 * that does not parse, a truncated file) is refused with the line that is wrong.
 */
export async function readAuditLedger(path: string): Promise<ReadLedger> {
  const input = await openLines(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  const bad = (what: string): UsageError =>
    new UsageError(`--ledger ${path}, line ${lineNo}: ${what} (the format: docs/audit.md)`);
  let header: LedgerHeader | undefined;
  const events: LedgerEvent[] = [];
  const before = new Map<string, AuditRow>();
  const after = new Map<string, number>();
  const deadLetters = new Map<string, number>();
  let end: unknown[] | undefined;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      if (end !== undefined) throw bad('a line after the end line');
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw bad(`not JSON (${(error as Error).message})`);
      }
      if (header === undefined) {
        header = checkHeader(value, bad);
        continue;
      }
      if (!Array.isArray(value)) throw bad('expected an array line (e, r, d or end)');
      const [kind] = value as unknown[];
      if (kind === 'e') events.push(eventLine(value, header.crashes.length, bad));
      else if (kind === 'r') {
        const [, userId, goalId, progress, afterValue, flags] = value as unknown[];
        if (
          !isString(userId) ||
          !isString(goalId) ||
          !isInt(progress) ||
          !(afterValue === null || isInt(afterValue)) ||
          !isString(flags) ||
          !/^m?d?t?$/.test(flags)
        )
          throw bad('a row line is ["r", user_id, goal_id, before, after or null, flags m/d/t]');
        const key = auditKey(userId, goalId);
        if (before.has(key)) throw bad(`row ${userId} / ${goalId} is listed twice`);
        before.set(key, {
          progress,
          movable: flags.includes('m'),
          daily: flags.includes('d'),
          countedToday: flags.includes('t'),
        });
        if (afterValue !== null) after.set(key, afterValue);
      } else if (kind === 'd') {
        const [, userId, goalId, delta] = value as unknown[];
        if (!isString(userId) || !isString(goalId) || !isInt(delta))
          throw bad('a dead-letter line is ["d", user_id, goal_id, delta]');
        const key = auditKey(userId, goalId);
        deadLetters.set(key, (deadLetters.get(key) ?? 0) + delta);
      } else if (kind === 'end') end = value as unknown[];
      else throw bad(`unknown line kind ${JSON.stringify(kind)}`);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `--ledger ${path} cannot be read past line ${lineNo}: ${(error as Error).message} (is it a whole gzip file?)`,
    );
  }
  if (header === undefined) throw new UsageError(`--ledger ${path} is empty`);
  if (end === undefined)
    throw new UsageError(
      `--ledger ${path} has no end line: it is truncated (was the run interrupted while writing it?)`,
    );
  const [, nEvents, nRows, nLetters] = end;
  if (nEvents !== events.length || nRows !== before.size || nLetters !== deadLetters.size)
    throw new UsageError(
      `--ledger ${path}: its end line counts ${String(nEvents)} events, ${String(nRows)} rows and ${String(nLetters)} dead-lettered keys, the file holds ${events.length}, ${before.size} and ${deadLetters.size}: lines were added or removed`,
    );
  return { header, events, before, after, deadLetters };
}

function checkHeader(value: unknown, bad: (what: string) => UsageError): LedgerHeader {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(
      `not an audit ledger: the first line must be its header ({"format":"${LEDGER_FORMAT}",...})`,
    );
  const h = value as Record<string, unknown>;
  if (h.format !== LEDGER_FORMAT)
    throw bad(
      `not an audit ledger: its format is ${JSON.stringify(h.format)}, not "${LEDGER_FORMAT}"`,
    );
  if (h.version !== LEDGER_VERSION)
    throw bad(
      `ledger version ${JSON.stringify(h.version)}: this harness reads version ${LEDGER_VERSION}`,
    );
  if (
    !isString(h.scenario) ||
    !isString(h.variant) ||
    (h.transport !== 'http' && h.transport !== 'kafka') ||
    !isString(h.table) ||
    !isString(h.loadStartedAt) ||
    !Array.isArray(h.crashes) ||
    !Array.isArray(h.faults)
  )
    throw bad(
      'the header needs scenario, variant, transport, table, loadStartedAt, crashes and faults',
    );
  return value as LedgerHeader;
}

function eventLine(
  value: unknown[],
  crashes: number,
  bad: (what: string) => UsageError,
): LedgerEvent {
  const [, index, eventId, playerId, delta, goals, letter, crash] = value;
  const state = isString(letter) ? LETTER_STATE.get(letter) : undefined;
  if (
    !(index === null || isInt(index)) ||
    !isString(eventId) ||
    !isString(playerId) ||
    !isInt(delta) ||
    !Array.isArray(goals) ||
    !goals.every(isString) ||
    state === undefined ||
    !(crash === null || (isInt(crash) && crash >= 0 && crash < crashes))
  )
    throw bad(
      'an event line is ["e", index or null, event_id, player_id, delta, [goal_id, ...], a/u/r/n, crash window or null]',
    );
  if (crash !== null && state !== DELIVERY.acknowledged)
    throw bad('only an acknowledged event can be in a crash window');
  return { index, eventId, playerId, delta, goals, state, crash };
}
