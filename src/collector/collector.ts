/**
 * The collector: consumes PmipEvents and keeps the statistics every view reads. Ingest is plain
 * arithmetic on typed arrays indexed by a small integer per node; no metric library is called
 * here (views read the collector at scrape time). It knows no exporter.
 *
 * Client rows follow 'client-state' (the engine's full-row event, sent whenever anything about a
 * client changes), 'client-moved' and 'client-removed'. Counter events (requests, replies,
 * timeouts) never look a client up: a per-event lookup in a table of 50,000 clients costs more
 * than all the counting.
 */
import { RadiusStatistics } from './radius.ts';
import { ATTEMPT_DISCARD_REASONS } from '../pmip/events.ts';
import type { ClientState, PmipEvent, RegistrationOutcomeKind } from '../pmip/events.ts';
import type { SecurityAssociationDescription } from '../pmip/security/store.ts';
import type { SubnetMapRow } from '../pmip/subnet-map/table.ts';
import { replyCode } from '../pmip/wire/reply-codes.ts';
import { AapTable } from './aaps.ts';
import type { AapStatus } from './aaps.ts';
import { AgentEntryTable } from './agent-tables.ts';
import type { AgentEntryView } from './agent-tables.ts';
import { CLIENT_STATES, ClientTable } from './clients.ts';
import type { ClientView } from './clients.ts';
import { NodeRegistry } from './config.ts';
import type { CollectorConfig, CollectorViews } from './config.ts';
import {
  Fa,
  Ha,
  Mn,
  OUTCOMES,
  REGISTRATION_OUTCOME_KINDS,
  Seen,
  add,
  addCode,
  discardOffset,
  kindOffset,
  outcomeOffset,
  violationOffset,
} from './counters.ts';
import { HEALTH_RULES, judgeHealth } from './health.ts';
import type { NodeHealth } from './health.ts';
import { CounterHistory } from './history.ts';
import { ROUND_TRIP_BUCKETS, RoundTripHistogram } from './round-trip.ts';
import type {
  CollectorSnapshot,
  MalformedCount,
  NodeGroupSnapshot,
  SeenAgentsSnapshot,
  TimeOffsetView,
} from './snapshot.ts';

const MAX_MALFORMED_KINDS = 64;
const SUBNET_MAP_SOURCES = ['config', 'aap', 'reconciliation', 'discovery', 'clear'] as const;
const AAP_REFUSAL_REASONS = [
  'unauthenticated',
  'stale',
  'malformed',
  'unknown-peer',
  'wrong-receiver',
] as const;

/** One row of the subnet map as the pages show it. */
export interface SubnetMapView {
  homeAgent: string;
  mask: string;
  prefixLength: number;
  network: string;
  source: string;
  updatedAt: number;
  ageSeconds: number;
}

export interface ClientQuery {
  accessPoint?: string;
  state?: ClientState;
}

/** Health of every node, for the overview page and /api/v1/health. */
export interface HealthReport {
  time: number;
  rules: typeof HEALTH_RULES;
  accessPoints: Array<NodeHealthRow>;
  homeAgents: Array<NodeHealthRow>;
  foreignAgents: Array<NodeHealthRow>;
  /** Site-wide outcomes per minute over the last hour, oldest first. */
  outcomesPerMinute: Array<{ time: number; counts: Record<RegistrationOutcomeKind, number> }>;
  /** Site-wide round-trip distribution over the last hour (non-cumulative bucket counts). */
  roundTripLastHour: { bounds: readonly number[]; counts: number[] };
}

export interface NodeHealthRow extends NodeHealth {
  /** The label value (configured name, else the address or id). */
  name: string;
  /** Agents: the address; access points: the id. */
  address: string;
  /** ms since epoch of the last reply from this agent (agents only), null before one. */
  lastReplyAt: number | null;
}

const FINE_STEP_MS = 10_000;
const FINE_SLOTS = 32; // 5 min 20 s: the fallback window and a little more
const COARSE_STEP_MS = 60_000;
const COARSE_SLOTS = 61; // an hour of one-minute points

class NodeGroup {
  readonly counters: Float64Array;
  readonly codes: Array<Float64Array | undefined>;
  /** Concluded attempts per slot and outcome (OUTCOMES columns): the history copies these. */
  readonly outcomes: Float64Array;

