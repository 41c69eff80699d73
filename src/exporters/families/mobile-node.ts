/** Mobile-node side, per access point (mnRegistrationGroup, mnDiscoveryGroup of RFC 2006). */
import type { AccessPointsSnapshot } from '../../collector/snapshot.ts';
import { CLIENT_STATES } from '../../collector/clients.ts';
import {
  Mn,
  OUTCOMES,
  REGISTRATION_KINDS,
  REGISTRATION_OUTCOME_KINDS,
  REPLY_DISCARD_REASONS,
  outcomeOffset,
} from '../../collector/counters.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { enumLabel, nodeLabels, perNode, perNodeAttempts, perNodeBy } from './common.ts';

/** The failure outcomes, in the outcome block's order after `accepted`. */
export const FAILURE_OUTCOMES = REGISTRATION_OUTCOME_KINDS.slice(1);
const accepted = outcomeOffset('accepted');
const PRE_CREATED_FAILURES = new Set([outcomeOffset('timeout'), outcomeOffset('unauthenticated')]);
const UNKNOWN_STATE = CLIENT_STATES.indexOf('unknown');

const MOVEMENTS = ['home-to-foreign', 'foreign-to-foreign', 'foreign-to-home'] as const;

export function renderMobileNodeFamilies(w: ExpositionWriter, g: AccessPointsSnapshot): void {
  const ap = nodeLabels(g, 'access_point');
  const counter = (name: string, help: string, column: number): void => {
    w.family(name, 'counter', help);
    perNode(w, g, ap, name, column);
  };

  w.family(
    'pmip_mn_registration_requests_sent_total',
    'counter',
    'Registration requests sent by the access point for its clients, every transmission included, by kind (MIB: mnRegRequestsSent, mnDeRegRequestsSent).',
  );
  perNodeBy(
    w,
    g,
    ap,
    'pmip_mn_registration_requests_sent_total',
    'kind',
    REGISTRATION_KINDS,
    Mn.requestsSent,
  );
  counter(
    'pmip_mn_registration_retransmissions_total',
    'Registration requests sent again after no reply; included in pmip_mn_registration_requests_sent_total (vendor MIB).',
    Mn.retransmissions,
  );
  // Proxying access points register with a known home agent; only access points that did send
  // to a directed broadcast have a series (500 zero lines otherwise).
  w.family(
    'pmip_mn_registration_requests_broadcast_total',
    'counter',
    'Registration requests sent to a directed broadcast address; a series once the access point sent one (MIB: mnRegRequestsWithDirectedBroadcast).',
  );
  for (let i = 0; i < g.slots.length; i++) {
    const v = g.counters[g.slots[i]! * g.width + Mn.requestsToBroadcast]!;
    if (v > 0) w.sample('pmip_mn_registration_requests_broadcast_total', ap[i]!, v);
  }
  counter(
    'pmip_mn_registration_replies_received_total',
    'Registration and deregistration replies received and processed (MIB: mnRegRepliesRecieved, mnDeRegRepliesRecieved).',
    Mn.repliesReceived,
  );
  w.family(
    'pmip_mn_registration_attempts_total',
    'counter',
    'Registration attempts concluded: a request and its retransmissions, ended by one outcome (accepted, denied, timeout, unauthenticated or discarded) (vendor MIB: initial registrations, re-registrations and deregistrations).',
  );
  perNodeAttempts(w, g, ap, 'pmip_mn_registration_attempts_total');
  w.family(
    'pmip_mn_registrations_accepted_total',
    'counter',
    'Attempts accepted by a verified reply, codes 0 and 1 (MIB: mnRegRequestsAccepted).',
  );
  for (let i = 0; i < g.slots.length; i++)
    w.sample('pmip_mn_registrations_accepted_total', ap[i]!, g.outcomes[g.slots[i]! * OUTCOMES + accepted]!);
  w.family(
    'pmip_mn_registration_failures_total',
    'counter',
    'Attempts that failed, by outcome: denied (a verified denial; MIB: mnRegRequestsDeniedByHA, mnRegRequestsDeniedByFA), timeout (no reply after the last retransmission), unauthenticated (only replies that failed authentication), discarded (only replies that were dropped, or nothing could be sent).',
  );
  // timeout and unauthenticated exist at 0 from start-up (alerts read them per access point);
  // denied and discarded appear once an access point has one: the per-code detail is elsewhere
  // (pmip_registration_denials_total, pmip_home_agent_registration_denials_total), and 1,000 zero
  // lines would be a tenth of the page for 500 access points.
  const failureLabels = FAILURE_OUTCOMES.map(
    (o) => [`,${enumLabel('outcome', o)}`, outcomeOffset(o)] as const,
  );
  for (let i = 0; i < g.slots.length; i++) {
    const base = g.slots[i]! * OUTCOMES;
    for (const [text, offset] of failureLabels) {
      const v = g.outcomes[base + offset]!;
      if (v > 0 || PRE_CREATED_FAILURES.has(offset))
        w.sample('pmip_mn_registration_failures_total', ap[i]! + text, v);
    }
  }
  w.family(
    'pmip_mn_replies_discarded_total',
    'counter',
    'Replies dropped silently, not acted on, by reason; a reason appears once the access point has seen it (MIB: mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, mnRepliesDroppedInvalidExtension).',
  );
  // Only the reasons an access point has seen: five series per access point would be a quarter of
  // the page for 500 access points, for counters that are not alerted on (docs/metrics.md).
  const reasons = REPLY_DISCARD_REASONS.map((r) => `,${enumLabel('reason', r)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const b = g.slots[i]! * g.width + Mn.discarded;
    for (let r = 0; r < reasons.length; r++) {
      const v = g.counters[b + r]!;
      if (v > 0) w.sample('pmip_mn_replies_discarded_total', ap[i]! + reasons[r]!, v);
    }
  }
  w.family(
    'pmip_mn_moves_total',
    'counter',
    'Client movements between home and foreign networks (MIB: mnMoveFromHAToFA, mnMoveFromFAToFA, mnMoveFromFAToHA).',
  );
  perNodeBy(w, g, ap, 'pmip_mn_moves_total', 'movement', MOVEMENTS, Mn.movesHomeToForeign);
  counter(
    'pmip_mn_time_syncs_total',
    'Time synchronisations with a home agent after an identification mismatch, code 133 (vendor MIB; the denial itself is mnRegRequestsDeniedByHADueToID).',
    Mn.timeSyncs,
  );
  counter(
    'pmip_mn_solicitations_sent_total',
    'Agent solicitations sent (MIB: mnSolicitationsSent).',
    Mn.solicitationsSent,
  );
  counter(
    'pmip_mn_advertisements_received_total',
    'Agent advertisements received (MIB: mnAdvertisementsReceived).',
    Mn.advertisementsReceived,
  );
  counter(
    'pmip_mn_agent_reboots_detected_total',
    'Agent reboots detected from advertisement sequence numbers (MIB: mnAgentRebootsDectected).',
    Mn.agentRebootsDetected,
  );
  counter(
    'pmip_mn_gratuitous_arps_sent_total',
    'Gratuitous ARPs sent for clients returning home (MIB: mnGratuitousARPsSend).',
    Mn.gratuitousArpsSent,
  );
  w.family(
    'pmip_mobile_clients',
    'gauge',
    'Mobile clients tracked, by access point and state (MIB: mnState).',
  );
  const states = CLIENT_STATES.map((st) => `,${enumLabel('state', st)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const base = g.slots[i]! * CLIENT_STATES.length;
    for (let k = 0; k < states.length; k++) {
      const n = g.clientsByState[base + k]!;
      // `unknown` (a client the access point cannot place) only when there is one.
      if (n > 0 || k !== UNKNOWN_STATE) w.sample('pmip_mobile_clients', ap[i]! + states[k]!, n);
    }
  }
}
