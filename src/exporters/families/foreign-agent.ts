/** Foreign-agent side, per foreign agent (faRegistrationGroup of RFC 2006). */
import type { ForeignAgentsSnapshot } from '../../collector/snapshot.ts';
import { Fa, REGISTRATION_KINDS } from '../../collector/counters.ts';
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
  // Two runs: the unexpected-source column is not next to the other two.
  perNodeBy(
    w,
    g,
    fa,
    F.repliesDropped.name,
    'reason',
    ['no-pending-request', 'poorly-formed'],
    Fa.repliesDroppedNoPendingRequest,
  );
  perNodeBy(
    w,
    g,
    fa,
    F.repliesDropped.name,
    'reason',
    ['unexpected-source'],
    Fa.repliesDroppedUnexpectedSource,
  );
  perNodeFamily(w, g, fa, F.advertisementsSent, Fa.advertisementsSent);
  w.family(F.visitors);
  for (let i = 0; i < g.slots.length; i++) w.sample(F.visitors.name, fa[i]!, g.visitors[g.slots[i]!]!);
}