  constructor(
    readonly registry: NodeRegistry,
    readonly width: number,
    /** Agent groups: columns below this are the agent's own (an unhosted agent with any is shown). */
    private readonly ownColumns = width,
  ) {
    this.counters = new Float64Array(registry.capacity * width);
    this.codes = new Array<Float64Array | undefined>(registry.capacity).fill(undefined);
    this.outcomes = new Float64Array(registry.capacity * OUTCOMES);
  }

  /** `hostedOnly`: agent-side groups show hosted agents and any other that reported agent-side counters. */
  snapshot(hostedOnly = false): NodeGroupSnapshot {
    let { ids, slots } = this.registry.labels();
    if (hostedOnly) {
      const keep = slots
        .map((s, i) => [s, i] as const)
        .filter(([s]) => this.registry.isHosted(s) || this.active(s));
      ids = keep.map(([, i]) => ids[i]!);
      slots = keep.map(([s]) => s);
    }
    return {
      ids,
      slots,
      width: this.width,
      counters: this.counters.slice(),
      codes: this.codes.map((c) => c?.slice()),
      outcomes: this.outcomes.slice(),
    };
  }

  name(slot: number): string {
    return this.registry.nameOf(slot);
  }

  private active(slot: number): boolean {
    for (let c = 0; c < this.ownColumns; c++) if (this.counters[slot * this.width + c] !== 0) return true;
    return false;
  }
}

export class Collector {
  private readonly clock: () => number;
  private readonly views: CollectorViews;
  private readonly ap: NodeGroup;
  private readonly ha: NodeGroup;
  private readonly fa: NodeGroup;
  private readonly aapRegistry: NodeRegistry;
  private readonly aapTable: AapTable;
  private readonly clientTable: ClientTable;
  private readonly bindingTable: AgentEntryTable;
  private readonly visitorTable: AgentEntryTable;
  private readonly timeSyncOffsets: Float64Array;
  /** Home and foreign agents as the access points see them (same registries as ha and fa: one name per agent). */
  private readonly haSeen: NodeGroup;
  private readonly faSeen: NodeGroup;
  /** Unauthenticated replies' claimed codes, per home agent seen. */
  private readonly claimedCodes: Array<Float64Array | undefined>;
  /** Last time-sync offset per (access point, home agent): key apSlot * haCapacity + haSlot. */
  private readonly offsets = new Map<number, { offset: number; at: number; mode: string }>();
  private readonly attemptDiscards = new Float64Array(ATTEMPT_DISCARD_REASONS.length);
  private readonly fine = new CounterHistory(FINE_STEP_MS, FINE_SLOTS);
  private readonly coarse = new CounterHistory(COARSE_STEP_MS, COARSE_SLOTS);
  private readonly denialsByCode = new Float64Array(256);
  private readonly roundTrip = new RoundTripHistogram();
  private readonly malformed = new Map<string, MalformedCount>();
  private readonly homeAgentAuthentication: CollectorSnapshot['homeAgentAuthentication'];
  private readonly lenient = new Map<string, { nodeKind: string; what: string; count: number }>();
  private readonly subnetMapUpdates: Record<string, number> = Object.fromEntries(
    SUBNET_MAP_SOURCES.map((s) => [s, 0]),
  );
  private lastReportedRows: number | null = null;
  private readonly aapCounts = {
    failovers: 0,
    pushRetries: 0,
    handovers: 0,
    reconciliations: 0,
    reconciledRows: 0,
  };
  private readonly aapRefused: Record<string, number> = Object.fromEntries(
    AAP_REFUSAL_REASONS.map((r) => [r, 0]),
  );
  private readonly radius: RadiusStatistics | undefined;
  private readonly idleMs: number;
  private readonly mode: 'proxied' | 'observed';
  private ingested = 0;
  private dropped = 0;

  constructor(config: CollectorConfig) {
    const extra = config.maxUnconfiguredNodes ?? 0;
    if (!Number.isInteger(extra) || extra < 0) {
      throw new Error('maxUnconfiguredNodes: must be a non-negative integer');
    }
    this.clock = config.clock ?? Date.now;
    this.homeAgentAuthentication = (config.homeAgentAuthentication ?? []).map((a) => ({ ...a }));
    this.radius = config.radiusServers ? new RadiusStatistics(config.radiusServers) : undefined;
    this.views = config.views ?? {};
    this.mode = config.mode ?? 'proxied';
    this.idleMs = (config.clientIdleSeconds ?? 3600) * 1000;
    if (!(this.idleMs > 0)) throw new Error('clientIdleSeconds: must be a positive number');
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
    this.clientTable = new ClientTable(this.ap.registry.capacity, this.idleMs, config.maxClients ?? 200_000);
    this.bindingTable = new AgentEntryTable(this.ha.registry.capacity);
    this.visitorTable = new AgentEntryTable(this.fa.registry.capacity);
    this.timeSyncOffsets = new Float64Array(this.ha.registry.capacity).fill(NaN);
    this.haSeen = new NodeGroup(this.ha.registry, Seen.width);
    this.faSeen = new NodeGroup(this.fa.registry, Seen.width);
    this.claimedCodes = new Array<Float64Array | undefined>(this.ha.registry.capacity).fill(undefined);
    this.recordHistory(this.clock());
  }

