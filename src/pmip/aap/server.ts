import type { AgentEmitter } from '../agents/common.ts';
import type { TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { ipv4ToUint32, networkOf } from '../wire/ipv4.ts';
import { rowKey, type Digest } from '../subnet-map/digest.ts';
import { maskToPrefixLength, type SubnetMapSource, type SubnetMapTable } from '../subnet-map/table.ts';
import { AAP_PORT, type AapLeave, type AapReport, type AapStateRow } from './codec/index.ts';
import { AccessPointRegistry, type AccessPointView } from './access-point-registry.ts';
import {
  AAP_RECEIVE_BUFFER_BYTES,
  bindUdp,
  endpointName,
  subnetMapEmitter,
  type SubnetMapDeps,
} from './endpoint.ts';
import { Handover, type HandoverCounts } from './handover.ts';
import { HomeAgentProber } from './home-agent-prober.ts';
import { maintain } from './maintenance.ts';
import { OrphanProbe, type OrphanProbeCounts } from './orphan-probe.ts';
import { Outbox } from './outbox.ts';
import { PeerList } from './peer-list.ts';
import { PushQueue, type PushCounts } from './push-queue.ts';
import { Reconciliation, type ReconciliationCounts } from './reconciliation.ts';
import { AapReceiver, type RefusalCounts } from './receiver.ts';
import { AapSender } from './sender.ts';
import { checkServerConfig, type AapServerConfig, type AapTiming } from './server-config.ts';
import { StampedTable, type SubnetMapRowConfig } from './stamped-table.ts';

export type { AccessPointView } from './access-point-registry.ts';
export { DEFAULT_AAP_TIMING, type AapServerConfig, type AapTiming } from './server-config.ts';
export type { SubnetMapRowConfig } from './stamped-table.ts';

export interface ReportCounts {
  reportsReceived: number;
  /** Reports not answered because the AAP had not finished its initial sync yet. */
  reportsDeferred: number;
}

/** What an AAP counted, part by part. */
export type AapStats = ReportCounts &
  PushCounts &
  HandoverCounts &
  ReconciliationCounts &
  OrphanProbeCounts & { refused: RefusalCounts };

/**
 * An authoritative access point (AAP): keeps the site's subnet map table and distributes it over
 * the subnet map protocol (docs/aap-protocol.md). This class binds the socket, dispatches what
 * arrives and composes the parts that do the work:
 *
 * - the AP list (access-point-registry.ts): access points report their home agent; the AAP adds
 *   the row (stamped-table.ts) and answers with the whole table, or "unchanged" when the AP's
 *   digest matches;
 * - the push queue (push-queue.ts): every change goes to every other AP as an update that must be
 *   acknowledged, retried with backoff;
 * - hand-over (handover.ts): an AP that never answers is offered to the next AAP in the order;
 * - reconciliation (reconciliation.ts): AAPs exchange digests (64 buckets) periodically and pull
 *   the buckets that differ; rows carry a change stamp and removals leave tombstones, so the
 *   merge (newest stamp wins) converges;
 * - the orphan probe (orphan-probe.ts): when the last AP of a subnet leaves, the AAP probes that
 *   subnet's home agent; silence removes the row;
 * - maintenance (maintenance.ts): AP expiry, tombstone and transfer clean-up.
 */
export class AapServer {
  private readonly timing: AapTiming;
  private readonly emit: AgentEmitter;
  private readonly sender: AapSender;
  private readonly receiver: AapReceiver;
  private readonly outbox: Outbox;
  private readonly rows: StampedTable;
  private readonly peers = new PeerList();
  private readonly registry = new AccessPointRegistry();
  private readonly pushes: PushQueue;
  private readonly handover: Handover;
  private readonly reconciliation: Reconciliation;
  private readonly orphans: OrphanProbe;
  private prober: HomeAgentProber | undefined;
  private readonly timers = new Set<TimerHandle>();
  private stopped = false;
  private readonly reports: ReportCounts = { reportsReceived: 0, reportsDeferred: 0 };

  private constructor(
    readonly config: AapServerConfig,
    private readonly deps: SubnetMapDeps,
  ) {
    const { key, maxDatagram, timing } = checkServerConfig(config);
    this.timing = timing;
    this.emit = subnetMapEmitter(deps, config.id);
    this.sender = new AapSender(config.id, deps.scheduler);
    this.receiver = new AapReceiver(config.id, key, this.emit);
    this.outbox = new Outbox(this.sender, key);
    this.rows = new StampedTable(deps.scheduler);
    const { scheduler } = deps;
    const common = { senderId: config.id, maxDatagram, outbox: this.outbox, scheduler, emit: this.emit };
    const flush = (): void => this.flush();
    const merge = (rows: readonly AapStateRow[], source: SubnetMapSource): number =>
      this.rows.merge(rows, source, (k) => this.registry.hasApsIn(k));
    this.pushes = new PushQueue({
      ...common,
      table: this.rows.table,
      registry: this.registry,
      timing,
      unreachable: (apId, endpoint, keys) => void this.handover.handOver(apId, endpoint, keys),
    });
    this.handover = new Handover({
      ...common,
      rows: this.rows,
      registry: this.registry,
      pushes: this.pushes,
      peers: this.peers,
      timing,
      merge,
      flush,
    });
    this.reconciliation = new Reconciliation({
      ...common,
      rows: this.rows,
      peers: this.peers,
      timing,
      merge,
      flush,
    });
    this.orphans = new OrphanProbe({
      rows: this.rows,
      registry: this.registry,
      scheduler,
      probeIntervalMs: timing.probeIntervalMs,
      flush,
    });
  }

  /** Validates the configuration, binds the socket and the probe socket, and starts serving. */
  static async start(config: AapServerConfig, deps: SubnetMapDeps): Promise<AapServer> {
    const aap = new AapServer(config, deps);
    try {
      aap.outbox.attach(
        await (deps.bind ?? bindUdp)({
          address: config.address,
          port: config.port ?? AAP_PORT,
          receiveBufferBytes: config.receiveBufferBytes ?? AAP_RECEIVE_BUFFER_BYTES,
          onDatagram: (payload, from) => aap.onDatagram(payload, from),
          onHandlerError: (_error, from) => aap.receiver.malformed('handler-error', from),
        }),
      );
      aap.prober = await HomeAgentProber.start(config.address, config.probe ?? {}, {
        scheduler: deps.scheduler,
        random: deps.random,
        emit: aap.emit,
        ...(deps.bind ? { bind: deps.bind } : {}),
      });
      aap.orphans.attach(aap.prober);
      // An AP or peer not configured with this AAP's id names it by its endpoint.
      aap.receiver.answerTo(endpointName({ address: aap.address, port: aap.port }));
      aap.peers.resolve(aap.id, { address: aap.address, port: aap.port }, config.aaps ?? []);
      aap.rows.seed(config.rows ?? []);
      aap.flush();
      aap.reconciliation.beginInitialSync();
      aap.every(aap.timing.reconcileIntervalMs, () => aap.reconcileNow());
      aap.every(aap.timing.maintenanceIntervalMs, () => aap.maintain());
    } catch (error) {
      await aap.stop();
      throw error;
    }
    return aap;
  }

  get id(): string {
    return this.config.id;
  }

  /** The live rows; what access points get. */
  get table(): SubnetMapTable {
    return this.rows.table;
  }

  get address(): string {
    return this.outbox.address ?? this.config.address;
  }

  /** The bound port (useful when 0 was configured). */
  get port(): number {
    return this.outbox.port ?? 0;
  }

  /** APs with changes not acknowledged yet (in flight or waiting). */
  get unacknowledged(): number {
    return this.registry.unacknowledged;
  }

  /** This AAP's epoch on the wire (changes on every start). */
  get epoch(): number {
    return this.sender.epoch;
  }

  /** False until the initial pull from a peer AAP completed (or timed out); reports wait till then. */
  get isSynced(): boolean {
    return this.reconciliation.synced;
  }

  digest(): Digest {
    return this.rows.table.digest();
  }

  /** The AP list, for the statistics pages. */
  accessPoints(): AccessPointView[] {
    return this.registry.views();
  }

  stats(): AapStats {
    return {
      ...this.reports,
      ...this.pushes.counts,
      ...this.handover.counts,
      ...this.reconciliation.counts,
      ...this.orphans.counts,
      refused: { ...this.receiver.refused },
    };
  }

  /** Operator action: adds (or changes) a row, pushed to every AP like a learnt one. */
  addRow(homeAgent: string, mask: string): boolean {
    const len = maskToPrefixLength(mask);
    const changed = this.rows.applyLocal(ipv4ToUint32(homeAgent, 'homeAgent'), len, false, 'config');
    this.flush();
    return changed;
  }

  /** Operator action: adds many rows at once (one update per AP); returns how many changed. */
  addRows(rows: readonly SubnetMapRowConfig[]): number {
    let changed = 0;
    for (const r of rows)
      if (
        this.rows.applyLocal(
          ipv4ToUint32(r.homeAgent, 'homeAgent'),
          maskToPrefixLength(r.mask),
          false,
          'config',
        )
      )
        changed++;
    this.flush();
    return changed;
  }

  /** Operator action: removes the row of a subnet (the removal reaches the other AAPs too). */
  removeRow(homeAgent: string, mask: string): boolean {
    const len = maskToPrefixLength(mask);
    const current = this.rows.table.homeAgentOf(ipv4ToUint32(homeAgent, 'homeAgent'), len);
    if (current === undefined) return false;
    const changed = this.rows.applyLocal(current, len, true, 'config');
    this.flush();
    return changed;
  }

  /** Sends this AAP's digest to every peer AAP now (the periodic reconciliation does the same). */
  reconcileNow(): void {
    if (this.stopped) return;
    this.reconciliation.sendDigests();
  }

  /** Stops every timer and closes the sockets. The table stays readable. */
  async stop(): Promise<void> {
    this.stopped = true;
    const socket = this.outbox.close();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.reconciliation.stop();
    for (const ap of this.registry.values()) ap.inFlight?.timer?.cancel();
    this.orphans.stop();
    this.handover.stop();
    await Promise.all([socket?.close(), this.prober?.stop()]);
  }

  private every(ms: number, fn: () => void): void {
    const tick = (): void => {
      this.timers.delete(handle);
      if (this.stopped) return;
      fn();
      handle = this.deps.scheduler.after(ms, tick);
      this.timers.add(handle);
    };
    let handle = this.deps.scheduler.after(ms, tick);
    this.timers.add(handle);
  }

  private onDatagram(payload: Buffer, from: Peer): void {
    if (this.stopped) return;
    const envelope = this.receiver.open(payload, from);
    if (!envelope) return;
    const m = envelope.message;
    switch (m.type) {
      case 'report':
        return this.onReport(envelope.senderId, m, from);
      case 'leave':
        return this.onLeave(envelope.senderId, m);
      case 'ack':
        if (m.acked === 'update') return this.pushes.onAck(envelope.senderId, m);
        break;
      case 'table':
      case 'update':
        // Messages an AAP sends but never receives.
        return this.receiver.malformed('unexpected-type', from);
      default:
        break;
    }
    // The rest is AAP-to-AAP: only from a configured peer AAP.
    const peer = this.peers.indexOf(from);
    if (peer < 0) return this.receiver.refuse('unknown-peer', from);
    switch (m.type) {
      case 'ack':
        return this.handover.onAck(m.id);
      case 'digest':
        return this.reconciliation.onDigest(peer, m);
      case 'pull':
        return this.reconciliation.onPull(peer, m);
      case 'state':
        return this.reconciliation.onState(peer, envelope, m);
      case 'handover':
        return this.handover.onHandover(peer, envelope, m, from);
    }
  }

  private onReport(apId: string, m: AapReport, from: Peer): void {
    this.reports.reportsReceived++;
    if (!this.reconciliation.synced) {
      // Serving a half-built table would make APs drop rows; they retry or use another AAP.
      this.reports.reportsDeferred++;
      return;
    }
    const now = this.deps.scheduler.now();
    const ap = this.registry.reported(apId, from, now);
    if (m.homeAgent) {
      const { homeAgent, prefixLength } = m.homeAgent;
      const key = rowKey(networkOf(homeAgent, prefixLength), prefixLength);
      const previous = ap.row?.key;
      this.registry.setRow(ap, { homeAgent, prefixLength, key });
      if (previous !== undefined && previous !== key) this.orphans.check(previous);
      this.orphans.cancel(key);
      const current = this.rows.record(key);
      if (!current || current.deleted || current.homeAgent !== homeAgent)
        this.rows.applyLocal(homeAgent, prefixLength, false, 'discovery');
      else this.rows.table.upsertUint32(homeAgent, prefixLength, 'discovery', now);
    } else if (ap.row) {
      // Reported without a home agent: no longer counts for its old subnet.
      const previous = ap.row.key;
      this.registry.setRow(ap, undefined);
      this.orphans.check(previous);
    }
    this.pushes.sendTable(ap, m.full || m.digest !== this.rows.table.digest());
    this.flush();
  }

  private onLeave(apId: string, m: AapLeave): void {
    const ap = this.registry.get(apId);
    if (!ap) return;
    const key = ap.row?.key;
    this.registry.remove(ap);
    // An AP that moved to another AAP still lives in its subnet: no reason to doubt the home agent.
    if (m.reason === 'stopped' && key !== undefined) this.orphans.check(key);
  }

  private maintain(): void {
    maintain(
      {
        registry: this.registry,
        rows: this.rows,
        orphans: this.orphans,
        reconciliation: this.reconciliation,
        handover: this.handover,
        timing: this.timing,
        flush: () => this.flush(),
      },
      this.deps.scheduler.now(),
    );
  }

  /**
   * After every handler: one subnet-map-updated event for what changed, and the changes on their
   * way to every AP (the push queue).
   */
  private flush(): void {
    const { source, ops } = this.rows.takeChanges();
    if (source !== undefined)
      this.emit({
        type: 'subnet-map-updated',
        rows: this.rows.table.size,
        version: this.rows.table.version,
        source,
      });
    this.pushes.distribute(ops);
  }
}
