/**
 * The statistics document behind GET /api/v1/statistics and the Statistics page: a stable JSON
 * shape (docs/api.md) computed from one collector snapshot. Top-level mobile-node numbers are the
 * totals over all access points; `accessPoints` holds the same shape per access point.
 */
import { Fa, Ha, Mn, REPLY_DISCARD_REASONS, SECURITY_VIOLATION_REASONS } from '../collector/counters.ts';
import type { ClientState } from '../pmip/events.ts';
import type { AapStatus } from '../collector/aaps.ts';
import type { CollectorSnapshot, NodeGroupSnapshot } from '../collector/snapshot.ts';

export const STATISTICS_VERSION = 1;

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
    timeouts: number;
    discarded: Record<string, number>;
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
  repliesDropped: { noPendingRequest: number; poorlyFormed: number };
  advertisementsSent: number;
  visitors: { current: number; added: number; removed: number };
  securityViolations: Record<string, number>;
}

export interface StatisticsDocument extends MobileNodeStatistics {
  version: number;
  generatedAt: string;
  accessPoints: Record<string, MobileNodeStatistics>;
  homeAgents: Record<string, HomeAgentStatistics>;
  foreignAgents: Record<string, ForeignAgentStatistics>;
  mobileClientsByState: Record<ClientState, number>;
  roundTrip: { count: number; sumSeconds: number; buckets: Array<{ le: number | '+Inf'; count: number }> };
  subnetMap: { lastReportedRows: number | null; updates: Record<string, number> };
  aap: {
    failovers: number;
    pushRetries: number;
    handovers: number;
    reconciliations: number;
    reconciledRows: number;
    refused: Record<string, number>;
    status: AapStatus[];
  };
  malformedDatagrams: Array<{ nodeKind: string; socket: string; errorKind: string; count: number }>;
  exporter: CollectorSnapshot['self'];
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

function mobileNode(
  read: Reader,
  codes: ReadonlyArray<Float64Array | undefined>,
  clients: number,
): MobileNodeStatistics {
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
      timeouts: read(Mn.timeouts),
      discarded: named(REPLY_DISCARD_REASONS, read, Mn.discarded),
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
  );
  let cumulative = 0;
  return {
    version: STATISTICS_VERSION,
    generatedAt: new Date(s.time).toISOString(),
    ...totals,
    accessPoints: Object.fromEntries(
      ap.ids.map((id, i) => {
        const slot = ap.slots[i]!;
        return [id, mobileNode(slotReader(ap, slot), [ap.codes[slot]], ap.clients[slot]!)];
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
    exporter: { ...s.self },
  };
}
