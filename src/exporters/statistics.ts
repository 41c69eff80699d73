/**
 * The statistics document behind GET /api/v1/statistics and the Statistics page: a stable JSON
 * shape (docs/api.md) computed from one collector snapshot. Top-level mobile-node numbers are the
 * totals over all access points; `accessPoints` holds the same shape per access point.
 */
import {
  Fa,
  Ha,
  Mn,
  OUTCOMES,
  REGISTRATION_OUTCOME_KINDS,
  REPLY_DISCARD_REASONS,
  SECURITY_VIOLATION_REASONS,
  Seen,
} from '../collector/counters.ts';
import type { ClientState, RegistrationOutcomeKind } from '../collector/vocabulary.ts';
import type { InfluxdbStatistics } from './influx/status.ts';
import { ROUND_TRIP_BUCKETS } from '../collector/round-trip.ts';
import type {
  CollectorSnapshot,
  NodeGroupSnapshot,
  SeenAgentsSnapshot,
  TimeOffsetView,
} from '../collector/snapshot.ts';

export const STATISTICS_VERSION = 2;

export type OutcomeCounts = Record<RegistrationOutcomeKind, number>;

/** A home or foreign agent as the access points see it (docs/api.md, homeAgentsSeen). */
export interface AgentSeenStatistics {
  /** The configured name, else the address. */
  name: string;
  attempts: number;
  accepted: number;
  denied: number;
  deniedByCode: Record<string, number>;
  timeouts: number;
  unauthenticated: number;
  /** Codes claimed by replies that failed authentication (not verified); home agents only. */
  unauthenticatedByClaimedCode: Record<string, number>;
  discarded: number;
  /** accepted / attempts; null before the first concluded attempt. */
  acceptanceRatio: number | null;
  requestsSent: number;
  repliesReceived: number;
  /** ISO time of the last reply (verified or not); null before one. */
  lastReplyAt: string | null;
  /** Estimated from the round-trip histogram (as Prometheus' histogram_quantile); null before a reply. */
  roundTripSeconds: { p50: number | null; p90: number | null };
  /** AAP reachability probes towards the agent (home agents only; 0 for foreign agents). */
  probes: { sent: number; answered: number; timedOut: number };
  /**
   * Observed sites: its agent advertisements to the link (broadcast or multicast; unicast ones are in
   * the receiving access point's `discovery`) and the restarts they showed. 0 on a proxied site.
   */
  link: { advertisements: number; rebootsDetected: number };
}

export interface MobileNodeStatistics {
  registrations: {
    sent: { initial: number; renewal: number; deregistration: number };
    retransmissions: number;
    sentToBroadcast: number;
    repliesReceived: number;
    accepted: number;
    deniedByHomeAgent: number;
    deniedByForeignAgent: number;
    deniedOther: number;
    /** Reply code (as a string key) -> denials; only codes seen. */
    deniedByCode: Record<string, number>;
    /** Attempts that ended with no reply after the last retransmission (the outcome timeout). */
    timeouts: number;
    /** Replies discarded (not attempts), by reason. */
    discarded: Record<string, number>;
    /** Concluded attempts: each ended in exactly one outcome. */
    attempts: number;
    outcomes: OutcomeCounts;
    /** accepted outcomes / attempts; null before the first. */
    acceptanceRatio: number | null;
  };
  timeSync: { resyncs: number };
  moves: { homeToForeign: number; foreignToForeign: number; foreignToHome: number };
  securityViolations: Record<string, number>;
  discovery: { solicitationsSent: number; advertisementsReceived: number; agentRebootsDetected: number };
  arpsSent: { gratuitous: number; proxy: number };
  mobileClients: number;
}

export interface HomeAgentStatistics {
  requestsReceived: { initial: number; renewal: number; deregistration: number };
  repliesSent: number;
  accepted: number;
  denied: number;
  deniedByCode: Record<string, number>;
  arpsSent: { gratuitous: number; proxy: number };
  advertisementsSent: number;
  bindings: { current: number; created: number; renewed: number; removed: number; expired: number };
  probes: { sent: number; answered: number; timedOut: number };
  timeSync: { syncs: number; lastOffsetSeconds: number | null };
  securityViolations: Record<string, number>;
}

