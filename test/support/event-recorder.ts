/**
 * The one event recorder of the tests: an `EventSink` that keeps every event the engine emits, in
 * order, hands them out by type (and node), forwards them to further sinks (a collector, a
 * listener), and waits for one in real time. The lab site, the agents' and the AAP tests use it.
 */
import type { PmipEvent, PmipEventType } from '../../src/pmip/events.ts';

/** The events whose `type` can be T (BindingEvent and VisitorEvent each carry several types). */
export type EventOf<T extends PmipEventType> = PmipEvent extends infer E
  ? E extends { type: infer U }
    ? T extends U
      ? E
      : never
    : never
  : never;

export class EventRecorder {
  readonly events: PmipEvent[] = [];
  private readonly sinks: Array<(e: PmipEvent) => void> = [];

  readonly emit = (e: PmipEvent): void => {
    this.events.push(e);
    for (const sink of this.sinks) sink(e);
  };

  /** Also sends every event to `sink` (a collector, a listener), from now on. */
  forward(sink: (e: PmipEvent) => void): void {
    this.sinks.push(sink);
  }

  /** `forward` under the name listeners use. */
  on(listener: (e: PmipEvent) => void): void {
    this.forward(listener);
  }

  /** The events of `type` so far, of one node when `node` is given. */
  of<T extends PmipEventType>(type: T, node?: string): Array<EventOf<T>> {
    return this.events.filter(
      (e): e is EventOf<T> => e.type === type && (node === undefined || e.node === node),
    );
  }

  types(): PmipEventType[] {
    return this.events.map((e) => e.type);
  }

  clear(): void {
    this.events.length = 0;
  }

  /** Waits (real time) until `count` events of `type` have been recorded; returns the latest one. */
  async waitFor<T extends PmipEventType>(type: T, count = 1, timeoutMs = 2000): Promise<EventOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(type);
      if (found.length >= count) return found[found.length - 1]!;
      if (Date.now() > deadline) throw new Error(`no ${type} event within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
