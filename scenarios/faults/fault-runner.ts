import type { ServerControl } from '../engine/provisioned-database.ts';
import { parseDuration } from '../../simulator/duration.ts';
import { describeFault, type PoisonKind, type TimedFault } from './fault-spec.ts';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { INT32_MAX } from '../../sut/model/progress-increment.ts';
import type { PgLinkProxy } from './pg-link-proxy.ts';

/** What the faults act on; a part a run does not have is undefined (checked before the run). */
export interface FaultTargets {
  readonly service: {
    /** `instance`: which of the run's services (--services N), 0 for the first. */
    kill(restartAfterMs: number, instance: number): Promise<void>;
    terminate(restartAfterMs: number, instance: number): Promise<void>;
    /** Sends events beside the load (poison); says what the service or broker answered. */
    inject(events: readonly PlayerEvent[]): Promise<string>;
  };
  /** Players the poison events name, one per poison fault (so each hits rows of its own). */
  readonly poisonPlayers: readonly string[];
  readonly namespace: string;
  readonly postgres?: ServerControl;
  readonly broker?: { restart(): Promise<void> };
  readonly link?: PgLinkProxy;
}

/** One fault as it happened: in the summary, the results and the per-second series. */
export interface FaultRecord {
  /** Seconds from the start of the load to the fault's start. */
  readonly t: number;
  readonly action: string;
  readonly detail: string;
  /** How long the fault took to carry out, recovery of the part included (a restart). */
  readonly durationMs: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Carries out the planned faults at their times, one after another (a fault that takes long,
 * such as a 10 s outage, delays the ones after it), until they are done or `signal` says the
 * run is over; those not reached are left out. A fault that fails is recorded, and the run
 * goes on: the audit says what it did to the data.
 */
export async function runFaults(
  plan: readonly TimedFault[],
  targets: FaultTargets,
  startedAt: number,
  signal: AbortSignal,
  onFault: (record: FaultRecord) => void = () => undefined,
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  let poisoned = 0;
  for (const fault of plan) {
    const wait = startedAt + fault.atMs - performance.now();
    if (wait > 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    if (signal.aborted) break;
    const began = performance.now();
    let error: string | undefined;
    let said: string | undefined;
    try {
      said = await carryOut(fault, targets, poisoned++);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const record: FaultRecord = {
      t: (began - startedAt) / 1000,
      action: fault.spec.action,
      detail: `${describeFault(fault.spec)}${(fault.spec.times ?? 1) > 1 ? ` (${fault.occurrence}/${fault.spec.times ?? 1})` : ''}${said === undefined ? '' : `: ${said}`}`,
      durationMs: performance.now() - began,
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
    };
    records.push(record);
    onFault(record);
  }
  return records;
}

function need<T>(part: T | undefined, what: string): T {
  if (part === undefined) throw new Error(`this run has no ${what} to act on`);
  return part;
}

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

async function carryOut(
  fault: TimedFault,
  targets: FaultTargets,
  poisonIndex: number,
): Promise<string | undefined> {
  const spec = fault.spec;
  switch (spec.action) {
    case 'poison': {
      const player = targets.poisonPlayers[poisonIndex % targets.poisonPlayers.length] as string;
      return targets.service.inject(poisonEvents(spec.kind, player, targets.namespace));
    }
    case 'kill-service':
      await targets.service.kill(
        parseDuration(spec.restartAfter ?? '0s', 'restartAfter'),
        spec.service ?? 0,
      );
      return undefined;
    case 'stop-service':
      await targets.service.terminate(
        parseDuration(spec.restartAfter ?? '0s', 'restartAfter'),
        spec.service ?? 0,
      );
      return undefined;
    case 'restart-postgres':
      await need(targets.postgres, 'PostgreSQL server').restart(spec.mode ?? 'fast');
      return undefined;
    case 'stop-postgres': {
      const postgres = need(targets.postgres, 'PostgreSQL server');
      await postgres.stop('fast');
      await new Promise((r) => setTimeout(r, parseDuration(spec.for, 'for')));
      await postgres.start();
      return undefined;
    }
    case 'restart-broker':
      await need(targets.broker, 'Kafka broker').restart();
      return undefined;
    case 'link-latency': {
      const link = need(targets.link, 'database link');
      link.setLatency(spec.ms);
      await new Promise((r) => setTimeout(r, parseDuration(spec.for, 'for')));
      link.setLatency(0);
      return undefined;
    }
    case 'link-reset':
      return `${need(targets.link, 'database link').resetAll()} connections cut`;
    case 'link-black-hole':
      await need(targets.link, 'database link').blackHole(parseDuration(spec.for, 'for'));
      return undefined;
    case 'drop-commit-reply':
      need(targets.link, 'database link').dropCommitReplies(1);
      return undefined;
  }
}