export interface ForeignAgentStatistics {
  requestsReceived: { initial: number; renewal: number; deregistration: number };
  requestsRelayed: number;
  repliesRelayed: number;
  repliesSent: number;
  denied: number;
  deniedByCode: Record<string, number>;
  repliesDropped: { noPendingRequest: number; poorlyFormed: number; unexpectedSource: number };
  advertisementsSent: number;
  visitors: { current: number; added: number; removed: number };
  securityViolations: Record<string, number>;
}

export interface StatisticsDocument extends MobileNodeStatistics {
  version: number;
  generatedAt: string;
  /** `observed`: figures from traffic seen on the wire (`pmip-exporter observe`), not from proxying. */
  mode: 'proxied' | 'observed';
  /** Observed sites only: the observer's account of the capture (docs/observe.md). */
  observation?: unknown;
  accessPoints: Record<string, MobileNodeStatistics>;
  /** Hosted home agents' own counters (empty when this process hosts none). */
  homeAgents: Record<string, HomeAgentStatistics>;
  foreignAgents: Record<string, ForeignAgentStatistics>;
  /** Home agents as the access points see them, keyed by address. */
  homeAgentsSeen: Record<string, AgentSeenStatistics>;
  foreignAgentsSeen: Record<string, AgentSeenStatistics>;
  /** Time-sync offsets per access point and home agent. */
  timeOffsets: Array<Omit<TimeOffsetView, 'at'> & { at: string }>;
  /** Attempts that ended discarded, by reason. */
  discardedAttempts: Record<string, number>;
  mobileClientsByState: Record<ClientState, number>;
  roundTrip: { count: number; sumSeconds: number; buckets: Array<{ le: number | '+Inf'; count: number }> };
  /** Rows last reported by an event and updates by source (not the snapshot's current count). */
  subnetMap: Pick<CollectorSnapshot['subnetMap'], 'lastReportedRows' | 'updates'>;
  aap: CollectorSnapshot['aap'];
  malformedDatagrams: CollectorSnapshot['malformed'];
  /** Datagrams decoded only leniently (extension 47 in the short form), by node kind. */
  lenientDecodes: CollectorSnapshot['lenientDecodes'];
  /** How the access points authenticate to each home agent; empty unless proxy mode is used. */
  homeAgentAuthentication: CollectorSnapshot['homeAgentAuthentication'];
  exporter: CollectorSnapshot['self'];
  /** The InfluxDB writer (docs/influxdb.md), when `exporters.influxdb` is configured. */
  influxdb?: InfluxdbStatistics;
}

type Reader = (column: number) => number;

function slotReader(g: NodeGroupSnapshot, slot: number): Reader {
  return (c) => g.counters[slot * g.width + c]!;
}

function totalReader(g: NodeGroupSnapshot): Reader {
  return (c) => {
    let t = 0;
    for (const s of g.slots) t += g.counters[s * g.width + c]!;
    return t;
  };
}

function byCode(rows: ReadonlyArray<Float64Array | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) {
    if (row === undefined) continue;
    for (let code = 0; code < 256; code++) if (row[code]! > 0) out[code] = (out[code] ?? 0) + row[code]!;
  }
  return out;
}

function named(names: readonly string[], read: Reader, first: number): Record<string, number> {
  return Object.fromEntries(names.map((n, i) => [n, read(first + i)]));
}

function kinds(read: Reader, first: number): { initial: number; renewal: number; deregistration: number } {
  return { initial: read(first), renewal: read(first + 1), deregistration: read(first + 2) };
}

function outcomeCounts(g: NodeGroupSnapshot, slots: readonly number[]): OutcomeCounts {
  const out = Object.fromEntries(REGISTRATION_OUTCOME_KINDS.map((k) => [k, 0])) as OutcomeCounts;
  for (const s of slots)
    REGISTRATION_OUTCOME_KINDS.forEach((k, i) => {
      out[k] += g.outcomes[s * OUTCOMES + i]!;
    });
  return out;
}

function attemptsOf(o: OutcomeCounts): number {
  let t = 0;
  for (const k of REGISTRATION_OUTCOME_KINDS) t += o[k];
  return t;
}

/** A quantile from non-cumulative bucket counts, interpolated linearly inside the bucket. */
export function histogramQuantile(
  q: number,
  bounds: readonly number[],
  counts: ArrayLike<number>,
): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (seen + c >= rank && c > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1]!; // above the last bound: its bound, as Prometheus
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (bounds[i]! - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return bounds[bounds.length - 1]!;
}

