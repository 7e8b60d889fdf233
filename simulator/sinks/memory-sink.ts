import type { PlayerEvent } from '../../sut/events/player-event.ts';
import type { EventSinkTarget, SinkStats } from './event-sink.ts';

/** Keeps events in memory (or only counts them): for tests and for measuring the generator itself. */
export class MemorySink implements EventSinkTarget {
  readonly name = 'memory';
  readonly events: { event: PlayerEvent; partition: number }[] = [];
  private delivered = 0;

  constructor(private readonly keep = false) {}

  offer(event: PlayerEvent, partition: number): boolean {
    this.delivered++;
    if (this.keep) this.events.push({ event, partition });
    return true;
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  stats(): SinkStats {
    return { delivered: this.delivered, rejected: 0, failed: 0, requests: 0, errors: [] };
  }
}
