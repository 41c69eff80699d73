/**
 * Home agents and foreign agents as the access points see them: the figures a real site has
 * about agents it does not host (attempts, outcomes, denials by code, round trip, last reply),
 * summed over every access point. Label values are the configured names, else the addresses;
 * `pmip_home_agent_info` maps one to the other.
 */
import { ROUND_TRIP_BUCKETS } from '../../collector/round-trip.ts';
import { OUTCOMES, Seen, outcomeOffset } from '../../collector/counters.ts';
import type { CollectorSnapshot, SeenAgentsSnapshot } from '../../collector/snapshot.ts';
import { HA_PROBE_OUTCOMES } from '../../collector/vocabulary.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { formatValue, label } from '../serializer.ts';
import {
  FOREIGN_AGENT_ALERT_CODES,
  HOME_AGENT_ALERT_CODES,
  nodeLabels,
  perNodeAttempts,
  perNodeBy,
  perNodeByCode,
  perNodeFamily,
  perNodeOutcome,
} from './common.ts';
import { FAILURE_OUTCOMES } from './mobile-node.ts';
import { FOREIGN_AGENTS_SEEN, HOME_AGENTS_SEEN } from './table.ts';
import type { AgentsSeenFamilies } from './table.ts';

export function renderHomeAgentsSeen(w: ExpositionWriter, s: CollectorSnapshot): void {
  const g = s.homeAgentsSeen;
  renderSide(w, g, HOME_AGENTS_SEEN, HOME_AGENT_ALERT_CODES);
  w.family(HOME_AGENTS_SEEN.probes);
  perNodeBy(
    w,
    g,
    nodeLabels(g, 'home_agent'),
    HOME_AGENTS_SEEN.probes.name,
    'outcome',
    HA_PROBE_OUTCOMES,
    Seen.probesSent,
  );
  const offset = HOME_AGENTS_SEEN.timeSyncOffset;
  w.family(offset);
  for (const o of s.timeOffsets)
    w.sample(
      offset.name,
      `${label('access_point', o.accessPoint)},${label('home_agent', o.homeAgent)}`,
      o.offsetSeconds,
    );
}

export function renderForeignAgentsSeen(w: ExpositionWriter, s: CollectorSnapshot): void {
  renderSide(w, s.foreignAgentsSeen, FOREIGN_AGENTS_SEEN, FOREIGN_AGENT_ALERT_CODES);
}

function renderSide(
  w: ExpositionWriter,
  g: SeenAgentsSnapshot,
  F: AgentsSeenFamilies,
  alertCodes: readonly number[],
): void {
  const labels = nodeLabels(g, F.labelName);

  w.family(F.info);
  for (let i = 0; i < g.slots.length; i++)
    w.sample(F.info.name, `${labels[i]!},${label('address', g.addresses[i]!)}`, 1);
  perNodeFamily(w, g, labels, F.requestsSent, Seen.requestsSent);
  perNodeFamily(w, g, labels, F.repliesReceived, Seen.repliesReceived);
  w.family(F.attempts);
  perNodeAttempts(w, g, labels, F.attempts.name);
  w.family(F.accepted);
  const accepted = outcomeOffset('accepted');
  for (let i = 0; i < g.slots.length; i++)
    w.sample(F.accepted.name, labels[i]!, g.outcomes[g.slots[i]! * OUTCOMES + accepted]!);
  w.family(F.failures);
  perNodeOutcome(w, g, labels, F.failures.name, FAILURE_OUTCOMES, accepted + 1);
  w.family(F.denials);
  perNodeByCode(w, g, labels, F.denials.name, alertCodes);

  const rt = F.roundTrip.name;
  w.family(F.roundTrip);
  const les = ROUND_TRIP_BUCKETS.map((b) => `,${label('le', formatValue(b))}`);
  for (let i = 0; i < g.slots.length; i++) {
    const b = g.slots[i]! * g.width;
    let cumulative = 0;
    for (let k = 0; k < ROUND_TRIP_BUCKETS.length; k++) {
      cumulative += g.counters[b + Seen.roundTripBuckets + k]!;
      w.sample(`${rt}_bucket`, labels[i]! + les[k]!, cumulative);
    }
    const count = g.counters[b + Seen.roundTripCount]!;
    w.sample(`${rt}_bucket`, `${labels[i]!},le="+Inf"`, count);
    w.sample(`${rt}_sum`, labels[i]!, g.counters[b + Seen.roundTripSum]!);
    w.sample(`${rt}_count`, labels[i]!, count);
  }

  w.family(F.lastReply);
  for (let i = 0; i < g.slots.length; i++) {
    const at = g.counters[g.slots[i]! * g.width + Seen.lastReplyAt]!;
    if (at > 0) w.sample(F.lastReply.name, labels[i]!, at / 1000);
  }
  renderLink(w, g, labels, F);
}

/**
 * Advertisements to the link and the restarts they showed (observed sites only): the families once
 * an agent sent one, a series for each such agent (its restarts at 0 before the first). A proxied
 * site, whose access points count what they receive, keeps its exposition.
 */
function renderLink(
  w: ExpositionWriter,
  g: SeenAgentsSnapshot,
  labels: string[],
  F: AgentsSeenFamilies,
): void {
  const advertising: number[] = [];
  for (let i = 0; i < g.slots.length; i++) {
    const b = g.slots[i]! * g.width;
    if (g.counters[b + Seen.linkAdvertisements]! > 0 || g.counters[b + Seen.linkRebootsDetected]! > 0)
      advertising.push(i);
  }
  if (advertising.length === 0) return;
  for (const [d, column] of [
    [F.linkAdvertisements, Seen.linkAdvertisements],
    [F.linkRebootsDetected, Seen.linkRebootsDetected],
  ] as const) {
    w.family(d);
    for (const i of advertising) w.sample(d.name, labels[i]!, g.counters[g.slots[i]! * g.width + column]!);
  }
}