function agentsSeen(g: SeenAgentsSnapshot): Record<string, AgentSeenStatistics> {
  const out: Record<string, AgentSeenStatistics> = {};
  g.ids.forEach((name, i) => {
    const slot = g.slots[i]!;
    const read = slotReader(g, slot);
    const o = outcomeCounts(g, [slot]);
    const attempts = attemptsOf(o);
    const buckets = Array.from({ length: ROUND_TRIP_BUCKETS.length + 1 }, (_, k) =>
      read(Seen.roundTripBuckets + k),
    );
    const last = read(Seen.lastReplyAt);
    const round = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e6);
    out[g.addresses[i]!] = {
      name,
      attempts,
      accepted: o.accepted,
      denied: o.denied,
      deniedByCode: byCode([g.codes[slot]]),
      timeouts: o.timeout,
      unauthenticated: o.unauthenticated,
      unauthenticatedByClaimedCode: byCode([g.claimedCodes[slot]]),
      discarded: o.discarded,
      acceptanceRatio: attempts > 0 ? o.accepted / attempts : null,
      requestsSent: read(Seen.requestsSent),
      repliesReceived: read(Seen.repliesReceived),
      lastReplyAt: last > 0 ? new Date(last).toISOString() : null,
      roundTripSeconds: {
        p50: round(histogramQuantile(0.5, ROUND_TRIP_BUCKETS, buckets)),
        p90: round(histogramQuantile(0.9, ROUND_TRIP_BUCKETS, buckets)),
      },
      probes: {
        sent: read(Seen.probesSent),
        answered: read(Seen.probesAnswered),
        timedOut: read(Seen.probesTimedOut),
      },
      link: {
        advertisements: read(Seen.linkAdvertisements),
        rebootsDetected: read(Seen.linkRebootsDetected),
      },
    };
  });
  return out;
}

function mobileNode(
  read: Reader,
  codes: ReadonlyArray<Float64Array | undefined>,
  clients: number,
  outcomes: OutcomeCounts,
): MobileNodeStatistics {
  const attempts = attemptsOf(outcomes);
  return {
    registrations: {
      sent: kinds(read, Mn.requestsSent),
      retransmissions: read(Mn.retransmissions),
      sentToBroadcast: read(Mn.requestsToBroadcast),
      repliesReceived: read(Mn.repliesReceived),
      accepted: read(Mn.accepted),
      deniedByHomeAgent: read(Mn.deniedByHomeAgent),
      deniedByForeignAgent: read(Mn.deniedByForeignAgent),
      deniedOther: read(Mn.deniedOther),
      deniedByCode: byCode(codes),
      timeouts: outcomes.timeout,
      discarded: named(REPLY_DISCARD_REASONS, read, Mn.discarded),
      attempts,
      outcomes,
      acceptanceRatio: attempts > 0 ? outcomes.accepted / attempts : null,
    },
    timeSync: { resyncs: read(Mn.timeSyncs) },
    moves: {
      homeToForeign: read(Mn.movesHomeToForeign),
      foreignToForeign: read(Mn.movesForeignToForeign),
      foreignToHome: read(Mn.movesForeignToHome),
    },
    securityViolations: named(SECURITY_VIOLATION_REASONS, read, Mn.securityViolations),
    discovery: {
      solicitationsSent: read(Mn.solicitationsSent),
      advertisementsReceived: read(Mn.advertisementsReceived),
      agentRebootsDetected: read(Mn.agentRebootsDetected),
    },
    arpsSent: { gratuitous: read(Mn.gratuitousArpsSent), proxy: read(Mn.proxyArpsSent) },
    mobileClients: clients,
  };
}

function homeAgent(
  read: Reader,
  codes: Float64Array | undefined,
  bindings: number,
  offset: number,
): HomeAgentStatistics {
  return {
    requestsReceived: kinds(read, Ha.requestsReceived),
    repliesSent: read(Ha.repliesSent),
    accepted: read(Ha.accepted),
    denied: read(Ha.denied),
    deniedByCode: byCode([codes]),
    arpsSent: { gratuitous: read(Ha.gratuitousArpsSent), proxy: read(Ha.proxyArpsSent) },
    advertisementsSent: read(Ha.advertisementsSent),
    bindings: {
      current: bindings,
      created: read(Ha.bindingsCreated),
      renewed: read(Ha.bindingsRenewed),
      removed: read(Ha.bindingsRemoved),
      expired: read(Ha.bindingsExpired),
    },
    probes: {
      sent: read(Ha.probesSent),
      answered: read(Ha.probesAnswered),
      timedOut: read(Ha.probesTimedOut),
    },
    timeSync: { syncs: read(Ha.timeSyncs), lastOffsetSeconds: Number.isNaN(offset) ? null : offset },
    securityViolations: named(SECURITY_VIOLATION_REASONS, read, Ha.securityViolations),
  };
}

