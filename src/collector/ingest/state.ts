/**
 * Everything the collector's ingest writes: the counter groups, the live tables, the site-wide
 * tallies and the history rings. The ingest handlers (one file per event family) and the
 * collector's readers share this one object; nothing else holds statistics.
 */
import {
  AAP_REFUSAL_REASONS,
  ATTEMPT_DISCARD_REASONS,
  SUBNET_MAP_UPDATE_SOURCES,
  type AapRefusalReason,
  type NodeKind,
  type SubnetMapUpdateSource,
} from '../../pmip/events.ts';
import { AapTable } from '../aaps.ts';
import { AgentEntryTable } from '../agent-tables.ts';
import { ClientTable } from '../clients.ts';
import { NodeRegistry } from '../config.ts';
import type { CollectorConfig } from '../config.ts';
import { Fa, Ha, Mn, Seen, add, zeros } from '../counters.ts';
import { CounterHistory } from '../history.ts';
import { NodeGroup } from '../node-group.ts';
import { RadiusStatistics } from '../radius.ts';
import { RecentRestarts } from '../restarts.ts';
import { RoundTripHistogram } from '../round-trip.ts';
import type { CollectorSnapshot, MalformedCount } from '../snapshot.ts';

const MAX_MALFORMED_KINDS = 64;
const FINE_STEP_MS = 10_000;
const FINE_SLOTS = 32; // 5 min 20 s: the fallback window and a little more
const COARSE_STEP_MS = 60_000;
const COARSE_SLOTS = 61; // an hour of one-minute points

export class IngestState {
  readonly clock: () => number;
  readonly ap: NodeGroup;
  readonly ha: NodeGroup;
  readonly fa: NodeGroup;
  /** Home and foreign agents as the access points see them (same registries as ha and fa: one name per agent). */
  readonly haSeen: NodeGroup;
  readonly faSeen: NodeGroup;
  readonly aapRegistry: NodeRegistry;
  readonly aapTable: AapTable;
  readonly clientTable: ClientTable;
  readonly bindingTable: AgentEntryTable;
  readonly visitorTable: AgentEntryTable;
  /** Last time-sync offset per home agent slot; NaN before the first. */
  readonly timeSyncOffsets: Float64Array;
  /** Unauthenticated replies' claimed codes, per home agent seen. */
  readonly claimedCodes: Array<Float64Array | undefined>;
  /** Last time-sync offset per (access point, home agent): key apSlot * haCapacity + haSlot. */
  readonly offsets = new Map<number, { offset: number; at: number; mode: string }>();
  readonly attemptDiscards = new Float64Array(ATTEMPT_DISCARD_REASONS.length);
  readonly fine = new CounterHistory(FINE_STEP_MS, FINE_SLOTS);
  readonly coarse = new CounterHistory(COARSE_STEP_MS, COARSE_SLOTS);
  readonly denialsByCode = new Float64Array(256);
  readonly roundTrip = new RoundTripHistogram();
  readonly malformed = new Map<string, MalformedCount>();
  readonly lenient = new Map<string, { nodeKind: string; what: string; count: number }>();
  readonly subnetMapUpdates: Record<SubnetMapUpdateSource, number> = zeros(SUBNET_MAP_UPDATE_SOURCES);
  lastReportedRows: number | null = null;
  readonly aapCounts: Omit<CollectorSnapshot['aap'], 'refused' | 'status'> = {
    failovers: 0,
    pushRetries: 0,
    handovers: 0,
    reconciliations: 0,
    reconciledRows: 0,
  };
  readonly aapRefused: Record<AapRefusalReason, number> = zeros(AAP_REFUSAL_REASONS);
  readonly radius: RadiusStatistics | undefined;
  /** The agents' last restarts, for the health overview (bounded). */
  readonly restarts = new RecentRestarts();

