/** Foreign-agent side, per foreign agent (faRegistrationGroup of RFC 2006). */
import type { ForeignAgentsSnapshot } from '../../collector/snapshot.ts';
import { Fa, REGISTRATION_KINDS } from '../../collector/counters.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { FOREIGN_AGENT_ALERT_CODES, nodeLabels, perNode, perNodeBy, perNodeByCode } from './common.ts';

export function renderForeignAgentFamilies(w: ExpositionWriter, g: ForeignAgentsSnapshot): void {
  const fa = nodeLabels(g, 'foreign_agent');
  const counter = (name: string, help: string, column: number): void => {
    w.family(name, 'counter', help);
    perNode(w, g, fa, name, column);
  };
  w.family(
    'pmip_fa_registration_requests_received_total',
    'counter',
    'Registration requests received by the foreign agent, by kind (MIB: faRegRequestsReceived).',
  );
  perNodeBy(
    w,
    g,
    fa,
    'pmip_fa_registration_requests_received_total',
    'kind',
    REGISTRATION_KINDS,
    Fa.requestsReceived,
  );
  counter(
    'pmip_fa_registration_requests_relayed_total',
    'Registration requests relayed to a home agent (MIB: faRegRequestsRelayed).',
    Fa.requestsRelayed,
  );
  counter(
    'pmip_fa_registration_replies_relayed_total',
    'Home agent replies relayed to the access point (MIB: faRegRepliesRelayed).',
    Fa.repliesRelayed,
  );
  w.family(
    'pmip_fa_registration_denials_total',
    'counter',
    'Registrations the foreign agent denied itself, by reply code (MIB: faReasonUnspecified, faAdmProhibited, faInsufficientResource, faMNAuthenticationFailure, faRegLifetimeTooLong, faPoorlyFormedRequests, faEncapsulationUnavailable, faVJCompressionUnavailable, faHAUnreachable).',
  );
  perNodeByCode(w, g, fa, 'pmip_fa_registration_denials_total', FOREIGN_AGENT_ALERT_CODES);
  w.family(
    'pmip_fa_replies_dropped_total',
    'counter',
    'Replies the foreign agent dropped: poorly formed, matching no pending request, or not from the home agent the request went to (MIB: faPoorlyFormedReplies).',
  );
  perNodeBy(
    w,
    g,
    fa,
    'pmip_fa_replies_dropped_total',
    'reason',
    ['no-pending-request', 'poorly-formed'],
    Fa.repliesDroppedNoPendingRequest,
  );
  perNodeBy(
    w,
    g,
    fa,
    'pmip_fa_replies_dropped_total',
    'reason',
    ['unexpected-source'],
    Fa.repliesDroppedUnexpectedSource,
  );
  counter(
    'pmip_fa_advertisements_sent_total',
    'Agent advertisements sent (MIB: maAdvertisementsSent).',
    Fa.advertisementsSent,
  );
  w.family(
    'pmip_fa_visitors',
    'gauge',
    'Visitors in the foreign agent visitor list (MIB: faVisitorTable rows).',
  );
  for (let i = 0; i < g.slots.length; i++) w.sample('pmip_fa_visitors', fa[i]!, g.visitors[g.slots[i]!]!);
}
