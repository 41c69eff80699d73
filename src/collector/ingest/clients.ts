/** Ingest of the live client rows: full rows (client-state), moves and removals, at the access points. */
import type { Movement } from '../../pmip/events.ts';
import { Mn, add } from '../counters.ts';
import type { IngestTable } from './types.ts';

const MOVE_COLUMN: Readonly<Record<Movement, number>> = {
  'home-to-foreign': Mn.movesHomeToForeign,
  'foreign-to-foreign': Mn.movesForeignToForeign,
  'foreign-to-home': Mn.movesForeignToHome,
};

export const clientIngest = {
  'client-moved': (s, e) => {
    add(s.ap.counters, s.ap.registry.slot(e.node) * Mn.width + MOVE_COLUMN[e.movement]);
    s.clientTable.touch(e.client.mac, s.clock(), e.careOfAddress);
  },

  'client-state': (s, e) => {
    s.clientTable.upsert(e, s.ap.registry.slot(e.node), s.clock());
  },

  'client-removed': (s, e) => {
    s.clientTable.remove(e.client.mac);
  },
} satisfies Partial<IngestTable>;
