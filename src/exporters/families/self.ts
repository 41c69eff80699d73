/** The collector's own health: events in, events dropped, client table size. */
import type { CollectorSnapshot } from '../../collector/snapshot.ts';
import type { ExpositionWriter } from '../serializer.ts';

export function renderSelfFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  const families: Array<[string, 'counter' | 'gauge', string, number]> = [
    [
      'pmip_exporter_events_ingested_total',
      'counter',
      'PMIP events the collector counted.',
      s.self.eventsIngested,
    ],
    [
      'pmip_exporter_events_dropped_total',
      'counter',
      'PMIP events the collector could not use (unknown type, reply code out of range).',
      s.self.eventsDropped,
    ],
    [
      'pmip_exporter_events_folded_total',
      'counter',
      'Events from nodes not in the configuration, counted under the label value "other".',
      s.self.eventsFolded,
    ],
    ['pmip_exporter_tracked_clients', 'gauge', 'Client rows held by the collector.', s.self.clientsTracked],
    [
      'pmip_exporter_clients_expired_total',
      'counter',
      'Client rows dropped after the idle time.',
      s.self.clientsExpired,
    ],
    [
      'pmip_exporter_clients_untracked_total',
      'counter',
      'Clients not tracked because the client table was full.',
      s.self.clientsUntracked,
    ],
  ];
  for (const [name, type, help, value] of families) {
    w.family(name, type, help);
    w.sample(name, '', value);
  }
}
