/**
 * Home agents and foreign agents as the access points see them: the figures a real site has
 * about agents it does not host (attempts, outcomes, denials by code, round trip, last reply),
 * summed over every access point. Label values are the configured names, else the addresses;
 * `pmip_home_agent_info` maps one to the other.
 */
import { ROUND_TRIP_BUCKETS } from '../../collector/round-trip.ts';
import { OUTCOMES, Seen, outcomeOffset } from '../../collector/counters.ts';
import type { CollectorSnapshot, SeenAgentsSnapshot } from '../../collector/snapshot.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { formatValue, label } from '../serializer.ts';
import {
  FOREIGN_AGENT_ALERT_CODES,
  HOME_AGENT_ALERT_CODES,
  codeLabels,
  codesToShow,
  nodeLabels,
  perNode,
  perNodeAttempts,
  perNodeBy,
  perNodeOutcome,
} from './common.ts';
import { FAILURE_OUTCOMES } from './mobile-node.ts';

interface Side {
  prefix: 'pmip_home_agent' | 'pmip_foreign_agent';
  labelName: 'home_agent' | 'foreign_agent';
  words: string;
  alertCodes: readonly number[];
}

const HOME: Side = {
  prefix: 'pmip_home_agent',
  labelName: 'home_agent',
  words: 'home agent',
  alertCodes: HOME_AGENT_ALERT_CODES,
};
const FOREIGN: Side = {
  prefix: 'pmip_foreign_agent',
  labelName: 'foreign_agent',
  words: 'foreign agent',
  alertCodes: FOREIGN_AGENT_ALERT_CODES,
};

export function renderHomeAgentsSeen(w: ExpositionWriter, s: CollectorSnapshot): void {
  renderSide(w, s.homeAgentsSeen, HOME);
  renderProbes(w, s.homeAgentsSeen);
  w.family(
    'pmip_time_sync_offset_seconds',
    'gauge',
    "Last time-sync offset an access point learnt for a home agent: the home agent's clock minus the access point's, seconds (0 in nonce mode); absent before the first sync (vendor MIB, follows mnRegRequestsDeniedByHADueToID).",
  );
  for (const o of s.timeOffsets)
    w.sample(
      'pmip_time_sync_offset_seconds',
      `${label('access_point', o.accessPoint)},${label('home_agent', o.homeAgent)}`,
      o.offsetSeconds,
    );
}

function renderProbes(w: ExpositionWriter, g: SeenAgentsSnapshot): void {
  w.family(
    'pmip_home_agent_probes_total',
    'counter',
    'Reachability probes from authoritative access points towards the home agent (a deliberately invalid registration to its subnet), by outcome (vendor MIB).',
  );
  perNodeBy(
    w,
    g,
    nodeLabels(g, 'home_agent'),
    'pmip_home_agent_probes_total',
    'outcome',
    ['sent', 'answered', 'timed-out'],
    Seen.probesSent,
  );
}

export function renderForeignAgentsSeen(w: ExpositionWriter, s: CollectorSnapshot): void {
  renderSide(w, s.foreignAgentsSeen, FOREIGN);
}

function renderSide(w: ExpositionWriter, g: SeenAgentsSnapshot, side: Side): void {
  const { prefix, labelName, words } = side;
  const labels = nodeLabels(g, labelName);
  const name = (suffix: string) => `${prefix}_${suffix}`;

  w.family(name('info'), 'gauge', `The address of each ${words} label value; always 1.`);
  for (let i = 0; i < g.slots.length; i++)
    w.sample(name('info'), `${labels[i]!},${label('address', g.addresses[i]!)}`, 1);

  w.family(
    name('registration_requests_sent_total'),
    'counter',
    `Registration requests the access points sent for the ${words}, every transmission (MIB: mnRegRequestsSent, per ${words}).`,
  );
  perNode(w, g, labels, name('registration_requests_sent_total'), Seen.requestsSent);
  w.family(
    name('registration_replies_received_total'),
    'counter',
    `Replies the access points received and processed for attempts to the ${words} (MIB: mnRegRepliesRecieved, per ${words}).`,
  );
  perNode(w, g, labels, name('registration_replies_received_total'), Seen.repliesReceived);
  w.family(
    name('registration_attempts_total'),
    'counter',
    `Registration attempts to the ${words} concluded by the access points, every outcome.`,
  );
  perNodeAttempts(w, g, labels, name('registration_attempts_total'));
  w.family(
    name('registrations_accepted_total'),
    'counter',
    `Attempts to the ${words} accepted (MIB: mnRegRequestsAccepted, per ${words}).`,
  );
  const accepted = outcomeOffset('accepted');
  for (let i = 0; i < g.slots.length; i++)
    w.sample(
      name('registrations_accepted_total'),
      labels[i]!,
      g.outcomes[g.slots[i]! * OUTCOMES + accepted]!,
    );
  w.family(
    name('registration_failures_total'),
    'counter',
    `Attempts to the ${words} that failed, by outcome (denied, timeout, unauthenticated, discarded).`,
  );
  perNodeOutcome(w, g, labels, name('registration_failures_total'), FAILURE_OUTCOMES, accepted + 1);

  w.family(
    name('registration_denials_total'),
    'counter',
    `Verified denials of attempts to the ${words}, by reply code (the issuer follows from the code: 64-127 foreign agent, 128-191 home agent; MIB: mnRegRequestsDeniedByHA, mnRegRequestsDeniedByFA, per ${words}).`,
  );
  const codes = codesToShow(
    side.alertCodes,
    g.slots.map((s) => g.codes[s]),
  );
  const codeText = codes.map((c) => `,${codeLabels(c)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const row = g.codes[g.slots[i]!];
    for (let k = 0; k < codes.length; k++)
      w.sample(name('registration_denials_total'), labels[i]! + codeText[k]!, row?.[codes[k]!] ?? 0);
  }

  const rt = name('registration_round_trip_seconds');
  w.family(rt, 'histogram', `Time from a request to the ${words} to its reply, seconds.`);
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

  w.family(
    name('last_reply_timestamp_seconds'),
    'gauge',
    `When an access point last received a reply from the ${words} (verified or not), Unix seconds; absent before the first.`,
  );
  for (let i = 0; i < g.slots.length; i++) {
    const at = g.counters[g.slots[i]! * g.width + Seen.lastReplyAt]!;
    if (at > 0) w.sample(name('last_reply_timestamp_seconds'), labels[i]!, at / 1000);
  }
}
