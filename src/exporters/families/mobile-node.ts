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
import { MOVEMENTS } from '../../collector/vocabulary.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { enumLabel, nodeLabels, perNodeAttempts, perNodeBy, perNodeFamily } from './common.ts';
import { MOBILE_NODE as F } from './table.ts';

/** The failure outcomes, in the outcome block's order after `accepted`. */
export const FAILURE_OUTCOMES = REGISTRATION_OUTCOME_KINDS.slice(1);
const accepted = outcomeOffset('accepted');
const PRE_CREATED_FAILURES = new Set([outcomeOffset('timeout'), outcomeOffset('unauthenticated')]);
const UNKNOWN_STATE = CLIENT_STATES.indexOf('unknown');

export function renderMobileNodeFamilies(w: ExpositionWriter, g: AccessPointsSnapshot): void {
  const ap = nodeLabels(g, 'access_point');

  w.family(F.requestsSent);
  perNodeBy(w, g, ap, F.requestsSent.name, 'kind', REGISTRATION_KINDS, Mn.requestsSent);
  perNodeFamily(w, g, ap, F.retransmissions, Mn.retransmissions);
  // Proxying access points register with a known home agent; only access points that did send
  // to a directed broadcast have a series (500 zero lines otherwise).
  w.family(F.requestsToBroadcast);
  for (let i = 0; i < g.slots.length; i++) {
    const v = g.counters[g.slots[i]! * g.width + Mn.requestsToBroadcast]!;
    if (v > 0) w.sample(F.requestsToBroadcast.name, ap[i]!, v);
  }
  perNodeFamily(w, g, ap, F.repliesReceived, Mn.repliesReceived);
  w.family(F.attempts);
  perNodeAttempts(w, g, ap, F.attempts.name);
  w.family(F.accepted);
  for (let i = 0; i < g.slots.length; i++)
    w.sample(F.accepted.name, ap[i]!, g.outcomes[g.slots[i]! * OUTCOMES + accepted]!);
  w.family(F.failures);
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
      if (v > 0 || PRE_CREATED_FAILURES.has(offset)) w.sample(F.failures.name, ap[i]! + text, v);
    }
  }
  w.family(F.repliesDiscarded);
  // Only the reasons an access point has seen: five series per access point would be a quarter of
  // the page for 500 access points, for counters that are not alerted on (docs/metrics.md).
  const reasons = REPLY_DISCARD_REASONS.map((r) => `,${enumLabel('reason', r)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const b = g.slots[i]! * g.width + Mn.discarded;
    for (let r = 0; r < reasons.length; r++) {
      const v = g.counters[b + r]!;
      if (v > 0) w.sample(F.repliesDiscarded.name, ap[i]! + reasons[r]!, v);
    }
  }
  w.family(F.moves);
  perNodeBy(w, g, ap, F.moves.name, 'movement', MOVEMENTS, Mn.movesHomeToForeign);
  perNodeFamily(w, g, ap, F.timeSyncs, Mn.timeSyncs);
  perNodeFamily(w, g, ap, F.solicitationsSent, Mn.solicitationsSent);
  perNodeFamily(w, g, ap, F.advertisementsReceived, Mn.advertisementsReceived);
  perNodeFamily(w, g, ap, F.agentRebootsDetected, Mn.agentRebootsDetected);
  perNodeFamily(w, g, ap, F.gratuitousArpsSent, Mn.gratuitousArpsSent);
  w.family(F.clients);
  const states = CLIENT_STATES.map((st) => `,${enumLabel('state', st)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const base = g.slots[i]! * CLIENT_STATES.length;
    for (let k = 0; k < states.length; k++) {
      const n = g.clientsByState[base + k]!;
      // `unknown` (a client the access point cannot place) only when there is one.
      if (n > 0 || k !== UNKNOWN_STATE) w.sample(F.clients.name, ap[i]! + states[k]!, n);
    }
  }
}