  private readonly historyVector = (): Float64Array[] => [
    this.ap.outcomes,
    this.haSeen.outcomes,
    this.faSeen.outcomes,
    this.roundTrip.snapshot().counts,
  ];

  private recordHistory(now: number): void {
    this.fine.maybeRecord(now, this.historyVector);
    this.coarse.maybeRecord(now, this.historyVector);
  }

  /** The event sink: subscribe it to the engine's EventBus. Never throws: a bad event is dropped. */
  readonly ingest = (e: PmipEvent): void => {
    try {
      this.apply(e);
    } catch {
      this.dropped++;
    }
  };

  private apply(e: PmipEvent): void {
    switch (e.type) {
      case 'registration-sent': {
        const c = this.ap.counters;
        const b = this.ap.registry.slot(e.node) * Mn.width;
        add(c, b + Mn.requestsSent + kindOffset(e.kind));
        if (e.retransmission) add(c, b + Mn.retransmissions);
        if (e.toBroadcast) add(c, b + Mn.requestsToBroadcast);
        add(this.haSeen.counters, this.ha.registry.slot(e.homeAgent) * Seen.width + Seen.requestsSent);
        if (e.foreignAgent !== undefined)
          add(this.faSeen.counters, this.fa.registry.slot(e.foreignAgent) * Seen.width + Seen.requestsSent);
        break;
      }
      case 'reply-received': {
        const code = e.code;
        if (!isReplyCode(code)) return this.drop();
        const s = this.ap.registry.slot(e.node);
        const c = this.ap.counters;
        const b = s * Mn.width;
        add(c, b + Mn.repliesReceived);
        const info = replyCode(code);
        if (info.accepted) add(c, b + Mn.accepted);
        else {
          add(
            c,
            b +
              (info.issuer === 'home-agent'
                ? Mn.deniedByHomeAgent
                : info.issuer === 'foreign-agent'
                  ? Mn.deniedByForeignAgent
                  : Mn.deniedOther),
          );
          add(this.denialsByCode, code);
          addCode(this.ap.codes, s, code);
        }
        this.roundTrip.observe(e.roundTripSeconds);
        // Times on the collector's clock: an access point's own clock may be off (hours, in the demo).
        const at = this.clock();
        this.seenReply(this.haSeen, this.ha.registry.slot(e.homeAgent), at, e.roundTripSeconds);
        if (e.foreignAgent !== undefined)
          this.seenReply(this.faSeen, this.fa.registry.slot(e.foreignAgent), at, e.roundTripSeconds);
        break;
      }
      case 'registration-outcome': {
        // The copy closes the interval before this event: it must not contain it.
        // On the collector's clock, never the event's: one access point with a skewed clock must
        // not move the history's next step hours away.
        const now = this.clock();
        this.recordHistory(now);
        // When the last unusable reply came, as an age on the access point's clock, moved to ours.
        const replyAt = e.lastReplyAt === undefined ? undefined : now - Math.max(0, e.time - e.lastReplyAt);
        const o = outcomeOffset(e.outcome);
        const a = this.ap.registry.slot(e.node);
        add(this.ap.outcomes, a * OUTCOMES + o);
        if (e.homeAgent !== undefined) {
          const h = this.ha.registry.slot(e.homeAgent);
          add(this.haSeen.outcomes, h * OUTCOMES + o);
          if (e.code !== undefined && isReplyCode(e.code)) {
            if (e.outcome === 'denied') addCode(this.haSeen.codes, h, e.code);
            else if (e.outcome === 'unauthenticated') addCode(this.claimedCodes, h, e.code);
          }
          // A reply that could not be used still shows the agent answering: when it came.
          if (replyAt !== undefined) latest(this.haSeen.counters, h * Seen.width + Seen.lastReplyAt, replyAt);
        }
        if (e.foreignAgent !== undefined) {
          const f = this.fa.registry.slot(e.foreignAgent);
          if (replyAt !== undefined) latest(this.faSeen.counters, f * Seen.width + Seen.lastReplyAt, replyAt);
          add(this.faSeen.outcomes, f * OUTCOMES + o);
          if (e.outcome === 'denied' && e.code !== undefined && isReplyCode(e.code))
            addCode(this.faSeen.codes, f, e.code);
        }
        if (e.outcome === 'discarded') {
          const r = ATTEMPT_DISCARD_REASONS.indexOf(e.reason as never);
          add(this.attemptDiscards, r < 0 ? ATTEMPT_DISCARD_REASONS.indexOf('internal-error') : r);
        }
        break;
      }
      case 'time-sync': {
        const a = this.ap.registry.slot(e.node);
        add(this.ap.counters, a * Mn.width + Mn.timeSyncs);
        const h = this.ha.registry.slot(e.homeAgent);
        add(this.ha.counters, h * Ha.width + Ha.timeSyncs);
        this.timeSyncOffsets[h] = e.offsetSeconds;
        this.offsets.set(a * this.ha.registry.capacity + h, {
          offset: e.offsetSeconds,
          at: e.time,
          mode: e.mode,
        });
        break;
      }
      case 'security-violation': {
        const g = this.groupOf(e.nodeKind);
        const base =
          g === this.ap
            ? Mn.securityViolations
            : g === this.ha
              ? Ha.securityViolations
              : Fa.securityViolations;
        add(g.counters, g.registry.slot(e.node) * g.width + base + violationOffset(e.reason));
        break;
      }
      case 'reply-discarded':
        add(
          this.ap.counters,
          this.ap.registry.slot(e.node) * Mn.width + Mn.discarded + discardOffset(e.reason),
        );
        break;
      case 'client-moved': {
        const column =
          e.movement === 'home-to-foreign'
            ? Mn.movesHomeToForeign
            : e.movement === 'foreign-to-foreign'
              ? Mn.movesForeignToForeign
              : Mn.movesForeignToHome;
        add(this.ap.counters, this.ap.registry.slot(e.node) * Mn.width + column);
        this.clientTable.touch(e.client.mac, this.clock(), e.careOfAddress);
        break;
      }
      case 'client-state':
        this.clientTable.upsert(e, this.ap.registry.slot(e.node), this.clock());
        break;
      case 'client-removed':
        this.clientTable.remove(e.client.mac);
        break;
      case 'arp-sent':
        if (e.nodeKind === 'home-agent') {
          const b = this.ha.registry.slot(e.node) * Ha.width;
          add(this.ha.counters, b + (e.kind === 'gratuitous' ? Ha.gratuitousArpsSent : Ha.proxyArpsSent));
        } else if (e.nodeKind === 'access-point') {
          const b = this.ap.registry.slot(e.node) * Mn.width;
          add(this.ap.counters, b + (e.kind === 'gratuitous' ? Mn.gratuitousArpsSent : Mn.proxyArpsSent));
        } else return this.drop();
        break;
      case 'advertisement-received':
        add(this.ap.counters, this.ap.registry.slot(e.node) * Mn.width + Mn.advertisementsReceived);
        break;
      case 'agent-reboot-detected':
        add(this.ap.counters, this.ap.registry.slot(e.node) * Mn.width + Mn.agentRebootsDetected);
        break;
      case 'solicitation-sent':
        add(this.ap.counters, this.ap.registry.slot(e.node) * Mn.width + Mn.solicitationsSent);
        break;
      case 'request-received':
        if (e.nodeKind === 'foreign-agent') {
          add(
            this.fa.counters,
            this.fa.registry.slot(e.node) * Fa.width + Fa.requestsReceived + kindOffset(e.kind),
          );
        } else {
          add(
            this.ha.counters,
            this.ha.registry.slot(e.node) * Ha.width + Ha.requestsReceived + kindOffset(e.kind),
          );
        }
        break;
      case 'request-relayed':
        add(this.fa.counters, this.fa.registry.slot(e.node) * Fa.width + Fa.requestsRelayed);
        break;
      case 'reply-sent':
        if (!isReplyCode(e.code)) return this.drop();
        if (e.nodeKind === 'foreign-agent') {
          add(
            this.fa.counters,
            this.fa.registry.slot(e.node) * Fa.width + (e.relayed ? Fa.repliesRelayed : Fa.repliesSent),
          );
        } else {
          const b = this.ha.registry.slot(e.node) * Ha.width;
          add(this.ha.counters, b + Ha.repliesSent);
          if (replyCode(e.code).accepted) add(this.ha.counters, b + Ha.accepted);
        }
        break;
      case 'request-denied': {
        if (!isReplyCode(e.code)) return this.drop();
        const g = e.nodeKind === 'foreign-agent' ? this.fa : this.ha;
        const s = g.registry.slot(e.node);
        add(g.counters, s * g.width + (g === this.fa ? Fa.denied : Ha.denied));
        addCode(g.codes, s, e.code);
        break;
      }
      case 'binding-created':
      case 'binding-renewed': {
        const s = this.ha.registry.slot(e.node);
        add(
          this.ha.counters,
          s * Ha.width + (e.type === 'binding-created' ? Ha.bindingsCreated : Ha.bindingsRenewed),
        );
        this.bindingTable.set(s, e.homeAddress, e.careOfAddress, e.lifetime, this.clock());
        break;
      }
      case 'binding-removed':
      case 'binding-expired': {
        const s = this.ha.registry.slot(e.node);
        add(
          this.ha.counters,
          s * Ha.width + (e.type === 'binding-removed' ? Ha.bindingsRemoved : Ha.bindingsExpired),
        );
        this.bindingTable.delete(s, e.homeAddress);
        break;
      }
      case 'visitor-added': {
        const s = this.fa.registry.slot(e.node);
        add(this.fa.counters, s * Fa.width + Fa.visitorsAdded);
        this.visitorTable.set(s, e.homeAddress, e.homeAgent, e.lifetime, this.clock());
        break;
      }
      case 'visitor-removed': {
        const s = this.fa.registry.slot(e.node);
        add(this.fa.counters, s * Fa.width + Fa.visitorsRemoved);
        this.visitorTable.delete(s, e.homeAddress);
        break;
      }
      case 'reply-dropped':
        add(
          this.fa.counters,
          this.fa.registry.slot(e.node) * Fa.width +
            (e.reason === 'poorly-formed'
              ? Fa.repliesDroppedPoorlyFormed
              : e.reason === 'unexpected-source'
                ? Fa.repliesDroppedUnexpectedSource
                : Fa.repliesDroppedNoPendingRequest),
        );
        break;
      case 'advertisement-sent':
        if (e.nodeKind === 'home-agent')
          add(this.ha.counters, this.ha.registry.slot(e.node) * Ha.width + Ha.advertisementsSent);
        else if (e.nodeKind === 'foreign-agent') {
          add(this.fa.counters, this.fa.registry.slot(e.node) * Fa.width + Fa.advertisementsSent);
        } else return this.drop();
        break;
      case 'malformed-datagram':
        this.countMalformed(e.nodeKind, e.socket, e.errorKind);
        break;
      case 'lenient-decode': {
        if (e.what !== 'ext47-short-form') return this.drop();
        const key = `${e.nodeKind}\u0000${e.what}`;
        const entry = this.lenient.get(key) ?? { nodeKind: e.nodeKind, what: e.what, count: 0 };
        entry.count++;
        this.lenient.set(key, entry);
        break;
      }
      case 'subnet-map-updated':
        this.subnetMapUpdates[e.source] = (this.subnetMapUpdates[e.source] ?? 0) + 1;
        this.lastReportedRows = e.rows;
        this.aapTable.tableUpdated(e.node, e.rows, e.version, e.time);
        break;
      case 'aap-reachability':
        this.aapTable.reachability(e.aap, e.reachable, e.time);
        break;
      case 'aap-failover':
        this.aapCounts.failovers++;
        break;
      case 'aap-push-retried':
        this.aapCounts.pushRetries++;
        break;
      case 'aap-ap-handed-over':
        this.aapCounts.handovers++;
        break;
      case 'aap-reconciled':
        this.aapCounts.reconciliations++;
        this.aapCounts.reconciledRows += e.rowsChanged;
        break;
      case 'ha-probe': {
        const column =
          e.outcome === 'sent'
            ? Ha.probesSent
            : e.outcome === 'answered'
              ? Ha.probesAnswered
              : Ha.probesTimedOut;
        const h = this.ha.registry.slot(e.homeAgent);
        add(this.ha.counters, h * Ha.width + column);
        add(this.haSeen.counters, h * Seen.width + column - Ha.probesSent + Seen.probesSent);
        break;
      }
      case 'radius-exchange':
      case 'radius-failover':
      case 'radius-cache-hit':
        if (!this.radius?.ingest(e, this.clock())) return this.drop();
        break;
      case 'aap-message-refused':
        if (!(e.reason in this.aapRefused)) return this.drop();
        this.aapRefused[e.reason] = this.aapRefused[e.reason]! + 1;
        break;
      default:
        return this.drop();
    }
    this.ingested++;
  }

