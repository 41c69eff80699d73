/**
 * What the collector hands to its views at one instant: copies of the counters and gauges, so a
 * view can take its time (or await) without seeing a half-updated state. Per-client rows are not
 * in it (the tables have their own readers); the counters' layouts are in counters.ts.
 */
import type { ClientState } from '../pmip/events.ts';
import type { AapStatus } from './aaps.ts';
import type { RadiusSnapshot } from './radius.ts';
import { OUTCOMES } from './counters.ts';
import type { RoundTripSnapshot } from './round-trip.ts';

export interface NodeGroupSnapshot {
  /** Label values in display order (configured, admitted, then `other` once used). */
  ids: string[];
  /** Store slot of each id, parallel to `ids`. */
  slots: number[];
  /** Counters, `width` per slot (layout: Mn, Ha or Fa in counters.ts). */
  width: number;
  counters: Float64Array;
  /** Denials per reply code (0-255) per slot; undefined for a node with none yet. */
  codes: ReadonlyArray<Float64Array | undefined>;
  /** Concluded attempts per slot and outcome: `outcomes[slot * OUTCOMES + outcomeOffset(kind)]`. */
  outcomes: Float64Array;
}

/**
 * Home or foreign agents as the access points see them (layout `Seen` in counters.ts): only the
 * agents the access points sent to. `codes` are the denials of attempts to the agent (whoever
 * issued them); `claimedCodes` (home agents) the codes claimed by replies that failed authentication.
 */
export interface SeenAgentsSnapshot extends NodeGroupSnapshot {
  /** The agent's address, parallel to `ids` (ids are the configured names, else the address). */
  addresses: string[];
  claimedCodes: ReadonlyArray<Float64Array | undefined>;
}

/** A time-sync offset learnt by one access point for one home agent. */
export interface TimeOffsetView {
  accessPoint: string;
  /** The home agent's name (label value). */
  homeAgent: string;
  homeAgentAddress: string;
  mode: string;
  /** The home agent's clock minus the access point's, seconds (0 in nonce mode). */
  offsetSeconds: number;
  /** ms since epoch. */
  at: number;
}

export interface AccessPointsSnapshot extends NodeGroupSnapshot {
  /** Tracked mobile clients per slot. */
  clients: Int32Array;
  /** Tracked clients per slot and state: `clientsByState[slot * CLIENT_STATES.length + stateIndex]`. */
  clientsByState: Int32Array;
}

export interface HomeAgentsSnapshot extends NodeGroupSnapshot {
  bindings: Int32Array;
  /** Last time-sync offset (home agent clock minus ours, seconds) per slot; NaN before the first. */
  timeSyncOffsets: Float64Array;
}

export interface ForeignAgentsSnapshot extends NodeGroupSnapshot {
  visitors: Int32Array;
}

export interface MalformedCount {
  nodeKind: string;
  socket: string;
  errorKind: string;
  count: number;
}

export interface CollectorSnapshot {
  /** ms since epoch, from the collector's clock. */
  time: number;
  /** `observed`: the events come from traffic seen on the wire, not from hosted access points. */
  mode: 'proxied' | 'observed';
  /** Observed sites: the observer's own account of the capture (ObservationStatistics). */
  observation?: unknown;
  accessPoints: AccessPointsSnapshot;
  homeAgents: HomeAgentsSnapshot;
  foreignAgents: ForeignAgentsSnapshot;
  homeAgentsSeen: SeenAgentsSnapshot;
  foreignAgentsSeen: SeenAgentsSnapshot;
  timeOffsets: TimeOffsetView[];
  /** Attempts that ended `discarded`, by reason (ATTEMPT_DISCARD_REASONS). */
  attemptDiscards: Record<string, number>;
  /** Denials per reply code in replies received by access points, site-wide (index = code). */
  denialsByCode: Float64Array;
  clientsByState: Record<ClientState, number>;
  roundTrip: RoundTripSnapshot;
  malformed: MalformedCount[];
  /** How the access points authenticate to each home agent (empty unless proxy mode is used). */
  homeAgentAuthentication: Array<{ homeAgent: string; mode: 'per-node' | 'mobile-home' }>;
  /** Datagrams decoded only leniently (lenient-decode events), by node kind and what. */
  lenientDecodes: Array<{ nodeKind: string; what: string; count: number }>;
  subnetMap: {
    /** Rows reported by the latest subnet-map-updated event, null before one. */
    lastReportedRows: number | null;
    /**
     * Rows in the table at this instant: the injected subnet map view's count when there is a view,
     * else `lastReportedRows`. Null when neither knows, or when the view failed (`rowsFailed`).
     */
    rows: number | null;
    /** The injected subnet map view threw while this snapshot was taken (a view shows no row count). */
    rowsFailed: boolean;
    updates: Record<string, number>;
  };
  aap: {
    failovers: number;
    pushRetries: number;
    handovers: number;
    reconciliations: number;
    reconciledRows: number;
    refused: Record<string, number>;
    status: AapStatus[];
  };
  /** Present when RADIUS servers are configured (collector config `radiusServers`). */
  radius?: RadiusSnapshot;
  self: {
    eventsIngested: number;
    eventsDropped: number;
    eventsFolded: number;
    clientsTracked: number;
    clientsExpired: number;
    clientsUntracked: number;
  };
}

/** Sum of one counter column over every node of a group. */
export function columnTotal(g: NodeGroupSnapshot, column: number): number {
  let t = 0;
  for (const s of g.slots) t += g.counters[s * g.width + column]!;
  return t;
}

/** Concluded attempts of one node with one outcome column (outcomeOffset). */
export function outcomeOf(g: NodeGroupSnapshot, slot: number, offset: number): number {
  return g.outcomes[slot * OUTCOMES + offset]!;
}

/** Sum over every node of one outcome column. */
export function outcomeTotal(g: NodeGroupSnapshot, offset: number): number {
  let t = 0;
  for (const s of g.slots) t += g.outcomes[s * OUTCOMES + offset]!;
  return t;
}

/** One counter of one node. */
export function counterOf(g: NodeGroupSnapshot, slot: number, column: number): number {
  return g.counters[slot * g.width + column]!;
}
