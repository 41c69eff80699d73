import type { PmipEvent, PmipEventType } from '../../pmip/events.ts';
import type { IngestState } from './state.ts';

/** `false`: the event was not usable and is counted as dropped; anything else: ingested. */
export type Ingested = void | false;

/** Ingested when `used`, dropped otherwise. */
export function usedIf(used: boolean): Ingested {
  if (!used) return false;
}

/** The event interface(s) whose `type` admits K (one interface may carry several types, e.g. bindings). */
type Carrying<E, K> = E extends { type: infer T } ? (K extends T ? E : never) : never;
export type EventOf<K extends PmipEventType> = Carrying<PmipEvent, K>;

/** Applies one event of type K to the collector's state. */
export type Handler<K extends PmipEventType> = (state: IngestState, event: EventOf<K>) => Ingested;

/** One handler per event type: the compiler checks that none is missing. */
export type IngestTable = { [K in PmipEventType]: Handler<K> };
