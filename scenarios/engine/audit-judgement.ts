import { DELIVERY, type Delivery } from '../../simulator/delivery-ledger.ts';

/** One row as the audit needs it, before and after a run. */
export interface AuditRow {
  readonly progress: number;
  /** Active and not claimed: the only rows an increment may move. */
  readonly movable: boolean;
  readonly daily: boolean;
  /** Daily rows: already counted on the run's UTC day when it started (no increment may land). */
  readonly countedToday: boolean;
}

/** One event as the audit counts it: what it carried, to which rows, and what became of it. */
export interface LedgerEvent {
  /** Its place in the run's plan; injected events (poison faults) have none. */
  readonly index: number | null;
  readonly eventId: string;
  readonly playerId: string;
  readonly delta: number;
  /** The goals (rows of the player) it increments, `delta` each. */
  readonly goals: readonly string[];
  readonly state: Delivery;
  /**
   * The crash whose window holds it (0-based: acknowledged by a service that was killed
   * before it was known written), or null.
   */
  readonly crash: number | null;
}

/** What each crash window held and lost, key by key, summed. */
export interface CrashAttribution {
  /** When the service was killed, seconds from the start of the load (absent when unknown). */
  readonly atSeconds?: number;
  /** What the service said it held unwritten just before (its own gauge, for comparison). */
  readonly unwrittenReported: number;
  /** Acknowledged increments not known written at the kill: the most this crash may lose. */
  readonly window: number;
  /** Keys with increments in the window. */
  readonly keys: number;
  /** Loss the audit attributes to this window, key by key. */
  readonly lost: number;
  readonly keysLost: number;
}

export interface AuditExample {
  readonly userId: string;
  readonly goalId: string;
  readonly before: number;
  readonly after: number;
  readonly acknowledged: number;
  readonly sent: number;
  /** The bounds the row had to fall within: at least `low`, at most `high`. */
  readonly low: number;
  readonly high: number;
  /** Acknowledged increments of this key inside crash windows (may be lost with the crash). */
  readonly inCrashWindow?: number;
  /** How far the row is outside its bounds. */
  readonly error?: number;
}

/** The largest error one key shows, absolute (increments) and relative (to what it had to move). */
export interface AuditError {
  readonly absolute: number;
  readonly relative: number;
}

export interface AuditCounts {
  readonly rowsChecked: number;
  /** Sum over rows of what is missing below the acknowledged increments (minus dead letters). */
  readonly lostIncrements: number;
  /** The part of the loss inside the crash windows, key by key. */
  readonly lostAtCrash: number;
  /** Loss outside every crash window: a defect. */
  readonly lost: number;
  /** Sum over rows of what is there beyond every increment sent: applied twice. */
  readonly doubled: number;
  /** Rows that must never move (inactive, claimed, daily already counted today) and did. */
  readonly untouchableMoved: number;
  /** Increments the database refused, set aside in dead_letters (not counted as lost). */
  readonly deadLettered: number;
  /** Acknowledged increments inside the crash windows, summed over keys. */
  readonly crashBound: number;
  /** Keys short outside their crash windows. */
  readonly keysLost: number;
  /** Keys short within their crash windows only (absent in older results). */
  readonly keysLostAtCrash?: number;
  readonly keysDoubled: number;
  /**
   * Increments whose outcome the client could not know (no answer): in the upper bounds only.
   * This and what follows are absent in older results.
   */
  readonly indeterminate?: number;
  readonly crashes?: CrashAttribution[];
  /** The largest errors of any key (null when every row is within its bounds). */
  readonly maxError?: { readonly lost: AuditError | null; readonly doubled: AuditError | null };
  /** The worst keys of each anomaly, largest error first. */
  readonly examples: {
    readonly lost: AuditExample[];
    readonly doubled: AuditExample[];
    readonly lostAtCrash?: AuditExample[];
    readonly untouchable?: AuditExample[];
  };
}

const EXAMPLES = 5;
const SEP = '\u0001';
export const auditKey = (userId: string, goalId: string): string => `${userId}${SEP}${goalId}`;

interface KeyTally {
  acknowledged: number;
  /** Acknowledged, unknown: what may have been applied. */
  sent: number;
  indeterminate: number;
  /** Acknowledged increments per crash window. */
  windows: number[] | undefined;
}

/** Keeps the `EXAMPLES` examples with the largest error. */
function keepWorst(list: AuditExample[], x: AuditExample): void {
  list.push(x);
  list.sort((a, b) => (b.error ?? 0) - (a.error ?? 0));
  if (list.length > EXAMPLES) list.pop();
}

function larger(a: AuditError | null, b: AuditError): AuditError {
  return a === null
    ? b
    : { absolute: Math.max(a.absolute, b.absolute), relative: Math.max(a.relative, b.relative) };
}

/**
 * Jepsen's counter check, per (player, goal), from the events alone: the table must hold at
 * least the seeded value plus every acknowledged increment (less what the database set aside
 * in dead_letters), and at most the seeded value plus every increment that may have been
 * applied (acknowledged, or sent without an answer: indeterminate, so in the upper bound
 * only). A killed service's crash window is attributed per key: a key may fall short by at
 * most its own acknowledged increments inside the windows, never by another key's. Daily
 * goals count once per UTC day: unchanged when already counted today, otherwise at least one
 * acknowledged step and at most every increment sent.
 */