  constructor(config: CollectorConfig, idleMs: number) {
    const extra = config.maxUnconfiguredNodes ?? 0;
    this.clock = config.clock ?? Date.now;
    this.radius = config.radiusServers ? new RadiusStatistics(config.radiusServers) : undefined;
    this.ap = new NodeGroup(new NodeRegistry(config.accessPoints, extra, 'accessPoints'), Mn.width);
    this.ha = new NodeGroup(
      new NodeRegistry(config.homeAgents ?? [], extra, 'homeAgents'),
      Ha.width,
      Ha.ownColumns,
    );
    this.fa = new NodeGroup(new NodeRegistry(config.foreignAgents ?? [], extra, 'foreignAgents'), Fa.width);
    const aaps = config.aaps ?? [];
    this.aapRegistry = new NodeRegistry(aaps, extra, 'aaps');
    this.aapTable = new AapTable(this.aapRegistry, aaps.length);
    this.clientTable = new ClientTable(this.ap.registry.capacity, idleMs, config.maxClients ?? 200_000);
    this.bindingTable = new AgentEntryTable(this.ha.registry.capacity);
    this.visitorTable = new AgentEntryTable(this.fa.registry.capacity);
    this.timeSyncOffsets = new Float64Array(this.ha.registry.capacity).fill(NaN);
    this.haSeen = new NodeGroup(this.ha.registry, Seen.width);
    this.faSeen = new NodeGroup(this.fa.registry, Seen.width);
    this.claimedCodes = new Array<Float64Array | undefined>(this.ha.registry.capacity).fill(undefined);
    this.recordHistory(this.clock());
  }

  /** What the history rings copy: outcomes per access point, per agent seen, and the round trips. */
  readonly historyVector = (): Float64Array[] => [
    this.ap.outcomes,
    this.haSeen.outcomes,
    this.faSeen.outcomes,
    this.roundTrip.snapshot().counts,
  ];

  recordHistory(now: number): void {
    this.fine.maybeRecord(now, this.historyVector);
    this.coarse.maybeRecord(now, this.historyVector);
  }

  /** The agent-side group of a node kind; access points for anything else. */
  groupOf(kind: NodeKind): NodeGroup {
    return kind === 'home-agent' ? this.ha : kind === 'foreign-agent' ? this.fa : this.ap;
  }

  /**
   * A reply that reached an access point from an agent: counted, its time and round trip kept.
   * `bucket`: the round trip's bucket (`roundTrip.bucketOf`, the same bounds), -1 for none.
   */
  seenReply(g: NodeGroup, slot: number, time: number, roundTripSeconds: number, bucket: number): void {
    const b = slot * Seen.width;
    const c = g.counters;
    add(c, b + Seen.repliesReceived);
    latest(c, b + Seen.lastReplyAt, time);
    if (bucket < 0) return;
    add(c, b + Seen.roundTripBuckets + bucket);
    add(c, b + Seen.roundTripSum, roundTripSeconds);
    add(c, b + Seen.roundTripCount);
  }

  /** Malformed datagrams by node kind, socket and error kind; past 64 kinds, new ones count as `other`. */
  countMalformed(nodeKind: string, socket: string, errorKind: string): void {
    let key = `${nodeKind}\u0000${socket}\u0000${errorKind}`;
    let entry = this.malformed.get(key);
    if (entry === undefined) {
      if (this.malformed.size >= MAX_MALFORMED_KINDS) {
        errorKind = 'other';
        key = `${nodeKind}\u0000${socket}\u0000other`;
        entry = this.malformed.get(key);
      }
      if (entry === undefined) {
        entry = { nodeKind, socket, errorKind, count: 0 };
        this.malformed.set(key, entry);
      }
    }
    entry.count++;
  }
}

/** Keeps the later of a stored time and `time`. */
export function latest(a: Float64Array, i: number, time: number): void {
  if (time > a[i]!) a[i] = time;
}

/** A reply code as the collector stores it (per-code rows of 256). */
export function isReplyCode(code: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 255;
}
