/**
 * Ingest of the subnet map and the authoritative access point protocol: table updates, AAP
 * reachability, failovers, push retries, hand-overs, reconciliations, refused messages, and the
 * reachability probes towards home agents.
 */
import { AAP_REFUSAL_REASONS } from '../../pmip/events.ts';
import { Ha, Seen, add } from '../counters.ts';
import type { IngestTable } from './types.ts';

export const subnetMapIngest = {
  'subnet-map-updated': (s, e) => {
    s.subnetMapUpdates[e.source] = (s.subnetMapUpdates[e.source] ?? 0) + 1;
    s.lastReportedRows = e.rows;
    s.aapTable.tableUpdated(e.node, e.rows, e.version, e.time);
  },

  'aap-reachability': (s, e) => {
    s.aapTable.reachability(e.aap, e.reachable, e.time);
  },

  'aap-failover': (s) => {
    s.aapCounts.failovers++;
  },

  'aap-push-retried': (s) => {
    s.aapCounts.pushRetries++;
  },

  'aap-ap-handed-over': (s) => {
    s.aapCounts.handovers++;
  },

  'aap-reconciled': (s, e) => {
    s.aapCounts.reconciliations++;
    s.aapCounts.reconciledRows += e.rowsChanged;
  },

  'aap-message-refused': (s, e) => {
    if (!AAP_REFUSAL_REASONS.includes(e.reason)) return false;
    s.aapRefused[e.reason]++;
  },

  'ha-probe': (s, e) => {
    const column =
      e.outcome === 'sent' ? Ha.probesSent : e.outcome === 'answered' ? Ha.probesAnswered : Ha.probesTimedOut;
    const h = s.ha.registry.slot(e.homeAgent);
    add(s.ha.counters, h * Ha.width + column);
    // The same three columns in the Seen layout, in the same order.
    add(s.haSeen.counters, h * Seen.width + Seen.probesSent + (column - Ha.probesSent));
  },
} satisfies Partial<IngestTable>;
