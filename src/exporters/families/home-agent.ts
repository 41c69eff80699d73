/** Home-agent side, per home agent (haRegistrationGroup, haRegNodeCountersGroup of RFC 2006). */
import type { HomeAgentsSnapshot } from '../../collector/snapshot.ts';
import { Ha, REGISTRATION_KINDS } from '../../collector/counters.ts';
import { ARP_KINDS } from '../../collector/vocabulary.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { HOME_AGENT_ALERT_CODES, nodeLabels, perNodeBy, perNodeByCode, perNodeFamily } from './common.ts';
import { HOME_AGENT as F } from './table.ts';

export function renderHomeAgentFamilies(w: ExpositionWriter, g: HomeAgentsSnapshot): void {
  const ha = nodeLabels(g, 'home_agent');
  w.family(F.requestsReceived);
  perNodeBy(w, g, ha, F.requestsReceived.name, 'kind', REGISTRATION_KINDS, Ha.requestsReceived);
  perNodeFamily(w, g, ha, F.repliesSent, Ha.repliesSent);
  perNodeFamily(w, g, ha, F.accepted, Ha.accepted);
  w.family(F.denials);
  perNodeByCode(w, g, ha, F.denials.name, HOME_AGENT_ALERT_CODES);
  w.family(F.arpsSent);
  perNodeBy(w, g, ha, F.arpsSent.name, 'kind', ARP_KINDS, Ha.gratuitousArpsSent);
  perNodeFamily(w, g, ha, F.advertisementsSent, Ha.advertisementsSent);
  w.family(F.bindings);
  for (let i = 0; i < g.slots.length; i++) w.sample(F.bindings.name, ha[i]!, g.bindings[g.slots[i]!]!);
}
