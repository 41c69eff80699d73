/**
 * How events travel: the bus that fans them out, and the stamping every emitter uses (the
 * emitter's clock reading and identity on each event, in one place).
 */
import type { EventSink, NodeKind, PmipEvent, PmipEventType } from './events.ts';

/** An event without the fields its emitter stamps on every event (time, node, nodeKind). */
export type EventBody = DistributiveOmit<PmipEvent, 'time' | 'node' | 'nodeKind'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Stamps an event body with the emitter's clock reading and identity: the one place events get them. */
export function stampEvent(body: EventBody, time: number, node: string, nodeKind: NodeKind): PmipEvent {
  return { ...body, time, node, nodeKind } as PmipEvent;
}

/**
 * An emitter for one node: each body stamped with `now()` and the node's identity (stampEvent),
 * then handed to `sink`; a throwing sink never breaks the node.
 */
export function eventEmitter(
  sink: EventSink,
  now: () => number,
  node: string,
  nodeKind: NodeKind,
): (body: EventBody) => void {
  return (body) => {
    try {
      sink(stampEvent(body, now(), node, nodeKind));
    } catch {
      // The engine keeps running whatever a subscriber does.
    }
  };
}

/** Fans events out to subscribers; a throwing subscriber never breaks the engine. */
export class EventBus {
  private readonly sinks: EventSink[] = [];
  private failures = 0;

  readonly emit: EventSink = (event) => {
    for (const sink of this.sinks) {
      try {
        sink(event);
      } catch {
        this.failures++;
      }
    }
  };

  subscribe(sink: EventSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  /** Subscriber exceptions swallowed so far (the collector exposes it as a self-metric). */
  get subscriberFailures(): number {
    return this.failures;
  }
}

/** Narrows an event to one type; handy for collectors and tests. */
export function isEvent<T extends PmipEventType>(
  e: PmipEvent,
  type: T,
): e is Extract<PmipEvent, { type: T }> {
  return e.type === type;
}
