/**
 * The collector: consumes PmipEvents and keeps the statistics every view reads. Ingest is plain
 * arithmetic on typed arrays indexed by a small integer per node, one handler per event type
 * (src/collector/ingest/, one file per event family); no metric library is called here (views
 * read the collector at scrape time). It knows no exporter.
 *
 * Client rows follow 'client-state' (the engine's full-row event, sent whenever anything about a
 * client changes), 'client-moved' and 'client-removed'. Counter events (requests, replies,
 * timeouts) never look a client up: a per-event lookup in a table of 50,000 clients costs more
 * than all the counting.
 */
import { ATTEMPT_DISCARD_REASONS } from '../pmip/events.ts';
import type { ClientState, PmipEvent } from '../pmip/events.ts';
import { describedFields, type SecurityAssociationDescription } from '../pmip/security/store.ts';
import type { SubnetMapRow } from '../pmip/subnet-map/table.ts';
import type { AapStatus } from './aaps.ts';
import type { AgentEntryView } from './agent-tables.ts';
import { CLIENT_STATES } from './clients.ts';
import type { ClientView } from './clients.ts';
import type { CollectorConfig, CollectorViews } from './config.ts';
import { healthReport, type HealthReport } from './health-report.ts';
import { ingestEvent } from './ingest/index.ts';
import { IngestState } from './ingest/state.ts';
import type { NodeGroup } from './node-group.ts';
import type { CollectorSnapshot, SeenAgentsSnapshot, TimeOffsetView } from './snapshot.ts';

export type { AgentRestartRow, HealthReport, NodeHealthRow } from './health-report.ts';

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

