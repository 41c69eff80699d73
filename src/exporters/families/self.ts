/** The collector's own health: events in, events dropped, client table size. */
import type { CollectorSnapshot } from '../../collector/snapshot.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { COLLECTOR as F } from './table.ts';
import { single } from './common.ts';

export function renderSelfFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  single(w, F.eventsIngested, s.self.eventsIngested);
  single(w, F.eventsDropped, s.self.eventsDropped);
  single(w, F.eventsFolded, s.self.eventsFolded);
  single(w, F.clientsTracked, s.self.clientsTracked);
  single(w, F.clientsExpired, s.self.clientsExpired);
  single(w, F.clientsUntracked, s.self.clientsUntracked);
}
