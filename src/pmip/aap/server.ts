import type { AgentEmitter } from '../agents/common.ts';
import type { TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { ipv4ToUint32, uint32ToIpv4 } from '../wire/ipv4.ts';
import {
  AAP_PORT,
  chunkColumns,
  encodeAapBody,
  groupKeyBytes,
  opsFrom,
  rowsPerChunk,
  sealAapBody,
  sealAapMessage,
  sliceOps,
  sliceRows,
  splitIntoChunks,
  type AapAck,
  type AapDigest,
  type AapEnvelope,
  type AapHandover,
  type AapLeave,
  type AapMessage,
  type AapOps,
  type AapPull,
  type AapReport,
  type AapRowOp,
  type AapRows,
  type AapState,
  type AapStateRow,
} from './codec/index.ts';
import { ChunkAssembler } from './chunk-assembler.ts';
import {
  BucketDigests,
  RECONCILIATION_BUCKETS,
  bucketOf,
  networkOf,
  prefixMask,
  rowKey,
  type Digest,
} from '../subnet-map/digest.ts';
import {
  AAP_RECEIVE_BUFFER_BYTES,
  AapReceiver,
  bindUdp,
  checkAddress,
  checkCount,
  checkDuration,
  checkMaxDatagram,
  checkNodeId,
  checkPortNumber,
  endpointName,
  peerLabel,
  samePeer,
  subnetMapEmitter,
  type AapPeerConfig,
  type DatagramSocket,
  type RefusalCounts,
  type SubnetMapDeps,
} from './endpoint.ts';
import { HomeAgentProber, type HomeAgentProbeConfig, type ProbedRow } from './home-agent-prober.ts';
import { AapSender } from './replay.ts';
import { SubnetMapTable, maskToPrefixLength, type SubnetMapSource } from '../subnet-map/table.ts';

/**
 * An authoritative access point (AAP): keeps the site's subnet map table and distributes it over
 * the subnet map protocol (docs/aap-protocol.md).
 *
 * - Access points report their home agent; the AAP adds the row, answers with the whole table
 *   (or "unchanged" when the AP's digest matches), and pushes the change to every other AP.
 * - Pushes wait for an acknowledgement and are retried with backoff; an AP that never answers is
 *   handed to the next AAP in the configured order, which tries it in turn.
 * - AAPs exchange digests (64 buckets) periodically and pull the buckets that differ; rows carry
 *   a change stamp and removals leave tombstones, so the merge (newest stamp wins) converges.
 * - When the last AP of a subnet leaves, the AAP probes that subnet's home agent; silence removes
 *   the row.
 */
export interface AapTiming {
  /** First wait for an update's acknowledgement (default 500 ms). */
  pushTimeoutMs: number;
  /** Retransmissions of an update before the AP is handed over (default 3). */
  pushRetries: number;
  /** Each retry waits this many times longer than the one before (default 2). */
  pushBackoff: number;
  /** Longest wait for one attempt (default 4000 ms). */
  pushMaxTimeoutMs: number;
  /** Wait for the next AAP to acknowledge a hand-over, per attempt (default 500 ms). */
  handoverTimeoutMs: number;
  /** Hand-over retransmissions per AAP (default 1). */
  handoverRetries: number;
  /** Period of the digest exchange between AAPs (default 30 s). */
  reconcileIntervalMs: number;
  /** A pull not answered completely within this time is abandoned (default 2000 ms). */
  pullTimeoutMs: number;
  /** At start: wait this long for a peer's table before serving with what there is (default 2000 ms). */
  initialSyncTimeoutMs: number;
  /** An AP that has not reported for this long leaves the AP list (default 100 s). */
  apExpiryMs: number;
  /** Period of AP expiry and tombstone clean-up (default 10 s). */
  maintenanceIntervalMs: number;
  /** How long removals are remembered for reconciliation (default 1 h). */
  tombstoneRetentionMs: number;
  /** A row without APs whose home agent answered is probed again after this long (default 60 s). */
  probeIntervalMs: number;
}

export const DEFAULT_AAP_TIMING: Readonly<AapTiming> = Object.freeze({
  pushTimeoutMs: 500,
  pushRetries: 3,
  pushBackoff: 2,
  pushMaxTimeoutMs: 4000,
  handoverTimeoutMs: 500,
  handoverRetries: 1,
  reconcileIntervalMs: 30_000,
  pullTimeoutMs: 2000,
  initialSyncTimeoutMs: 2000,
  apExpiryMs: 100_000,
  maintenanceIntervalMs: 10_000,
  tombstoneRetentionMs: 3_600_000,
  probeIntervalMs: 60_000,
});

export interface SubnetMapRowConfig {
  homeAgent: string;
  mask: string;
}

export interface AapServerConfig {
  /** Sender id on the wire and `node` in events; unique among the site's APs and AAPs. */
  id: string;
  address: string;
  /** UDP port (default 6500; 0 = any free port, see `port` once started). */
  port?: number;
  /** The site's shared group key (at least 16 bytes). Never logged, never in events. */
  groupKey: string | Uint8Array;
  /**
   * The site's AAPs in the order the access points use, this one included at its place. Peers
   * for reconciliation; the order decides where an unreachable AP is handed over to.
   */
  aaps?: AapPeerConfig[];
  /** Rows from the configuration, loaded at start. */
  rows?: SubnetMapRowConfig[];
  timing?: Partial<AapTiming>;
  probe?: HomeAgentProbeConfig;
  /** Largest datagram sent (default 1400 bytes). */
  maxDatagramBytes?: number;
  /** SO_RCVBUF asked for (default 4 MiB, capped by the kernel's net.core.rmem_max). */
  receiveBufferBytes?: number;
}

export interface AapStats {
  reportsReceived: number;
  /** Reports not answered because the AAP had not finished its initial sync yet. */
  reportsDeferred: number;
  fullTablesSent: number;
  unchangedTablesSent: number;
  updatesSent: number;
  updatesAcknowledged: number;
  pushRetries: number;
  /** APs that never acknowledged an update after every retry. */
  pushFailures: number;
  handoversAccepted: number;
  handoverFailures: number;
  handoversReceived: number;
  /** Handed-over APs this AAP reached. */
  handoversDelivered: number;
  reconciliations: number;
  rowsReconciled: number;
  probesAnswered: number;
  probesTimedOut: number;
  refused: RefusalCounts;
}

export interface AccessPointView {
  id: string;
  address: string;
  port: number;
  homeAgent: string | null;
  mask: string | null;
  reachable: boolean;
  /** Last report (or acknowledgement), ms since epoch. */
  lastSeen: number;
  /** Changes waiting for or in an unacknowledged update. */
  pendingChanges: number;
  /** Set when another AAP handed this AP over: its label. */
  handedOverBy: string | null;
}

const NO_ROWS: AapRows = { homeAgents: new Uint32Array(0), prefixLengths: new Uint8Array(0) };

interface RowMeta {
  homeAgent: number;
  prefixLength: number;
  network: number;
  deleted: boolean;
  stamp: number;
}

/** The changes of one flush, with the table's version and digest right after them. */
interface Batch {
  ops: AapRowOp[];
  version: number;
  digest: Digest;
  /** The update carrying exactly this batch, shared by every AP that needs just it. */
  update: Update | undefined;
}

/** One update, shared by every AP that gets exactly these changes (encoded once). */
interface Update {
  updateId: number;
  ops: AapOps;
  /** The table's version and digest once these changes are applied. */
  version: number;
  digest: Digest;
  bodies: Buffer[] | undefined;
}

interface InFlightUpdate {
  update: Update;
  attempt: number;
  timer: TimerHandle | undefined;
}

interface AccessPointRecord {
  id: string;
  endpoint: Peer;
  row: { homeAgent: number; prefixLength: number; key: number } | undefined;
  lastSeen: number;
  reachable: boolean;
  /** Label of the AAP that handed this AP over; undefined for our own APs. */
  handedOverBy: string | undefined;
  /** Batches of changes this AP still needs beyond its update in flight, oldest first. */
  pending: Batch[];
  /** It got the whole table since the last flush: the changes of this batch are in it. */
  tableSent: boolean;
  inFlight: InFlightUpdate | undefined;
}

interface PullInFlight {
  transferId: number;
  initial: boolean;
  timer: TimerHandle;
}

interface Orphan {
  timer: TimerHandle | undefined;
}

interface PeerSlot {
  config: AapPeerConfig;
  label: string;
}

export class AapServer {
  /** The live rows; what access points get. */
  readonly table = new SubnetMapTable();
  private readonly timing: AapTiming;
  private readonly key: Buffer;
  private readonly emit: AgentEmitter;
  private readonly maxDatagram: number;
  private readonly sender: AapSender;
  private readonly receiver: AapReceiver;
  private socket: DatagramSocket | undefined;
  private prober: HomeAgentProber | undefined;
  private peers: PeerSlot[] = [];
  private selfIndex = 0;
  /** Row key -> stamp and tombstone flag; live rows mirror `table`. */
  private readonly meta = new Map<number, RowMeta>();
  private lastStamp = 0;
  private readonly aps = new Map<string, AccessPointRecord>();
  /** Row key -> ids of our own APs in that subnet. */
  private readonly subnetAps = new Map<number, Set<string>>();
  private readonly orphans = new Map<number, Orphan>();
  private readonly pulls = new Map<number, PullInFlight>();
  private readonly stateChunks = new ChunkAssembler<AapStateRow[]>();
  private readonly handoverChunks = new ChunkAssembler<AapStateRow[]>();
  private readonly handoversDone = new Set<string>();
  private readonly handoverWaiters = new Map<number, (acked: boolean) => void>();
  private readonly timers = new Set<TimerHandle>();
  private tableCache: { version: number; bodies: Buffer[] } | undefined;
  private synced = false;
  private syncTimer: TimerHandle | undefined;
  private stopped = false;
  private nextId = 0;
  private dirty: SubnetMapSource | undefined;
  /** Changes since the last flush, for every AP. */
  private readonly batch = new Map<number, AapRowOp>();
  private readonly counters: Omit<AapStats, 'refused'> = {
    reportsReceived: 0,
    reportsDeferred: 0,
    fullTablesSent: 0,
    unchangedTablesSent: 0,
    updatesSent: 0,
    updatesAcknowledged: 0,
    pushRetries: 0,
    pushFailures: 0,
    handoversAccepted: 0,
    handoverFailures: 0,
    handoversReceived: 0,
    handoversDelivered: 0,
    reconciliations: 0,
    rowsReconciled: 0,
    probesAnswered: 0,
    probesTimedOut: 0,
  };

  private constructor(
    readonly config: AapServerConfig,
    private readonly deps: SubnetMapDeps,
  ) {
    const field = `aaps[${config.id}]`;
    checkNodeId(config.id, `${field}.id`);
    checkAddress(config.address, `${field}.address`);
    checkPortNumber(config.port ?? AAP_PORT, `${field}.port`);
    this.key = groupKeyBytes(config.groupKey, `${field}.groupKey`);
    this.maxDatagram = checkMaxDatagram(config.maxDatagramBytes, `${field}.maxDatagramBytes`);
    this.timing = { ...DEFAULT_AAP_TIMING, ...config.timing };
    for (const name of Object.keys(DEFAULT_AAP_TIMING) as Array<keyof AapTiming>) {
      if (name === 'pushRetries' || name === 'handoverRetries')
        checkCount(this.timing[name], `${field}.timing.${name}`, 0, 20);
      else if (name === 'pushBackoff') checkDuration(this.timing[name], `${field}.timing.${name}`, 1);
      else checkDuration(this.timing[name], `${field}.timing.${name}`);
    }
    (config.aaps ?? []).forEach((p, i) => {
      checkAddress(p.address, `${field}.aaps[${i}].address`);
      checkPortNumber(p.port, `${field}.aaps[${i}].port`);
      // The peer's name on the wire (receiver id): its id, else its endpoint.
      checkNodeId(peerLabel(p), `${field}.aaps[${i}].id`);
    });
    for (const [i, r] of (config.rows ?? []).entries()) {
      ipv4ToUint32(r.homeAgent, `${field}.rows[${i}].homeAgent`);
      maskToPrefixLength(r.mask, `${field}.rows[${i}].mask`);
    }
    this.emit = subnetMapEmitter(deps, config.id);
    this.sender = new AapSender(config.id, deps.scheduler);
    this.receiver = new AapReceiver(config.id, this.key, this.emit);
  }

  /** Validates the configuration, binds the socket and the probe socket, and starts serving. */
  static async start(config: AapServerConfig, deps: SubnetMapDeps): Promise<AapServer> {
    const aap = new AapServer(config, deps);
    try {
      aap.socket = await (deps.bind ?? bindUdp)({
        address: config.address,
        port: config.port ?? AAP_PORT,
        receiveBufferBytes: config.receiveBufferBytes ?? AAP_RECEIVE_BUFFER_BYTES,
        onDatagram: (payload, from) => aap.onDatagram(payload, from),
        onHandlerError: (_error, from) => aap.receiver.malformed('handler-error', from),
      });
      aap.prober = await HomeAgentProber.start(config.address, config.probe ?? {}, {
        scheduler: deps.scheduler,
        random: deps.random,
        emit: aap.emit,
        ...(deps.bind ? { bind: deps.bind } : {}),
      });
      // An AP or peer not configured with this AAP's id names it by its endpoint.
      aap.receiver.answerTo(endpointName({ address: aap.address, port: aap.port }));
      aap.resolvePeers();
      aap.loadConfiguredRows();
      aap.beginInitialSync();
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

  get address(): string {
    return this.socket?.address ?? this.config.address;
  }

  /** The bound port (useful when 0 was configured). */
  get port(): number {
    return this.socket?.port ?? 0;
  }

  /** APs with changes not acknowledged yet (in flight or waiting). */
  get unacknowledged(): number {
    let n = 0;
    for (const ap of this.aps.values()) if (ap.inFlight || ap.pending.length > 0) n++;
    return n;
  }

  /** This AAP's epoch on the wire (changes on every start). */
  get epoch(): number {
    return this.sender.epoch;
  }

  /** False until the initial pull from a peer AAP completed (or timed out); reports wait till then. */
  get isSynced(): boolean {
    return this.synced;
  }

  digest(): Digest {
    return this.table.digest();
  }

  /** The AP list, for the statistics pages. */
  accessPoints(): AccessPointView[] {
    return [...this.aps.values()].map((ap) => ({
      id: ap.id,
      address: ap.endpoint.address,
      port: ap.endpoint.port,
      homeAgent: ap.row ? uint32ToIpv4(ap.row.homeAgent) : null,
      mask: ap.row ? uint32ToIpv4(prefixMask(ap.row.prefixLength)) : null,
      reachable: ap.reachable,
      lastSeen: ap.lastSeen,
      pendingChanges:
        ap.pending.reduce((n, b) => n + b.ops.length, 0) + (ap.inFlight?.update.ops.homeAgents.length ?? 0),
      handedOverBy: ap.handedOverBy ?? null,
    }));
  }

  stats(): AapStats {
    return { ...this.counters, refused: { ...this.receiver.refused } };
  }

  /** Operator action: adds (or changes) a row, pushed to every AP like a learnt one. */
  addRow(homeAgent: string, mask: string): boolean {
    const len = maskToPrefixLength(mask);
    const changed = this.applyLocal(ipv4ToUint32(homeAgent, 'homeAgent'), len, false, 'config');
    this.flush();
    return changed;
  }

  /** Operator action: adds many rows at once (one update per AP); returns how many changed. */
  addRows(rows: readonly SubnetMapRowConfig[]): number {
    let changed = 0;
    for (const r of rows)
      if (
        this.applyLocal(ipv4ToUint32(r.homeAgent, 'homeAgent'), maskToPrefixLength(r.mask), false, 'config')
      )
        changed++;
    this.flush();
    return changed;
  }

  /** Operator action: removes the row of a subnet (the removal reaches the other AAPs too). */
  removeRow(homeAgent: string, mask: string): boolean {
    const len = maskToPrefixLength(mask);
    const ha = ipv4ToUint32(homeAgent, 'homeAgent');
    if (this.table.homeAgentOf(ha, len) === undefined) return false;
    const changed = this.applyLocal(this.table.homeAgentOf(ha, len)!, len, true, 'config');
    this.flush();
    return changed;
  }

  /** Sends this AAP's digest to every peer AAP now (the periodic reconciliation does the same). */
  reconcileNow(): void {
    if (this.stopped) return;
    const others = this.otherPeers();
    if (others.length === 0) return;
    const body = encodeAapBody(this.digestMessage());
    for (const i of others) this.sendBody(this.peers[i]!.config, this.peers[i]!.label, 'digest', body);
  }

  /** Stops every timer and closes the sockets. The table stays readable. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.syncTimer?.cancel();
    for (const p of this.pulls.values()) p.timer.cancel();
    this.pulls.clear();
    for (const ap of this.aps.values()) ap.inFlight?.timer?.cancel();
    for (const o of this.orphans.values()) o.timer?.cancel();
    this.orphans.clear();
    for (const w of [...this.handoverWaiters.values()]) w(false);
    this.handoverWaiters.clear();
    const socket = this.socket;
    this.socket = undefined;
    await Promise.all([socket?.close(), this.prober?.stop()]);
  }

  // ---- set-up -------------------------------------------------------------------------------------

  private resolvePeers(): void {
    const self: Peer = { address: this.address, port: this.port };
    const configured = this.config.aaps ?? [];
    if (configured.length === 0) {
      this.peers = [{ config: { id: this.id, ...self }, label: this.id }];
      this.selfIndex = 0;
      return;
    }
    this.selfIndex = configured.findIndex((p) => samePeer(p, self));
    if (this.selfIndex < 0)
      throw new Error(
        `aaps[${this.id}].aaps: must list this AAP (${self.address}:${self.port}) at its place in the order`,
      );
    this.peers = configured.map((p, i) => ({
      config: p,
      label: i === this.selfIndex ? this.id : peerLabel(p),
    }));
  }

  private loadConfiguredRows(): void {
    const now = this.deps.scheduler.now();
    let changed = false;
    for (const r of this.config.rows ?? []) {
      const len = maskToPrefixLength(r.mask);
      const ha = ipv4ToUint32(r.homeAgent);
      const network = networkOf(ha, len);
      // Stamp 1: configuration seeds the table; anything learnt later (stamped with time) wins.
      this.meta.set(rowKey(network, len), {
        homeAgent: ha,
        prefixLength: len,
        network,
        deleted: false,
        stamp: 1,
      });
      changed = this.table.upsertUint32(ha, len, 'config', now) || changed;
    }
    if (changed) this.dirty = 'config';
    this.flush();
  }

  private beginInitialSync(): void {
    const others = this.otherPeers();
    if (others.length === 0) {
      this.synced = true;
      return;
    }
    for (const i of others) this.pull(i, (1n << BigInt(RECONCILIATION_BUCKETS)) - 1n, true);
    this.syncTimer = this.deps.scheduler.after(this.timing.initialSyncTimeoutMs, () => this.finishSync());
  }

  private finishSync(): void {
    if (this.synced) return;
    this.synced = true;
    this.syncTimer?.cancel();
    this.syncTimer = undefined;
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

  private otherPeers(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.peers.length; i++) if (i !== this.selfIndex) out.push(i);
    return out;
  }

  private peerIndexOf(from: Peer): number {
    return this.peers.findIndex((p, i) => i !== this.selfIndex && samePeer(p.config, from));
  }

  // ---- sending --------------------------------------------------------------------------------------

  /**
   * Seals an encoded body for one receiver: `receiverId` is what the datagram names, under the
   * HMAC (an AP's id; a peer AAP's label: its configured id, else its endpoint). Bodies are sized
   * for the longest receiver id (rowsPerChunk), so one encoding serves every receiver.
   */
  private sendBody(to: Peer, receiverId: string, type: AapMessage['type'], body: Uint8Array): void {
    const socket = this.socket;
    if (this.stopped || !socket) return;
    socket.send(sealAapBody(this.sender.next(receiverId), type, body, this.key), to);
  }

  private send(to: Peer, receiverId: string, message: AapMessage): void {
    const socket = this.socket;
    if (this.stopped || !socket) return;
    socket.send(sealAapMessage(this.sender.next(receiverId), message, this.key), to);
  }

  private id32(): number {
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return this.nextId;
  }

  // ---- receiving ------------------------------------------------------------------------------------

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
        if (m.acked === 'update') return this.onUpdateAck(envelope.senderId, m);
        break;
      case 'table':
      case 'update':
        // Messages an AAP sends but never receives.
        return this.receiver.malformed('unexpected-type', from);
      default:
        break;
    }
    // The rest is AAP-to-AAP: only from a configured peer AAP.
    const peer = this.peerIndexOf(from);
    if (peer < 0) return this.receiver.refuse('unknown-peer', from);
    switch (m.type) {
      case 'ack':
        return this.handoverWaiters.get(m.id)?.(true);
      case 'digest':
        return this.onDigest(peer, m);
      case 'pull':
        return this.onPull(peer, m);
      case 'state':
        return this.onState(peer, envelope, m);
      case 'handover':
        return this.onHandover(peer, envelope, m, from);
    }
  }

  // ---- access points ---------------------------------------------------------------------------------

  private onReport(apId: string, m: AapReport, from: Peer): void {
    this.counters.reportsReceived++;
    if (!this.synced) {
      // Serving a half-built table would make APs drop rows; they retry or use another AAP.
      this.counters.reportsDeferred++;
      return;
    }
    const now = this.deps.scheduler.now();
    let ap = this.aps.get(apId);
    if (!ap) {
      ap = {
        id: apId,
        endpoint: { ...from },
        row: undefined,
        lastSeen: now,
        reachable: true,
        handedOverBy: undefined,
        pending: [],
        tableSent: false,
        inFlight: undefined,
      };
      this.aps.set(apId, ap);
    }
    ap.endpoint = { ...from };
    ap.lastSeen = now;
    ap.reachable = true;
    ap.handedOverBy = undefined;
    if (m.homeAgent) {
      const { homeAgent, prefixLength } = m.homeAgent;
      const key = rowKey(networkOf(homeAgent, prefixLength), prefixLength);
      const previous = ap.row?.key;
      this.setApRow(ap, { homeAgent, prefixLength, key });
      if (previous !== undefined && previous !== key) this.checkOrphan(previous);
      this.cancelOrphan(key);
      const current = this.meta.get(key);
      if (!current || current.deleted || current.homeAgent !== homeAgent)
        this.applyLocal(homeAgent, prefixLength, false, 'discovery');
      else this.table.upsertUint32(homeAgent, prefixLength, 'discovery', now);
    } else if (ap.row) {
      // Reported without a home agent: no longer counts for its old subnet.
      const previous = ap.row.key;
      this.setApRow(ap, undefined);
      this.checkOrphan(previous);
    }
    this.sendTable(ap, m.full || m.digest !== this.table.digest());
    this.flush();
  }

  private setApRow(ap: AccessPointRecord, row: AccessPointRecord['row']): void {
    if (ap.row) {
      const set = this.subnetAps.get(ap.row.key);
      set?.delete(ap.id);
      if (set?.size === 0) this.subnetAps.delete(ap.row.key);
    }
    ap.row = row;
    if (row && ap.handedOverBy === undefined) {
      let set = this.subnetAps.get(row.key);
      if (!set) {
        set = new Set();
        this.subnetAps.set(row.key, set);
      }
      set.add(ap.id);
    }
  }

  private removeAp(ap: AccessPointRecord): void {
    ap.inFlight?.timer?.cancel();
    ap.inFlight = undefined;
    this.setApRow(ap, undefined);
    this.aps.delete(ap.id);
  }

  private onLeave(apId: string, m: AapLeave): void {
    const ap = this.aps.get(apId);
    if (!ap) return;
    const key = ap.row?.key;
    this.removeAp(ap);
    // An AP that moved to another AAP still lives in its subnet: no reason to doubt the home agent.
    if (m.reason === 'stopped' && key !== undefined) this.checkOrphan(key);
  }

  /** The whole table (cached per version) or "unchanged" to one AP. */
  private sendTable(ap: AccessPointRecord, full: boolean): void {
    if (!full) {
      this.counters.unchangedTablesSent++;
      this.send(ap.endpoint, ap.id, {
        type: 'table',
        version: this.table.version,
        digest: this.table.digest(),
        totalRows: this.table.size,
        unchanged: true,
        chunk: { index: 0, count: 1 },
        rows: NO_ROWS,
      });
      return;
    }
    this.counters.fullTablesSent++;
    for (const body of this.tableBodies()) this.sendBody(ap.endpoint, ap.id, 'table', body);
    // The full table supersedes whatever was queued for this AP.
    ap.tableSent = true;
    ap.pending = [];
    ap.inFlight?.timer?.cancel();
    ap.inFlight = undefined;
  }

  private tableBodies(): Buffer[] {
    if (this.tableCache?.version === this.table.version) return this.tableCache.bodies;
    const rows: AapRows = {
      homeAgents: new Uint32Array(this.table.size),
      prefixLengths: new Uint8Array(this.table.size),
    };
    let n = 0;
    this.table.forEachUint32((homeAgent, prefixLength) => {
      rows.homeAgents[n] = homeAgent;
      rows.prefixLengths[n++] = prefixLength;
    });
    const chunks = chunkColumns(rows, rowsPerChunk('table', this.id, this.maxDatagram), sliceRows);
    const digest = this.table.digest();
    const bodies = chunks.map((part, index) =>
      encodeAapBody({
        type: 'table',
        version: this.table.version,
        digest,
        totalRows: n,
        unchanged: false,
        chunk: { index, count: chunks.length },
        rows: part,
      }),
    );
    this.tableCache = { version: this.table.version, bodies };
    return bodies;
  }

  // ---- changes and pushes ----------------------------------------------------------------------------

  private nextStamp(): number {
    this.lastStamp = Math.max(Math.floor(this.deps.scheduler.now()), this.lastStamp + 1);
    return this.lastStamp;
  }

  /** A change decided here: stamped, applied, queued for every AP. */
  private applyLocal(
    homeAgent: number,
    prefixLength: number,
    deleted: boolean,
    source: SubnetMapSource,
  ): boolean {
    const network = networkOf(homeAgent, prefixLength);
    const key = rowKey(network, prefixLength);
    this.meta.set(key, { homeAgent, prefixLength, network, deleted, stamp: this.nextStamp() });
    return this.applyVisible(homeAgent, prefixLength, deleted, source);
  }

  private applyVisible(
    homeAgent: number,
    prefixLength: number,
    deleted: boolean,
    source: SubnetMapSource,
  ): boolean {
    const changed = deleted
      ? this.table.removeUint32(homeAgent, prefixLength)
      : this.table.upsertUint32(homeAgent, prefixLength, source, this.deps.scheduler.now());
    if (!changed) return false;
    this.dirty ??= source;
    const key = rowKey(networkOf(homeAgent, prefixLength), prefixLength);
    this.batch.set(key, { op: deleted ? 'remove' : 'upsert', homeAgent, prefixLength });
    return true;
  }

  /**
   * After every handler: one subnet-map-updated event for what changed, and the changes on their
   * way to every AP. APs that are in step (nothing in flight, nothing pending: the usual case)
   * share one update, encoded once; the others get the changes merged into their own.
   */
  private flush(): void {
    if (this.dirty !== undefined) {
      this.emit({
        type: 'subnet-map-updated',
        rows: this.table.size,
        version: this.table.version,
        source: this.dirty,
      });
      this.dirty = undefined;
    }
    const batch: Batch | undefined =
      this.batch.size > 0
        ? {
            ops: [...this.batch.values()],
            version: this.table.version,
            digest: this.table.digest(),
            update: undefined,
          }
        : undefined;
    this.batch.clear();
    for (const ap of this.aps.values()) {
      const skip = ap.tableSent;
      ap.tableSent = false;
      if (batch && !skip) ap.pending.push(batch);
      if (!ap.inFlight) this.sendNext(ap);
    }
  }

  /**
   * Starts the next update for an AP from its pending batches. One batch (every AP in step, or
   * every AP that fell behind by the same batch): its shared update. Several: merged, newest
   * change per row winning, into an update of its own.
   */
  private sendNext(ap: AccessPointRecord): void {
    const pending = ap.pending;
    if (pending.length === 0) return;
    ap.pending = [];
    if (pending.length === 1) {
      const only = pending[0]!;
      this.startUpdate(ap, (only.update ??= this.newUpdate(only.ops, only.version, only.digest)));
      return;
    }
    const merged = new Map<number, AapRowOp>();
    for (const b of pending)
      for (const op of b.ops)
        merged.set(rowKey(networkOf(op.homeAgent, op.prefixLength), op.prefixLength), op);
    const last = pending[pending.length - 1]!;
    this.startUpdate(ap, this.newUpdate([...merged.values()], last.version, last.digest));
  }

  private newUpdate(ops: AapRowOp[], version: number, digest: Digest): Update {
    return { updateId: this.id32(), ops: opsFrom(ops), version, digest, bodies: undefined };
  }

  private startUpdate(ap: AccessPointRecord, update: Update): void {
    if (this.stopped) return;
    ap.inFlight = { update, attempt: 0, timer: undefined };
    this.transmitUpdate(ap, ap.inFlight);
  }

  private transmitUpdate(ap: AccessPointRecord, u: InFlightUpdate): void {
    const update = u.update;
    if (!update.bodies) {
      const chunks = chunkColumns(update.ops, rowsPerChunk('update', this.id, this.maxDatagram), sliceOps);
      update.bodies = chunks.map((ops, index) =>
        encodeAapBody({
          type: 'update',
          updateId: update.updateId,
          version: update.version,
          digest: update.digest,
          chunk: { index, count: chunks.length },
          ops,
        }),
      );
    }
    for (const body of update.bodies) this.sendBody(ap.endpoint, ap.id, 'update', body);
    this.counters.updatesSent++;
    const wait = Math.min(
      this.timing.pushTimeoutMs * this.timing.pushBackoff ** u.attempt,
      this.timing.pushMaxTimeoutMs,
    );
    u.timer = this.deps.scheduler.after(wait, () => this.onPushTimeout(ap, u));
  }

  private onPushTimeout(ap: AccessPointRecord, u: InFlightUpdate): void {
    if (this.stopped || ap.inFlight !== u) return;
    if (u.attempt < this.timing.pushRetries) {
      u.attempt++;
      this.counters.pushRetries++;
      this.emit({ type: 'aap-push-retried', accessPoint: ap.id, attempt: u.attempt });
      this.transmitUpdate(ap, u);
      return;
    }
    // Every retry failed: the next AAP in the order tries this AP (with every change it missed).
    this.counters.pushFailures++;
    const keys = new Set<number>();
    const { homeAgents, prefixLengths } = u.update.ops;
    for (let i = 0; i < homeAgents.length; i++)
      keys.add(rowKey(networkOf(homeAgents[i]!, prefixLengths[i]!), prefixLengths[i]!));
    for (const b of ap.pending)
      for (const op of b.ops) keys.add(rowKey(networkOf(op.homeAgent, op.prefixLength), op.prefixLength));
    ap.inFlight = undefined;
    ap.pending = [];
    ap.reachable = false;
    if (ap.handedOverBy !== undefined) this.removeAp(ap);
    void this.handOver(ap.id, ap.endpoint, [...keys]);
  }

  private onUpdateAck(apId: string, m: AapAck): void {
    const ap = this.aps.get(apId);
    const u = ap?.inFlight;
    if (!ap || !u || u.update.updateId !== m.id) return;
    u.timer?.cancel();
    ap.inFlight = undefined;
    ap.reachable = true;
    ap.lastSeen = this.deps.scheduler.now();
    this.counters.updatesAcknowledged++;
    if (ap.handedOverBy !== undefined && ap.pending.length === 0) {
      // Served on behalf of another AAP: done once it has caught up.
      this.counters.handoversDelivered++;
      this.removeAp(ap);
      return;
    }
    this.sendNext(ap);
  }

  // ---- hand-over ---------------------------------------------------------------------------------------

  private async handOver(apId: string, endpoint: Peer, keys: number[]): Promise<void> {
    const rows: AapStateRow[] = [];
    for (const key of keys) {
      const m = this.meta.get(key);
      if (m)
        rows.push({
          homeAgent: m.homeAgent,
          prefixLength: m.prefixLength,
          deleted: m.deleted,
          stamp: m.stamp,
        });
    }
    const accessPoint = { id: apId, address: endpoint.address, port: endpoint.port };
    const chunks = splitIntoChunks(rows, rowsPerChunk('handover', this.id, this.maxDatagram, apId));
    for (let i = this.selfIndex + 1; i < this.peers.length; i++) {
      const peer = this.peers[i]!;
      const handoverId = this.id32();
      for (let attempt = 0; attempt <= this.timing.handoverRetries; attempt++) {
        const acked = new Promise<boolean>((resolve) => {
          const timer = this.deps.scheduler.after(this.timing.handoverTimeoutMs, () => done(false));
          const done = (ok: boolean): void => {
            timer.cancel();
            this.handoverWaiters.delete(handoverId);
            resolve(ok);
          };
          this.handoverWaiters.set(handoverId, done);
        });
        chunks.forEach((part, index) =>
          this.send(peer.config, peer.label, {
            type: 'handover',
            handoverId,
            accessPoint,
            chunk: { index, count: chunks.length },
            rows: part,
          }),
        );
        const ok = await acked;
        if (this.stopped) return;
        if (ok) {
          this.counters.handoversAccepted++;
          this.emit({ type: 'aap-ap-handed-over', accessPoint: apId, to: peer.label });
          return;
        }
      }
    }
    // Nobody after us took it: the AP catches up at its next report (its digest will differ).
    this.counters.handoverFailures++;
  }

  private onHandover(peer: number, env: AapEnvelope, m: AapHandover, from: Peer): void {
    const transfer = `${env.senderId}:${env.epoch}:${m.handoverId}`;
    const ack = (): void =>
      this.send(from, this.peers[peer]!.label, {
        type: 'ack',
        acked: 'handover',
        id: m.handoverId,
        version: this.table.version,
        digest: this.table.digest(),
      });
    if (this.handoversDone.has(transfer)) return ack();
    const parts = this.handoverChunks.add(transfer, m.chunk, m.rows, this.deps.scheduler.now());
    if (!parts) return;
    const rows = parts.flat();
    this.handoversDone.add(transfer);
    if (this.handoversDone.size > 1024) this.handoversDone.delete(this.handoversDone.values().next().value!);
    ack();
    this.counters.handoversReceived++;
    this.merge(rows, 'reconciliation');
    const { id, address, port } = m.accessPoint;
    let ap = this.aps.get(id);
    if (!ap) {
      ap = {
        id,
        endpoint: { address, port },
        row: undefined,
        lastSeen: this.deps.scheduler.now(),
        reachable: false,
        handedOverBy: this.peers[peer]!.label,
        pending: [],
        tableSent: false,
        inFlight: undefined,
      };
      this.aps.set(id, ap);
    }
    // The AP gets our current view of every row it missed.
    const ops: AapRowOp[] = [];
    for (const r of rows) {
      const mine = this.meta.get(rowKey(networkOf(r.homeAgent, r.prefixLength), r.prefixLength));
      if (mine)
        ops.push({
          op: mine.deleted ? 'remove' : 'upsert',
          homeAgent: mine.homeAgent,
          prefixLength: mine.prefixLength,
        });
    }
    this.flush();
    if (ops.length > 0) {
      ap.pending.push({ ops, version: this.table.version, digest: this.table.digest(), update: undefined });
      if (!ap.inFlight) this.sendNext(ap);
    }
  }

  // ---- reconciliation ------------------------------------------------------------------------------

  private digestMessage(): AapDigest {
    const buckets = new BucketDigests();
    this.table.forEachUint32((ha, len) => buckets.add(ha, len));
    return {
      type: 'digest',
      version: this.table.version,
      rows: this.table.size,
      digest: this.table.digest(),
      buckets: buckets.list(),
    };
  }

  private onDigest(peer: number, m: AapDigest): void {
    if (m.digest === this.table.digest()) {
      this.counters.reconciliations++;
      this.emit({ type: 'aap-reconciled', peer: this.peers[peer]!.label, rowsChanged: 0 });
      return;
    }
    const mine = this.digestMessage().buckets;
    let wanted = 0n;
    for (let i = 0; i < RECONCILIATION_BUCKETS; i++) if (mine[i] !== m.buckets[i]) wanted |= 1n << BigInt(i);
    // Equal buckets but different totals cannot happen (the total is their XOR); pull all then.
    this.pull(peer, wanted === 0n ? (1n << BigInt(RECONCILIATION_BUCKETS)) - 1n : wanted, false);
  }

  private pull(peer: number, buckets: bigint, initial: boolean): void {
    if (this.pulls.has(peer)) return;
    const transferId = this.id32();
    const timer = this.deps.scheduler.after(this.timing.pullTimeoutMs, () => {
      if (this.pulls.get(peer)?.transferId === transferId) this.pulls.delete(peer);
    });
    this.pulls.set(peer, { transferId, initial, timer });
    const pull: AapPull = { type: 'pull', transferId, buckets };
    this.send(this.peers[peer]!.config, this.peers[peer]!.label, pull);
  }

  private onPull(peer: number, m: AapPull): void {
    const { config, label } = this.peers[peer]!;
    const rows: AapStateRow[] = [];
    for (const r of this.meta.values()) {
      if ((m.buckets >> BigInt(bucketOf(r.network, r.prefixLength))) & 1n)
        rows.push({
          homeAgent: r.homeAgent,
          prefixLength: r.prefixLength,
          deleted: r.deleted,
          stamp: r.stamp,
        });
    }
    const chunks = splitIntoChunks(rows, rowsPerChunk('state', this.id, this.maxDatagram));
    const version = this.table.version;
    const digest = this.table.digest();
    chunks.forEach((part, index) => {
      const state: AapState = {
        type: 'state',
        transferId: m.transferId,
        version,
        digest,
        chunk: { index, count: chunks.length },
        rows: part,
      };
      this.send(config, label, state);
    });
  }

  private onState(peer: number, env: AapEnvelope, m: AapState): void {
    const pull = this.pulls.get(peer);
    if (!pull || pull.transferId !== m.transferId) return;
    const parts = this.stateChunks.add(
      `${env.senderId}:${env.epoch}:${m.transferId}`,
      m.chunk,
      m.rows,
      this.deps.scheduler.now(),
    );
    if (!parts) return;
    const rows = parts.flat();
    pull.timer.cancel();
    this.pulls.delete(peer);
    const changed = this.merge(rows, 'reconciliation');
    this.counters.reconciliations++;
    this.counters.rowsReconciled += changed;
    this.emit({ type: 'aap-reconciled', peer: this.peers[peer]!.label, rowsChanged: changed });
    this.flush();
    if (pull.initial) this.finishSync();
  }

  /**
   * Merges rows from another AAP: per row key the newest stamp wins (ties: the higher home agent,
   * then the removal), so every AAP ends with the same rows whatever order merges happen in. One
   * exception keeps what we see with our own eyes: a removal of a subnet where one of our APs
   * lives is refused, and the row restamped so that it wins back everywhere.
   */
  private merge(rows: readonly AapStateRow[], source: SubnetMapSource): number {
    let changed = 0;
    for (const r of rows) {
      const network = networkOf(r.homeAgent, r.prefixLength);
      const key = rowKey(network, r.prefixLength);
      this.lastStamp = Math.max(this.lastStamp, r.stamp);
      const local = this.meta.get(key);
      if (local && !newer(r, local)) continue;
      if (r.deleted && local && !local.deleted && this.subnetAps.has(key)) {
        local.stamp = this.nextStamp();
        continue;
      }
      this.meta.set(key, {
        homeAgent: r.homeAgent,
        prefixLength: r.prefixLength,
        network,
        deleted: r.deleted,
        stamp: r.stamp,
      });
      // A removal takes out the subnet's row whatever its home agent (rows are keyed by subnet).
      if (this.applyVisible(r.homeAgent, r.prefixLength, r.deleted, source)) changed++;
    }
    return changed;
  }

  // ---- home agent probes ------------------------------------------------------------------------------

  /** Starts probing a row's home agent when none of our APs is left in its subnet. */
  private checkOrphan(key: number): void {
    if (this.stopped || this.subnetAps.has(key) || this.orphans.has(key)) return;
    const m = this.meta.get(key);
    if (!m || m.deleted) return;
    const orphan: Orphan = { timer: undefined };
    this.orphans.set(key, orphan);
    void this.probeOrphan(key, orphan);
  }

  private cancelOrphan(key: number): void {
    this.orphans.get(key)?.timer?.cancel();
    this.orphans.delete(key);
  }

  private async probeOrphan(key: number, orphan: Orphan): Promise<void> {
    const m = this.meta.get(key);
    if (!this.prober || this.stopped || this.orphans.get(key) !== orphan || !m || m.deleted) {
      if (this.orphans.get(key) === orphan) this.orphans.delete(key);
      return;
    }
    const row: ProbedRow = {
      homeAgent: uint32ToIpv4(m.homeAgent),
      mask: uint32ToIpv4(prefixMask(m.prefixLength)),
      prefixLength: m.prefixLength,
      network: uint32ToIpv4(m.network),
    };
    const outcome = await this.prober.probe(row);
    if (this.stopped || this.orphans.get(key) !== orphan) return;
    const now = this.meta.get(key);
    if (!now || now.deleted || now.homeAgent !== m.homeAgent) {
      this.orphans.delete(key);
      return;
    }
    if (outcome === 'answered') {
      this.counters.probesAnswered++;
      this.table.upsertUint32(m.homeAgent, m.prefixLength, 'aap', this.deps.scheduler.now());
      orphan.timer = this.deps.scheduler.after(
        this.timing.probeIntervalMs,
        () => void this.probeOrphan(key, orphan),
      );
      return;
    }
    this.counters.probesTimedOut++;
    this.orphans.delete(key);
    this.applyLocal(m.homeAgent, m.prefixLength, true, 'aap');
    this.flush();
  }

  // ---- maintenance --------------------------------------------------------------------------------------

  private maintain(): void {
    const now = this.deps.scheduler.now();
    for (const ap of [...this.aps.values()]) {
      if (ap.handedOverBy !== undefined || now - ap.lastSeen <= this.timing.apExpiryMs) continue;
      const key = ap.row?.key;
      this.removeAp(ap);
      if (key !== undefined) this.checkOrphan(key);
    }
    for (const [key, m] of this.meta)
      if (m.deleted && m.stamp < now - this.timing.tombstoneRetentionMs) this.meta.delete(key);
    this.stateChunks.expire(now - this.timing.pullTimeoutMs);
    this.handoverChunks.expire(now - this.timing.pullTimeoutMs);
    this.flush();
  }
}

/** The merge order: newer stamp, then higher home agent, then removal over presence. */
function newer(a: AapStateRow, b: RowMeta): boolean {
  if (a.stamp !== b.stamp) return a.stamp > b.stamp;
  if (a.homeAgent !== b.homeAgent) return a.homeAgent > b.homeAgent;
  return a.deleted && !b.deleted;
}