export function judgeIncrements(input: {
  readonly events: Iterable<LedgerEvent>;
  readonly before: ReadonlyMap<string, AuditRow>;
  readonly after: ReadonlyMap<string, number>;
  /** Deltas set aside in dead_letters during the run, by auditKey. */
  readonly deadLetters: ReadonlyMap<string, number>;
  /** The crash windows, in order; what the service reported unwritten at each. */
  readonly crashes: readonly { readonly atSeconds?: number; readonly unwrittenReported: number }[];
}): Required<AuditCounts> {
  const tallies = new Map<string, KeyTally>();
  const crashCount = input.crashes.length;
  for (const e of input.events) {
    if (e.state !== DELIVERY.acknowledged && e.state !== DELIVERY.unknown) continue;
    for (const goalId of e.goals) {
      const id = auditKey(e.playerId, goalId);
      let t = tallies.get(id);
      if (t === undefined) {
        t = { acknowledged: 0, sent: 0, indeterminate: 0, windows: undefined };
        tallies.set(id, t);
      }
      t.sent += e.delta;
      if (e.state === DELIVERY.unknown) t.indeterminate += e.delta;
      else {
        t.acknowledged += e.delta;
        if (e.crash !== null && e.crash < crashCount) {
          t.windows ??= new Array<number>(crashCount).fill(0);
          t.windows[e.crash] = (t.windows[e.crash] ?? 0) + e.delta;
        }
      }
    }
  }
  const crashes = input.crashes.map((c) => ({
    ...(c.atSeconds === undefined ? {} : { atSeconds: c.atSeconds }),
    unwrittenReported: c.unwrittenReported,
    window: 0,
    keys: 0,
    lost: 0,
    keysLost: 0,
  }));
  let lostIncrements = 0;
  let lostAtCrash = 0;
  let doubled = 0;
  let untouchableMoved = 0;
  let keysLost = 0;
  let keysLostAtCrash = 0;
  let keysDoubled = 0;
  let deadLettered = 0;
  let indeterminate = 0;
  let crashBound = 0;
  let maxLost: AuditError | null = null;
  let maxDoubled: AuditError | null = null;
  const examples = {
    lost: [] as AuditExample[],
    doubled: [] as AuditExample[],
    lostAtCrash: [] as AuditExample[],
    untouchable: [] as AuditExample[],
  };
  const none: KeyTally = { acknowledged: 0, sent: 0, indeterminate: 0, windows: undefined };
  for (const [id, row] of input.before) {
    const after = input.after.get(id);
    if (after === undefined) continue;
    const t = tallies.get(id) ?? none;
    const setAside = input.deadLetters.get(id) ?? 0;
    deadLettered += setAside;
    indeterminate += t.indeterminate;
    const windows = t.windows ?? [];
    const inWindows = windows.reduce((a, b) => a + b, 0);
    windows.forEach((w, c) => {
      const crash = crashes[c];
      if (crash === undefined || w === 0) return;
      crash.window += w;
      crash.keys++;
    });
    crashBound += inWindows;
    const ackKept = Math.max(0, t.acknowledged - setAside);
    const ackKeptOutside = Math.max(0, ackKept - inWindows);
    let low: number;
    let lowOutside: number;
    let high: number;
    const untouchable = !row.movable || (row.daily && row.countedToday);
    if (untouchable) {
      low = lowOutside = high = row.progress;
    } else if (row.daily) {
      low = row.progress + (ackKept > 0 ? 1 : 0);
      lowOutside = row.progress + (ackKeptOutside > 0 ? 1 : 0);
      high = row.progress + t.sent;
    } else {
      low = row.progress + ackKept;
      lowOutside = row.progress + ackKeptOutside;
      high = row.progress + t.sent;
    }
    const [userId = '', goalId = ''] = id.split(SEP);
    const example = (error: number): AuditExample => ({
      userId,
      goalId,
      before: row.progress,
      after,
      acknowledged: t.acknowledged,
      sent: t.sent,
      low: lowOutside,
      high,
      ...(inWindows > 0 ? { inCrashWindow: inWindows } : {}),
      error,
    });
    if (untouchable) {
      if (after !== row.progress) {
        untouchableMoved++;
        keepWorst(examples.untouchable, example(Math.abs(after - row.progress)));
      }
      continue;
    }
    if (after < low) {
      const short = low - after;
      const outside = Math.max(0, lowOutside - after);
      const inside = short - outside;
      lostIncrements += short;
      lostAtCrash += inside;
      // The part inside the windows goes to the earliest crash that held this key's
      // increments first: a later crash cannot lose what an earlier one already took.
      let left = inside;
      windows.forEach((w, c) => {
        const crash = crashes[c];
        if (crash === undefined || left === 0 || w === 0) return;
        const part = Math.min(left, w);
        crash.lost += part;
        crash.keysLost++;
        left -= part;
      });
      if (outside > 0) {
        keysLost++;
        keepWorst(examples.lost, example(outside));
        maxLost = larger(maxLost, {
          absolute: outside,
          relative: outside / Math.max(1, lowOutside - row.progress),
        });
      } else {
        keysLostAtCrash++;
        keepWorst(examples.lostAtCrash, example(inside));
      }
    } else if (after > high) {
      const over = after - high;
      doubled += over;
      keysDoubled++;
      keepWorst(examples.doubled, example(over));
      maxDoubled = larger(maxDoubled, {
        absolute: over,
        relative: over / Math.max(1, high - row.progress),
      });
    }
  }
  return {
    rowsChecked: input.before.size,
    lostIncrements,
    lostAtCrash,
    lost: lostIncrements - lostAtCrash,
    doubled,
    untouchableMoved,
    deadLettered,
    crashBound,
    keysLost,
    keysLostAtCrash,
    keysDoubled,
    indeterminate,
    crashes,
    maxError: { lost: maxLost, doubled: maxDoubled },
    examples,
  };
}