  ingestAll(events: Iterable<PmipEvent>): void {
    for (const e of events) this.ingest(e);
  }

  private seenReply(g: NodeGroup, slot: number, time: number, roundTripSeconds: number): void {
    const b = slot * Seen.width;
    const c = g.counters;
    add(c, b + Seen.repliesReceived);
    if (time > c[b + Seen.lastReplyAt]!) c[b + Seen.lastReplyAt] = time;
    if (!(roundTripSeconds >= 0)) return;
    const bounds = ROUND_TRIP_BUCKETS;
    let i = 0;
    while (i < bounds.length && roundTripSeconds > bounds[i]!) i++;
    add(c, b + Seen.roundTripBuckets + i);
    add(c, b + Seen.roundTripSum, roundTripSeconds);
    add(c, b + Seen.roundTripCount);
  }

  private seenSnapshot(g: NodeGroup, claimed?: Array<Float64Array | undefined>): SeenAgentsSnapshot {
    const base = g.snapshot();
    // Configured agents (their series exist from start-up) and any other the access points dealt with.
    const keep: number[] = [];
    for (let i = 0; i < base.slots.length; i++) {
      const s = base.slots[i]!;
      if (
        s < g.registry.configuredCount ||
        anyNonZero(base.counters, s * g.width, g.width) ||
        sumOutcomes(base.outcomes, s) > 0
      )
        keep.push(i);
    }
    return {
      ...base,
      ids: keep.map((i) => base.ids[i]!),
      slots: keep.map((i) => base.slots[i]!),
      addresses: keep.map((i) => g.registry.addressOf(base.slots[i]!)),
      claimedCodes: (claimed ?? []).map((c) => c?.slice()),
    };
  }

