/** Foreign-agent side, per foreign agent (faRegistrationGroup of RFC 2006). */
import type { ForeignAgentsSnapshot } from '../../collector/snapshot.ts';
import { Fa, REGISTRATION_KINDS } from '../../collector/counters.ts';
import { REPLY_DROP_REASONS } from '../../collector/vocabulary.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { FOREIGN_AGENT_ALERT_CODES, nodeLabels, perNodeBy, perNodeByCode, perNodeFamily } from './common.ts';
import { FOREIGN_AGENT as F } from './table.ts';

export function renderForeignAgentFamilies(w: ExpositionWriter, g: ForeignAgentsSnapshot): void {
  const fa = nodeLabels(g, 'foreign_agent');
  w.family(F.requestsReceived);
  perNodeBy(w, g, fa, F.requestsReceived.name, 'kind', REGISTRATION_KINDS, Fa.requestsReceived);
  perNodeFamily(w, g, fa, F.requestsRelayed, Fa.requestsRelayed);
  perNodeFamily(w, g, fa, F.repliesRelayed, Fa.repliesRelayed);
  w.family(F.denials);
  perNodeByCode(w, g, fa, F.denials.name, FOREIGN_AGENT_ALERT_CODES);
  w.family(F.repliesDropped);
  // Two runs of columns: the first two reasons' columns are adjacent, the third's stands apart.
  const [first, second, third] = REPLY_DROP_REASONS;
  perNodeBy(w, g, fa, F.repliesDropped.name, 'reason', [first, second], Fa.repliesDroppedNoPendingRequest);
  perNodeBy(w, g, fa, F.repliesDropped.name, 'reason', [third], Fa.repliesDroppedUnexpectedSource);
  perNodeFamily(w, g, fa, F.advertisementsSent, Fa.advertisementsSent);
  w.family(F.visitors);
  for (let i = 0; i < g.slots.length; i++) w.sample(F.visitors.name, fa[i]!, g.visitors[g.slots[i]!]!);
}
