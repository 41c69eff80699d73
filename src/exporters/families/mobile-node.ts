/** Mobile-node side, per access point (mnRegistrationGroup, mnDiscoveryGroup of RFC 2006). */
import type { AccessPointsSnapshot } from '../../collector/snapshot.ts';
import { Mn, REGISTRATION_KINDS } from '../../collector/counters.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { label } from '../serializer.ts';
import { nodeLabels, perNode, perNodeBy } from './common.ts';

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
  counter(
    'pmip_mn_registrations_accepted_total',
    'Replies accepting the registration, codes 0 and 1 (MIB: mnRegRequestsAccepted).',
    Mn.accepted,
  );

  w.family(
    'pmip_mn_registrations_denied_total',
    'counter',
    'Replies denying the registration, by issuer: home agent codes 128-191, foreign agent codes 64-127 (MIB: mnRegRequestsDeniedByHA, mnRegRequestsDeniedByFA).',
  );
  const issuers = ['home-agent', 'foreign-agent'];
  const other = g.slots.some((s) => g.counters[s * g.width + Mn.deniedOther]! > 0);
  const issuerLabels = issuers.map((i) => `,${label('issuer', i)}`);
  const unknownLabel = `,${label('issuer', 'unknown')}`;
  for (let i = 0; i < g.slots.length; i++) {
    const b = g.slots[i]! * g.width;
    w.sample(
      'pmip_mn_registrations_denied_total',
      ap[i]! + issuerLabels[0]!,
      g.counters[b + Mn.deniedByHomeAgent]!,
    );
    w.sample(
      'pmip_mn_registrations_denied_total',
      ap[i]! + issuerLabels[1]!,
      g.counters[b + Mn.deniedByForeignAgent]!,
    );
    if (other)
      w.sample('pmip_mn_registrations_denied_total', ap[i]! + unknownLabel, g.counters[b + Mn.deniedOther]!);
  }

  counter(
    'pmip_mn_registration_timeouts_total',
    'Registrations abandoned after the last retransmission went unanswered (vendor MIB: registration timeouts).',
    Mn.timeouts,
  );
  w.family(
    'pmip_mn_replies_discarded_total',
    'counter',
    'Replies dropped silently, not acted on (MIB: mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, mnRepliesDroppedInvalidExtension); reasons in pmip_mn_reply_discards_total.',
  );
  for (let i = 0; i < g.slots.length; i++) {
    const b = g.slots[i]! * g.width + Mn.discarded;
    let t = 0;
    for (let r = 0; r < 5; r++) t += g.counters[b + r]!;
    w.sample('pmip_mn_replies_discarded_total', ap[i]!, t);
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
    'pmip_mn_mobile_clients',
    'gauge',
    'Mobile clients tracked at the access point (MIB: mnState rows).',
  );
  for (let i = 0; i < g.slots.length; i++)
    w.sample('pmip_mn_mobile_clients', ap[i]!, g.clients[g.slots[i]!]!);
}