export class Collector {
  private readonly clock: () => number;
  private readonly views: CollectorViews;
  /** Everything ingest writes (src/collector/ingest/state.ts). */
  private readonly st: IngestState;
  private readonly homeAgentAuthentication: CollectorSnapshot['homeAgentAuthentication'];
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
    this.views = config.views ?? {};
    this.mode = config.mode ?? 'proxied';
    this.idleMs = (config.clientIdleSeconds ?? 3600) * 1000;
    if (!(this.idleMs > 0)) throw new Error('clientIdleSeconds: must be a positive number');
    this.st = new IngestState(config, this.idleMs);
  }

  /** The event sink: subscribe it to the engine's EventBus. Never throws: a bad event is dropped. */
  readonly ingest = (e: PmipEvent): void => {
    try {
      if (ingestEvent(this.st, e)) this.ingested++;
      else this.dropped++;
    } catch {
      this.dropped++;
    }
  };

  ingestAll(events: Iterable<PmipEvent>): void {
    for (const e of events) this.ingest(e);
  }

  private seenSnapshot(g: NodeGroup, claimed?: Array<Float64Array | undefined>): SeenAgentsSnapshot {
    const base = g.snapshot();
    // Configured agents (their series exist from start-up) and any other the access points dealt with.
    const keep: number[] = [];
    for (let i = 0; i < base.slots.length; i++) if (g.seen(base.slots[i]!)) keep.push(i);
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
    const { ap, ha } = this.st;
    const cap = ha.registry.capacity;
    const out: TimeOffsetView[] = [];
    for (const [key, v] of this.st.offsets) {
      const a = Math.floor(key / cap);
      const h = key % cap;
      out.push({
        accessPoint: ap.name(a),
        homeAgent: ha.name(h),
        homeAgentAddress: ha.registry.addressOf(h),
        mode: v.mode,
        offsetSeconds: v.offset,
        at: v.at,
      });
    }
    return out.sort((x, y) => y.at - x.at);
  }

  /** Status of every node from its recent outcomes, and the last hour's charts (health-report.ts). */
  health(): HealthReport {
    return healthReport(this.st, this.clock());
  }

  /** Counters and gauges at this instant (drops idle clients and stale bindings first). */
  snapshot(): CollectorSnapshot {
    const now = this.clock();
    this.expireIdle(now);
    this.st.recordHistory(now);
    const clientsByState = Object.fromEntries(
      CLIENT_STATES.map((s, i) => [s, this.st.clientTable.byState[i]!]),
    ) as Record<ClientState, number>;
    const observation = this.views.observation?.();
    return {
      time: now,
      mode: this.mode,
      ...(observation !== undefined ? { observation } : {}),
      accessPoints: {
        ...this.st.ap.snapshot(),
        clients: this.st.clientTable.byAccessPoint.slice(),
        clientsByState: this.st.clientTable.byAccessPointState.slice(),
      },
      homeAgents: {
        ...this.st.ha.snapshot(true),
        bindings: this.st.bindingTable.counts.slice(),
        timeSyncOffsets: this.st.timeSyncOffsets.slice(),
      },
      foreignAgents: { ...this.st.fa.snapshot(true), visitors: this.st.visitorTable.counts.slice() },
      homeAgentsSeen: this.seenSnapshot(this.st.haSeen, this.st.claimedCodes),
      foreignAgentsSeen: this.seenSnapshot(this.st.faSeen),
      timeOffsets: this.timeOffsets(),
      attemptDiscards: Object.fromEntries(
        ATTEMPT_DISCARD_REASONS.map((r, i) => [r, this.st.attemptDiscards[i]!]),
      ),
      denialsByCode: this.st.denialsByCode.slice(),
      clientsByState,
      roundTrip: this.st.roundTrip.snapshot(),
      malformed: [...this.st.malformed.values()].map((m) => ({ ...m })),
      lenientDecodes: [...this.st.lenient.values()].map((m) => ({ ...m })),
      homeAgentAuthentication: this.homeAgentAuthentication.map((a) => ({ ...a })),
      subnetMap: {
        lastReportedRows: this.st.lastReportedRows,
        ...this.subnetMapRows(),
        updates: { ...this.st.subnetMapUpdates },
      },
      aap: { ...this.st.aapCounts, refused: { ...this.st.aapRefused }, status: this.st.aapTable.list() },
      ...(this.st.radius ? { radius: this.st.radius.snapshot() } : {}),
      self: {
        eventsIngested: this.ingested,
        eventsDropped: this.dropped,
        eventsFolded:
          this.st.ap.registry.folded +
          this.st.ha.registry.folded +
          this.st.fa.registry.folded +
          this.st.aapRegistry.folded,
        clientsTracked: this.st.clientTable.size,
        clientsExpired: this.st.clientTable.expired,
        clientsUntracked: this.st.clientTable.untracked,
      },
    };
  }

  /** Live client rows, optionally for one access point and/or one state. */
  clients(query: ClientQuery = {}): ClientView[] {
    const now = this.clock();
    this.st.clientTable.maybeSweep(now);
    let accessPointSlot: number | undefined;
    if (query.accessPoint !== undefined) {
      accessPointSlot = this.st.ap.registry.find(query.accessPoint);
      if (accessPointSlot === undefined) return [];
    }
    return this.st.clientTable.list(
      { accessPointSlot, state: query.state },
      now,
      (s) => this.st.ap.name(s),
      (address) => {
        const h = this.st.ha.registry.find(address);
        return h === undefined ? address : this.st.ha.name(h);
      },
    );
  }

  /** Home-agent mobility bindings (peer = care-of address). */
  bindings(): AgentEntryView[] {
    return this.st.bindingTable.list(this.clock(), (s) => this.st.ha.name(s));
  }

  /** Foreign-agent visitors (peer = home agent). */
  visitors(): AgentEntryView[] {
    return this.st.visitorTable.list(this.clock(), (s) => this.st.fa.name(s));
  }

  aaps(): AapStatus[] {
    return this.st.aapTable.list();
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
    if (view === undefined) return { rows: this.st.lastReportedRows, rowsFailed: false };
    try {
      return { rows: view().length, rowsFailed: false };
    } catch {
      return { rows: null, rowsFailed: true };
    }
  }

  /**
   * SA descriptions from the injected view, rebuilt field by field: whatever object the view
   * returns, nothing but these fields (never a key) comes out.
   */
  securityAssociations(): SecurityAssociationDescription[] {
    return (this.views.securityAssociations?.() ?? []).map((d) => ({
      ...describedFields(d),
      ...(d.ageSeconds !== undefined ? { ageSeconds: d.ageSeconds } : {}),
    }));
  }

  /** Label values currently in use, per kind. */
  labels(): { accessPoints: string[]; homeAgents: string[]; foreignAgents: string[]; aaps: string[] } {
    return {
      accessPoints: this.st.ap.registry.labels().ids,
      homeAgents: this.st.ha.registry.labels().ids,
      foreignAgents: this.st.fa.registry.labels().ids,
      aaps: this.st.aapRegistry.labels().ids,
    };
  }

  /** Drops idle clients and bindings/visitors whose lifetime ran out long ago. */
  expireIdle(now = this.clock()): void {
    this.st.clientTable.maybeSweep(now);
    this.st.bindingTable.sweep(now, this.idleMs);
    this.st.visitorTable.sweep(now, this.idleMs);
  }
}
