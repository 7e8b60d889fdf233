import type { Producer } from 'kafkajs';
import { DELIVERY, type Delivery } from '../../../simulator/delivery-ledger.ts';
import type { PlayerEvent } from '../../../sut/events/player-event.ts';
import { encodeEvent } from '../../../sut/kafka/event-codec.ts';
import type { InjectedEvent } from '../increment-audit.ts';

/** Events a fault sent beside the load, with what became of each: the audit counts them. */
export interface InjectedEvents {
  readonly injected: InjectedEvent[];
  /** Sends events beside the load; says what the service or the broker answered. */
  readonly inject: (events: readonly PlayerEvent[]) => Promise<string>;
}

/** The poison faults' way in: the run's topic through `producer`, else the service's POST /events. */
export function faultInjection(
  producer: Producer | undefined,
  topic: string,
  serviceUrl: string,
): InjectedEvents {
  const injected: InjectedEvent[] = [];
  const inject = async (events: readonly PlayerEvent[]): Promise<string> => {
    let delivery: Delivery = DELIVERY.unknown;
    let said: string;
    if (producer !== undefined) {
      await producer.send({
        topic,
        messages: events.map((e) => ({ key: e.playerId, value: encodeEvent(e) })),
      });
      delivery = DELIVERY.acknowledged;
      said = 'acknowledged by the broker';
    } else {
      const res = await fetch(`${serviceUrl}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: events.map((e) => JSON.stringify(e)).join('\n'),
      });
      const answer = (await res.json()) as { accepted?: number; error?: string };
      if (res.status === 200 && answer.accepted === events.length) delivery = DELIVERY.acknowledged;
      else if (res.status === 400) delivery = DELIVERY.refused;
      said = `HTTP ${res.status}${answer.error === undefined ? '' : ` (${answer.error.slice(0, 120)})`}`;
    }
    const acknowledgedAt = Date.now();
    injected.push(...events.map((event) => ({ event, delivery, acknowledgedAt })));
    return said;
  };
  return { injected, inject };
}
