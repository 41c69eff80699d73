/** Home-agent side, per home agent (haRegistrationGroup, haRegNodeCountersGroup of RFC 2006). */
import type { HomeAgentsSnapshot } from '../../collector/snapshot.ts';
import { Ha, REGISTRATION_KINDS } from '../../collector/counters.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { HOME_AGENT_ALERT_CODES, nodeLabels, perNode, perNodeBy, perNodeByCode } from './common.ts';

export function renderHomeAgentFamilies(w: ExpositionWriter, g: HomeAgentsSnapshot): void {
  const ha = nodeLabels(g, 'home_agent');
  const counter = (name: string, help: string, column: number): void => {
    w.family(name, 'counter', help);
    perNode(w, g, ha, name, column);
  };
  w.family(
    'pmip_ha_registration_requests_received_total',
    'counter',
    'Registration requests received by the home agent, by kind (MIB: haRegRequestsReceived, haDeRegRequestsReceived).',
  );
  perNodeBy(
    w,
    g,
    ha,
    'pmip_ha_registration_requests_received_total',
    'kind',
    REGISTRATION_KINDS,
    Ha.requestsReceived,
  );
  counter(
    'pmip_ha_registration_replies_sent_total',
    'Registration and deregistration replies sent by the home agent (MIB: haRegRepliesSent, haDeRegRepliesSent).',
    Ha.repliesSent,
  );
  counter(
    'pmip_ha_registrations_accepted_total',
    'Registrations the home agent accepted, codes 0 and 1 (MIB: haRegistrationAccepted, haMultiBindingUnsupported).',
    Ha.accepted,
  );
  w.family(
    'pmip_ha_registration_denials_total',
    'counter',
    'Registrations the home agent denied, by reply code (MIB: haReasonUnspecified, haAdmProhibited, haInsufficientResource, haMNAuthenticationFailure, haFAAuthenticationFailure, haIDMismatch, haPoorlyFormedRequest, haTooManyBindings, haUnknownHA).',
  );
  perNodeByCode(w, g, ha, 'pmip_ha_registration_denials_total', HOME_AGENT_ALERT_CODES);
  w.family(
    'pmip_ha_arps_sent_total',
    'counter',
    'ARPs sent by the home agent on behalf of away clients (MIB: haGratuitiousARPsSent, haProxyARPsSent).',
  );
  perNodeBy(w, g, ha, 'pmip_ha_arps_sent_total', 'kind', ['gratuitous', 'proxy'], Ha.gratuitousArpsSent);
  counter(
    'pmip_ha_advertisements_sent_total',
    'Agent advertisements sent (MIB: maAdvertisementsSent).',
    Ha.advertisementsSent,
  );
  w.family(
    'pmip_ha_bindings',
    'gauge',
    'Mobility bindings held by the home agent (MIB: haMobilityBindingTable rows).',
  );
  for (let i = 0; i < g.slots.length; i++) w.sample('pmip_ha_bindings', ha[i]!, g.bindings[g.slots[i]!]!);
}
