/**
 * What the collector hands to its views at one instant: copies of the counters and gauges, so a
 * view can take its time (or await) without seeing a half-updated state. Per-client rows are not
 * in it (the tables have their own readers); the counters' layouts are in counters.ts.
 */
import type { ClientState } from '../pmip/events.ts';
import type { AapStatus } from './aaps.ts';
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
}

export interface AccessPointsSnapshot extends NodeGroupSnapshot {
  /** Tracked mobile clients per slot. */
  clients: Int32Array;
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
  accessPoints: AccessPointsSnapshot;
  homeAgents: HomeAgentsSnapshot;
  foreignAgents: ForeignAgentsSnapshot;
  /** Denials per reply code in replies received by access points, site-wide (index = code). */
  denialsByCode: Float64Array;
  clientsByState: Record<ClientState, number>;
  roundTrip: RoundTripSnapshot;
  malformed: MalformedCount[];
  subnetMap: {
    /** Rows reported by the latest subnet-map-updated event, null before one. */
    lastReportedRows: number | null;
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

/** One counter of one node. */
export function counterOf(g: NodeGroupSnapshot, slot: number, column: number): number {
  return g.counters[slot * g.width + column]!;
}
