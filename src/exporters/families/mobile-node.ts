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
import { enumLabel, nodeLabels, perNode, perNodeAttempts, perNodeBy, perNodeOutcome } from './common.ts';

/** The failure outcomes, in the outcome block's order after `accepted`. */
export const FAILURE_OUTCOMES = REGISTRATION_OUTCOME_KINDS.slice(1);
const accepted = outcomeOffset('accepted');

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
  counter(
    'pmip_mn_registration_requests_broadcast_total',
    'Registration requests sent to a directed broadcast address (MIB: mnRegRequestsWithDirectedBroadcast).',
    Mn.requestsToBroadcast,
  );
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
  perNodeOutcome(w, g, ap, 'pmip_mn_registration_failures_total', FAILURE_OUTCOMES, accepted + 1);
  w.family(
    'pmip_mn_replies_discarded_total',
    'counter',
    'Replies dropped silently, not acted on, by reason (MIB: mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, mnRepliesDroppedInvalidExtension).',
  );
  perNodeBy(w, g, ap, 'pmip_mn_replies_discarded_total', 'reason', REPLY_DISCARD_REASONS, Mn.discarded);
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
    for (let k = 0; k < states.length; k++)
      w.sample('pmip_mobile_clients', ap[i]! + states[k]!, g.clientsByState[base + k]!);
  }
}