  /** Time-sync offsets per access point and home agent, newest first. */
  timeOffsets(): TimeOffsetView[] {
    const cap = this.ha.registry.capacity;
    const out: TimeOffsetView[] = [];
    for (const [key, v] of this.offsets) {
      const a = Math.floor(key / cap);
      const h = key % cap;
      out.push({
        accessPoint: this.ap.name(a),
        homeAgent: this.ha.name(h),
        homeAgentAddress: this.ha.registry.addressOf(h),
        mode: v.mode,
        offsetSeconds: v.offset,
        at: v.at,
      });
    }
    return out.sort((x, y) => y.at - x.at);
  }

  /** Status of every node from its recent outcomes, and the last hour's charts (src/collector/health.ts). */
  health(): HealthReport {
    const now = this.clock();
    this.recordHistory(now);
    const groups = [this.ap, this.haSeen, this.faSeen] as const;
    const windows = [HEALTH_RULES.windowSeconds, HEALTH_RULES.fallbackWindowSeconds].map((w) => {
      const p = this.fine.at(now - w * 1000);
      return { seconds: p ? Math.max(1, Math.round((now - p.time) / 1000)) : 0, point: p };
    });
    const rows = (gi: number, onlySeen: boolean): NodeHealthRow[] => {
      const g = groups[gi]!;
      const { ids, slots } = g.registry.labels();
      const out: NodeHealthRow[] = [];
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i]!;
        if (
          onlySeen &&
          s >= g.registry.configuredCount &&
          !anyNonZero(g.counters, s * g.width, g.width) &&
          sumOutcomes(g.outcomes, s) === 0
        )
          continue;
        let judged: NodeHealth | undefined;
        for (const w of windows) {
          const before = w.point?.values[gi];
          const delta = new Float64Array(OUTCOMES);
          for (let k = 0; k < OUTCOMES; k++)
            delta[k] = g.outcomes[s * OUTCOMES + k]! - (before?.[s * OUTCOMES + k] ?? 0);
          judged = judgeHealth(delta, w.seconds);
          if (judged.attempts > 0) break;
        }
        const lastReply = onlySeen ? g.counters[s * g.width + Seen.lastReplyAt]! : 0;
        out.push({
          ...judged!,
          name: ids[i]!,
          address: g.registry.addressOf(s),
          lastReplyAt: lastReply > 0 ? lastReply : null,
        });
      }
      return out;
    };
    const points = this.coarse.points();
    const outcomesPerMinute: HealthReport['outcomesPerMinute'] = [];
    const siteTotals = (values: Float64Array): number[] => {
      const t = new Array<number>(OUTCOMES).fill(0);
      for (let i = 0; i < values.length; i++) t[i % OUTCOMES]! += values[i]!;
      return t;
    };
    const latest = this.historyVector();
    const series = [
      ...points.map((p) => ({ time: p.time, values: p.values })),
      { time: now, values: latest },
    ];
    for (let i = 1; i < series.length; i++) {
      const a = siteTotals(series[i - 1]!.values[0]!);
      const b = siteTotals(series[i]!.values[0]!);
      outcomesPerMinute.push({
        time: series[i]!.time,
        counts: Object.fromEntries(REGISTRATION_OUTCOME_KINDS.map((k, j) => [k, b[j]! - a[j]!])) as Record<
          RegistrationOutcomeKind,
          number
        >,
      });
    }
    const first = points[0]?.values[3];
    const rtNow = latest[3]!;
    return {
      time: now,
      rules: HEALTH_RULES,
      accessPoints: rows(0, false),
      homeAgents: rows(1, true),
      foreignAgents: rows(2, true),
      outcomesPerMinute,
      roundTripLastHour: {
        bounds: ROUND_TRIP_BUCKETS,
        counts: Array.from(rtNow, (v, i) => v - (first?.[i] ?? 0)),
      },
    };
  }

  /** Counters and gauges at this instant (drops idle clients and stale bindings first). */
  snapshot(): CollectorSnapshot {
    const now = this.clock();
    this.expireIdle(now);
    this.recordHistory(now);
    const clientsByState = Object.fromEntries(
      CLIENT_STATES.map((s, i) => [s, this.clientTable.byState[i]!]),
    ) as Record<ClientState, number>;
    const observation = this.views.observation?.();
    return {
      time: now,
      mode: this.mode,
      ...(observation !== undefined ? { observation } : {}),
      accessPoints: {
        ...this.ap.snapshot(),
        clients: this.clientTable.byAccessPoint.slice(),
        clientsByState: this.clientTable.byAccessPointState.slice(),
      },
      homeAgents: {
        ...this.ha.snapshot(true),
        bindings: this.bindingTable.counts.slice(),
        timeSyncOffsets: this.timeSyncOffsets.slice(),
      },
      foreignAgents: { ...this.fa.snapshot(true), visitors: this.visitorTable.counts.slice() },
      homeAgentsSeen: this.seenSnapshot(this.haSeen, this.claimedCodes),
      foreignAgentsSeen: this.seenSnapshot(this.faSeen),
      timeOffsets: this.timeOffsets(),
      attemptDiscards: Object.fromEntries(
        ATTEMPT_DISCARD_REASONS.map((r, i) => [r, this.attemptDiscards[i]!]),
      ),
      denialsByCode: this.denialsByCode.slice(),
      clientsByState,
      roundTrip: this.roundTrip.snapshot(),
      malformed: [...this.malformed.values()].map((m) => ({ ...m })),
      lenientDecodes: [...this.lenient.values()].map((m) => ({ ...m })),
      homeAgentAuthentication: this.homeAgentAuthentication.map((a) => ({ ...a })),
      subnetMap: {
        lastReportedRows: this.lastReportedRows,
        ...this.subnetMapRows(),
        updates: { ...this.subnetMapUpdates },
      },
      aap: { ...this.aapCounts, refused: { ...this.aapRefused }, status: this.aapTable.list() },
      ...(this.radius ? { radius: this.radius.snapshot() } : {}),
      self: {
        eventsIngested: this.ingested,
        eventsDropped: this.dropped,
        eventsFolded:
          this.ap.registry.folded +
          this.ha.registry.folded +
          this.fa.registry.folded +
          this.aapRegistry.folded,
        clientsTracked: this.clientTable.size,
        clientsExpired: this.clientTable.expired,
        clientsUntracked: this.clientTable.untracked,
      },
    };
  }

  /** Live client rows, optionally for one access point and/or one state. */
  clients(query: ClientQuery = {}): ClientView[] {
    const now = this.clock();
    this.clientTable.maybeSweep(now);
    let accessPointSlot: number | undefined;
    if (query.accessPoint !== undefined) {
      accessPointSlot = this.ap.registry.find(query.accessPoint);
      if (accessPointSlot === undefined) return [];
    }
    return this.clientTable.list(
      { accessPointSlot, state: query.state },
      now,
      (s) => this.ap.name(s),
      (address) => {
        const h = this.ha.registry.find(address);
        return h === undefined ? address : this.ha.name(h);
      },
    );
  }

  /** Home-agent mobility bindings (peer = care-of address). */
  bindings(): AgentEntryView[] {
    return this.bindingTable.list(this.clock(), (s) => this.ha.name(s));
  }

  /** Foreign-agent visitors (peer = home agent). */
  visitors(): AgentEntryView[] {
    return this.visitorTable.list(this.clock(), (s) => this.fa.name(s));
  }

  aaps(): AapStatus[] {
    return this.aapTable.list();
  }

  /** The subnet map from the injected view; empty without one. May throw if the view does. */
  subnetMap(): SubnetMapView[] {
    const rows: SubnetMapRow[] = this.views.subnetMap?.() ?? [];
    const now = this.clock();
    return rows.map((r) => ({
      homeAgent: r.homeAgent,
      mask: r.mask,
      prefixLength: r.prefixLength,
      network: r.network,
      source: r.source,
      updatedAt: r.updatedAt,
      ageSeconds: Math.max(0, Math.floor((now - r.updatedAt) / 1000)),
    }));
  }

  /** The table's row count now: from the injected view when there is one, else the last reported. */
  private subnetMapRows(): { rows: number | null; rowsFailed: boolean } {
    const view = this.views.subnetMap;
    if (view === undefined) return { rows: this.lastReportedRows, rowsFailed: false };
    try {
      return { rows: view().length, rowsFailed: false };
    } catch {
      return { rows: null, rowsFailed: true };
    }
  }

  hasSubnetMapView(): boolean {
    return this.views.subnetMap !== undefined;
  }

  /**
   * SA descriptions from the injected view, rebuilt field by field: whatever object the view
   * returns, nothing but these fields (never a key) comes out.
   */
  securityAssociations(): SecurityAssociationDescription[] {
    return (this.views.securityAssociations?.() ?? []).map((d) => ({
      spi: d.spi,
      algorithm: d.algorithm,
      replay: d.replay,
      replayWindowSeconds: d.replayWindowSeconds,
      scope: d.scope,
      source: d.source,
      ...(d.server !== undefined ? { server: d.server } : {}),
      ...(d.attributeStyle !== undefined ? { attributeStyle: d.attributeStyle } : {}),
      ...(d.homeAgent !== undefined ? { homeAgent: d.homeAgent } : {}),
      ...(d.ageSeconds !== undefined ? { ageSeconds: d.ageSeconds } : {}),
    }));
  }

  /** Label values currently in use, per kind. */
  labels(): { accessPoints: string[]; homeAgents: string[]; foreignAgents: string[]; aaps: string[] } {
    return {
      accessPoints: this.ap.registry.labels().ids,
      homeAgents: this.ha.registry.labels().ids,
      foreignAgents: this.fa.registry.labels().ids,
      aaps: this.aapRegistry.labels().ids,
    };
  }

  /** Drops idle clients and bindings/visitors whose lifetime ran out long ago. */
  expireIdle(now = this.clock()): void {
    this.clientTable.maybeSweep(now);
    this.bindingTable.sweep(now, this.idleMs);
    this.visitorTable.sweep(now, this.idleMs);
  }

  private groupOf(kind: string): NodeGroup {
    return kind === 'home-agent' ? this.ha : kind === 'foreign-agent' ? this.fa : this.ap;
  }

  private drop(): void {
    this.dropped++;
  }

  private countMalformed(nodeKind: string, socket: string, errorKind: string): void {
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

function latest(a: Float64Array, i: number, time: number): void {
  if (time > a[i]!) a[i] = time;
}

function anyNonZero(a: Float64Array, from: number, n: number): boolean {
  for (let i = from; i < from + n; i++) if (a[i] !== 0) return true;
  return false;
}

function sumOutcomes(outcomes: Float64Array, slot: number): number {
  let t = 0;
  for (let k = 0; k < OUTCOMES; k++) t += outcomes[slot * OUTCOMES + k]!;
  return t;
}

function isReplyCode(code: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 255;
}