function foreignAgent(
  read: Reader,
  codes: Float64Array | undefined,
  visitors: number,
): ForeignAgentStatistics {
  return {
    requestsReceived: kinds(read, Fa.requestsReceived),
    requestsRelayed: read(Fa.requestsRelayed),
    repliesRelayed: read(Fa.repliesRelayed),
    repliesSent: read(Fa.repliesSent),
    denied: read(Fa.denied),
    deniedByCode: byCode([codes]),
    repliesDropped: {
      noPendingRequest: read(Fa.repliesDroppedNoPendingRequest),
      poorlyFormed: read(Fa.repliesDroppedPoorlyFormed),
      unexpectedSource: read(Fa.repliesDroppedUnexpectedSource),
    },
    advertisementsSent: read(Fa.advertisementsSent),
    visitors: { current: visitors, added: read(Fa.visitorsAdded), removed: read(Fa.visitorsRemoved) },
    securityViolations: named(SECURITY_VIOLATION_REASONS, read, Fa.securityViolations),
  };
}

export function statisticsDocument(s: CollectorSnapshot): StatisticsDocument {
  const ap = s.accessPoints;
  const ha = s.homeAgents;
  const fa = s.foreignAgents;
  let clientTotal = 0;
  for (const slot of ap.slots) clientTotal += ap.clients[slot]!;
  const totals = mobileNode(
    totalReader(ap),
    ap.slots.map((slot) => ap.codes[slot]),
    clientTotal,
    outcomeCounts(ap, ap.slots),
  );
  let cumulative = 0;
  return {
    version: STATISTICS_VERSION,
    generatedAt: new Date(s.time).toISOString(),
    mode: s.mode,
    ...(s.observation !== undefined ? { observation: s.observation } : {}),
    ...totals,
    accessPoints: Object.fromEntries(
      ap.ids.map((id, i) => {
        const slot = ap.slots[i]!;
        return [
          id,
          mobileNode(slotReader(ap, slot), [ap.codes[slot]], ap.clients[slot]!, outcomeCounts(ap, [slot])),
        ];
      }),
    ),
    homeAgents: Object.fromEntries(
      ha.ids.map((id, i) => {
        const slot = ha.slots[i]!;
        return [
          id,
          homeAgent(slotReader(ha, slot), ha.codes[slot], ha.bindings[slot]!, ha.timeSyncOffsets[slot]!),
        ];
      }),
    ),
    foreignAgents: Object.fromEntries(
      fa.ids.map((id, i) => {
        const slot = fa.slots[i]!;
        return [id, foreignAgent(slotReader(fa, slot), fa.codes[slot], fa.visitors[slot]!)];
      }),
    ),
    homeAgentsSeen: agentsSeen(s.homeAgentsSeen),
    foreignAgentsSeen: agentsSeen(s.foreignAgentsSeen),
    timeOffsets: s.timeOffsets.map((o) => ({ ...o, at: new Date(o.at).toISOString() })),
    discardedAttempts: { ...s.attemptDiscards },
    mobileClientsByState: { ...s.clientsByState },
    roundTrip: {
      count: s.roundTrip.count,
      sumSeconds: s.roundTrip.sum,
      buckets: [
        ...s.roundTrip.bounds.map((le, i) => {
          cumulative += s.roundTrip.counts[i]!;
          return { le: le as number | '+Inf', count: cumulative };
        }),
        { le: '+Inf', count: s.roundTrip.count },
      ],
    },
    subnetMap: { lastReportedRows: s.subnetMap.lastReportedRows, updates: { ...s.subnetMap.updates } },
    aap: { ...s.aap, refused: { ...s.aap.refused }, status: s.aap.status },
    malformedDatagrams: s.malformed,
    lenientDecodes: s.lenientDecodes,
    homeAgentAuthentication: s.homeAgentAuthentication,
    exporter: { ...s.self },
  };
}
