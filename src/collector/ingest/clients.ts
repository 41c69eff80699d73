/** Ingest of the live client rows: full rows (client-state), moves and removals, at the access points. */
import type { Movement } from '../../pmip/events.ts';
import { Mn, add } from '../counters.ts';
import type { IngestTable } from './types.ts';

/** The counter column of a movement; NaN (an index that writes nothing) for another value. */
function moveColumn(movement: Movement): number {
  return movement === 'home-to-foreign'
    ? Mn.movesHomeToForeign
    : movement === 'foreign-to-foreign'
      ? Mn.movesForeignToForeign
      : movement === 'foreign-to-home'
        ? Mn.movesForeignToHome
        : NaN;
}

export const clientIngest = {
  'client-moved': (s, e) => {
    // Counted only: the row's new care-of address comes with the client-state event that every
    // source sends with a move (before or after it; docs/events.md), which also keeps it alive.
    add(s.ap.counters, s.ap.registry.slot(e.node) * Mn.width + moveColumn(e.movement));
  },

  'client-state': (s, e) => {
    s.clientTable.upsert(e, s.ap.registry.slot(e.node), s.clock());
  },

  'client-removed': (s, e) => {
    s.clientTable.remove(e.client.mac);
  },
} satisfies Partial<IngestTable>;
