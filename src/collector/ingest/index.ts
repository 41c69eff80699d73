/**
 * The collector's ingest: one handler per event type, merged from one table per event family.
 * `INGEST` is typed as the full table, so a new PmipEvent type that no family handles does not
 * compile; `ingestEvent` dispatches by type and says whether the event was used.
 */
import type { PmipEvent } from '../../pmip/events.ts';
import { agentIngest } from './agents.ts';
import { anyNodeIngest } from './any-node.ts';
import { clientIngest } from './clients.ts';
import { discoveryIngest } from './discovery.ts';
import { radiusIngest } from './radius.ts';
import { registrationIngest } from './registration.ts';
import type { IngestState } from './state.ts';
import { subnetMapIngest } from './subnet-map.ts';
import type { Handler, IngestTable } from './types.ts';

export const INGEST: IngestTable = {
  ...registrationIngest,
  ...clientIngest,
  ...discoveryIngest,
  ...agentIngest,
  ...anyNodeIngest,
  ...subnetMapIngest,
  ...radiusIngest,
};

/** By type, without the prototype chain: an unknown `type` finds nothing (not Object.prototype's). */
const DISPATCH = new Map<string, Handler<PmipEvent['type']>>(
  Object.entries(INGEST) as Array<[string, Handler<PmipEvent['type']>]>,
);

/** Applies one event; false when it is not usable (unknown type, out-of-range value): count it dropped. */
export function ingestEvent(state: IngestState, e: PmipEvent): boolean {
  // The events of every registration attempt by a direct call each (the compiler can inline
  // them): a map probe and an indirect call per event were a measurable part of ingest.
  switch (e.type) {
    case 'registration-sent':
      return INGEST['registration-sent'](state, e) !== false;
    case 'reply-received':
      return INGEST['reply-received'](state, e) !== false;
    case 'registration-outcome':
      return INGEST['registration-outcome'](state, e) !== false;
    case 'client-state':
      return INGEST['client-state'](state, e) !== false;
    case 'client-moved':
      return INGEST['client-moved'](state, e) !== false;
    default: {
      const handler = DISPATCH.get(e.type);
      return handler !== undefined && handler(state, e as never) !== false;
    }
  }
}
