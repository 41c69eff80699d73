import type { AgentEmitter } from '../agents/common.ts';
import type { TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import type { Digest } from '../subnet-map/digest.ts';
import type { SubnetMapTable } from '../subnet-map/table.ts';
import {
  sealAapMessage,
  type AapEnvelope,
  type AapMessage,
  type AapOps,
  type AapRow,
  type AapRows,
  type AapTable,
  type AapUpdate,
} from './codec/index.ts';
import { ChunkAssembler } from './chunk-assembler.ts';
import {
  checkClientConfig,
  parseHomeAgent,
  type AapClientConfig,
  type ClientTiming,
} from './client-config.ts';
import {
  AP_RECEIVE_BUFFER_BYTES,
  bindUdp,
  peerLabel,
  samePeer,
  subnetMapEmitter,
  type AapPeerConfig,
  type DatagramSocket,
  type SubnetMapDeps,
} from './endpoint.ts';
import { AapReceiver, type RefusalCounts } from './receiver.ts';
import { AapSender } from './sender.ts';

export { DEFAULT_CLIENT_TIMING, MAX_AAPS, type AapClientConfig, type ClientTiming } from './client-config.ts';

/** Update ids remembered per AAP to recognise retransmissions (ids are unique per AAP epoch). */
const APPLIED_UPDATES_KEPT = 64;

export interface AapClientDeps extends SubnetMapDeps {
  /** The table this client keeps: the access point looks clients up in it. */
  table: SubnetMapTable;
}

/** One configured AAP as the statistics pages show it. */
export interface AapLinkStatus {
  aap: string;
  address: string;
  port: number;
  /** The AAP this AP reports to now. */
  active: boolean;
  /** False until it answered once; false again once it stopped answering. */
  reachable: boolean;
  /** The AAP's table version in its last table or update, null before one. */
  lastVersion: number | null;
  lastDigest: Digest | null;
}

export interface RefreshResult {
  /** True when a whole table was loaded. */
  ok: boolean;
  /** The AAP it came from. */
  aap: string | null;
  rows: number;
  version: number;
}

export interface AapClientStats {
  reportsSent: number;
  fullTablesLoaded: number;
  unchangedAnswers: number;
  updatesApplied: number;
  acknowledgementsSent: number;
  failovers: number;
  /** Whole-table fetches started because the digest after an update did not match. */
  resyncs: number;
  refused: RefusalCounts;
}

interface Waiter {
  full: boolean;
  done: (ok: boolean) => void;
}

interface AapSlot {
  config: AapPeerConfig;
  label: string;
  reachable: boolean | undefined;
  lastVersion: number | null;
  lastDigest: Digest | null;
  waiters: Waiter[];
  /** Updates applied from this AAP's current epoch (ids, newest last; bounded). */
  applied: { epoch: number; ids: Set<number> };
}

/**
 * The access point's side of the subnet map protocol (docs/aap-protocol.md): keeps the AP's
 * subnet map table (passed in, shared with the registration code that looks clients up in it).
 *
 * - On start (PMIP enabled) it reports its home agent to the first AAP that answers, in the
 *   configured order, and loads the whole table.
 * - Every report period it reports again (with its table's digest; the AAP answers "unchanged" or
 *   with the table). An AAP that does not answer after every attempt is unreachable: the AP moves
 *   to the next one. While on a backup it asks the better AAPs each period and goes back to the
 *   first that answers.
 * - Updates pushed by an AAP are applied and acknowledged; when the table's digest then differs
 *   from the AAP's, the AP fetches the whole table.
 * - refresh() fetches the whole table now; clear() empties it and fetches it: no restart needed.
 */
export class AapClient {
  private readonly timing: ClientTiming;
  private readonly key: Buffer;
  private readonly emit: AgentEmitter;
  private readonly receiver: AapReceiver;
  private readonly slots: AapSlot[];
  private socket: DatagramSocket | undefined;
  private sender: AapSender | undefined;
  private running = false;
  private active: number | undefined;
  private cycleTimer: TimerHandle | undefined;
  private cycling = false;
  private resyncing = false;
  private homeAgent: AapRow | undefined;
  private readonly tableChunks = new ChunkAssembler<AapRows>(4);
  private readonly updateChunks = new ChunkAssembler<AapOps>(8);
  private readonly counters: Omit<AapClientStats, 'refused'> = {
    reportsSent: 0,
    fullTablesLoaded: 0,
    unchangedAnswers: 0,
    updatesApplied: 0,
    acknowledgementsSent: 0,
    failovers: 0,
    resyncs: 0,
  };

  constructor(
    readonly config: AapClientConfig,
    private readonly deps: AapClientDeps,
  ) {
    const { key, timing, homeAgent } = checkClientConfig(config);
    this.key = key;
    this.timing = timing;
    this.homeAgent = homeAgent;
    this.emit = subnetMapEmitter(deps, config.id);
    this.receiver = new AapReceiver(config.id, this.key, this.emit);
    this.slots = config.aaps.map((a) => ({
      config: a,
      label: peerLabel(a),
      reachable: undefined,
      lastVersion: null,
      lastDigest: null,
      waiters: [],
      applied: { epoch: 0, ids: new Set() },
    }));
  }

  get id(): string {
    return this.config.id;
  }

  get table(): SubnetMapTable {
    return this.deps.table;
  }

  /** The bound port (0 before start). */
  get port(): number {
    return this.socket?.port ?? 0;
  }

  get address(): string {
    return this.socket?.address ?? this.config.address;
  }

  /** Label of the AAP this AP reports to now, if any. */
  get activeAap(): string | undefined {
    return this.active === undefined ? undefined : this.slots[this.active]!.label;
  }

  get started(): boolean {
    return this.running;
  }

  /**
   * Binds the protocol socket and starts reporting (PMIP enabled). Resolves once the socket is
   * bound; the first report is on its way then, and the table fills when an AAP answers.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.socket = await (this.deps.bind ?? bindUdp)({
      address: this.config.address,
      port: this.config.port ?? 0,
      receiveBufferBytes: this.config.receiveBufferBytes ?? AP_RECEIVE_BUFFER_BYTES,
      onDatagram: (payload, from) => this.onDatagram(payload, from),
      onHandlerError: (_error, from) => this.receiver.malformed('handler-error', from),
    });
    this.sender = new AapSender(this.config.id, this.deps.scheduler);
    this.running = true;
    void this.cycle();
  }

  /** Leaves the serving AAP's AP list and closes the socket (PMIP disabled). The table stays. */
  async stop(): Promise<void> {
    if (!this.running) return;
    if (this.active !== undefined) this.send(this.slots[this.active]!, { type: 'leave', reason: 'stopped' });
    this.running = false;
    this.cycleTimer?.cancel();
    this.cycleTimer = undefined;
    for (const slot of this.slots) for (const w of [...slot.waiters]) w.done(false);
    this.active = undefined;
    const socket = this.socket;
    this.socket = undefined;
    // dgram sends after a (same-tick) address lookup: let the leave message go before closing.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await socket?.close();
  }

  /** Fetches the whole table now from the serving AAP (or the first that answers). */
  async refresh(): Promise<RefreshResult> {
    if (!this.running) throw new Error(`accessPoints[${this.id}]: the subnet map client is not started`);
    const current = this.active;
    let ok = current !== undefined && (await this.exchange(current, true, this.timing.attempts));
    if (!ok && this.running) {
      if (current !== undefined) this.markReachable(current, false);
      ok = await this.connect(true, current);
    }
    return {
      ok,
      aap: this.activeAap ?? null,
      rows: this.table.size,
      version: this.table.version,
    };
  }

  /** Empties the table (lookups fail until it is rebuilt) and rebuilds it from the AAP. */
  async clear(): Promise<RefreshResult> {
    this.table.clear();
    this.announce('clear');
    return this.refresh();
  }

  /** The home agent learnt by agent discovery; reported to the serving AAP at once. */
  setHomeAgent(address: string, mask: string): void {
    this.homeAgent = parseHomeAgent({ address, mask }, `accessPoints[${this.id}].homeAgent`);
    if (this.running && this.active !== undefined) this.sendReport(this.active, false);
  }

  /** Per configured AAP: reachability, whether it serves this AP, its last table version. */
  status(): AapLinkStatus[] {
    return this.slots.map((s, i) => ({
      aap: s.label,
      address: s.config.address,
      port: s.config.port,
      active: i === this.active,
      reachable: s.reachable === true,
      lastVersion: s.lastVersion,
      lastDigest: s.lastDigest,
    }));
  }

  stats(): AapClientStats {
    return { ...this.counters, refused: { ...this.receiver.refused } };
  }

  // ---- the report cycle ------------------------------------------------------------------------------

  private async cycle(): Promise<void> {
    if (this.cycling || !this.running) return;
    this.cycling = true;
    this.cycleTimer?.cancel();
    try {
      const current = this.active;
      if (current === undefined) await this.connect(true, undefined);
      else if (await this.exchange(current, false, this.timing.attempts)) {
        this.markReachable(current, true);
        // On a backup: go back to a better AAP as soon as one answers.
        for (let better = 0; better < current && this.running && this.active === current; better++)
          if (await this.exchange(better, false, 1)) this.switchTo(better);
      } else if (this.running) {
        this.markReachable(current, false);
        await this.connect(false, current);
      }
    } finally {
      this.cycling = false;
      if (this.running)
        this.cycleTimer = this.deps.scheduler.after(this.timing.reportIntervalMs, () => void this.cycle());
    }
  }

  /** Tries the AAPs in order (but `skip`, which just failed); the first that answers serves. */
  private async connect(full: boolean, skip: number | undefined): Promise<boolean> {
    for (let i = 0; i < this.slots.length; i++) {
      if (i === skip) continue;
      const ok = await this.exchange(i, full, this.timing.attempts);
      if (!this.running) return false;
      if (ok) {
        this.switchTo(i);
        return true;
      }
      this.markReachable(i, false);
    }
    if (skip !== undefined && this.active === skip) this.active = undefined;
    return false;
  }

  private switchTo(index: number): void {
    const previous = this.active;
    this.active = index;
    this.markReachable(index, true);
    if (previous === undefined || previous === index) return;
    this.counters.failovers++;
    this.emit({ type: 'aap-failover', from: this.slots[previous]!.label, to: this.slots[index]!.label });
    // Leave the old AAP's AP list without making it doubt our home agent.
    this.send(this.slots[previous]!, { type: 'leave', reason: 'moved' });
  }

  private markReachable(index: number, reachable: boolean): void {
    const slot = this.slots[index]!;
    if (slot.reachable === reachable) return;
    slot.reachable = reachable;
    this.emit({ type: 'aap-reachability', aap: slot.label, reachable });
  }

  /** Report, then wait for the table; up to `attempts` times. */
  private async exchange(index: number, full: boolean, attempts: number): Promise<boolean> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (!this.running) return false;
      const answered = this.awaitTable(index, full);
      this.sendReport(index, full);
      if (await answered) return true;
    }
    return false;
  }

  private awaitTable(index: number, full: boolean): Promise<boolean> {
    const slot = this.slots[index]!;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        full,
        done: (ok) => {
          timer.cancel();
          const i = slot.waiters.indexOf(waiter);
          if (i >= 0) slot.waiters.splice(i, 1);
          resolve(ok);
        },
      };
      const timer = this.deps.scheduler.after(this.timing.responseTimeoutMs, () => waiter.done(false));
      slot.waiters.push(waiter);
    });
  }

  private sendReport(index: number, full: boolean): void {
    this.counters.reportsSent++;
    this.send(this.slots[index]!, {
      type: 'report',
      full,
      homeAgent: this.homeAgent ?? null,
      digest: this.table.digest(),
    });
  }

  /** To one configured AAP, named (receiver id) by its label: its configured id or its endpoint. */
  private send(slot: AapSlot, message: AapMessage): void {
    const socket = this.socket;
    if (!this.running || !socket || !this.sender) return;
    socket.send(sealAapMessage(this.sender.next(slot.label), message, this.key), slot.config);
  }

  // ---- receiving --------------------------------------------------------------------------------------

  private onDatagram(payload: Buffer, from: Peer): void {
    if (!this.running) return;
    const envelope = this.receiver.open(payload, from);
    if (!envelope) return;
    const index = this.slots.findIndex((s) => samePeer(s.config, from));
    if (index < 0) return this.receiver.refuse('unknown-peer', from);
    const m = envelope.message;
    if (m.type === 'table') return this.onTable(index, envelope, m);
    if (m.type === 'update') return this.onUpdate(index, envelope, m);
    // Reports, digests, pulls, hand-overs ...: AAP business, never sent to an AP.
    this.receiver.malformed('unexpected-type', from);
  }

  private onTable(index: number, env: AapEnvelope, m: AapTable): void {
    const slot = this.slots[index]!;
    // Only the serving AAP, or one we are asking, may replace our table.
    if (slot.waiters.length === 0 && index !== this.active) return;
    if (!m.unchanged) {
      const parts = this.tableChunks.add(
        `${index}:${env.epoch}:${m.version}:${m.digest}`,
        m.chunk,
        m.rows,
        this.deps.scheduler.now(),
      );
      if (!parts) return;
      const changes = this.table.replaceAll(parts, 'aap', this.deps.scheduler.now());
      this.counters.fullTablesLoaded++;
      if (changes > 0) this.announce('aap');
    } else this.counters.unchangedAnswers++;
    slot.lastVersion = m.version;
    slot.lastDigest = m.digest;
    for (const w of [...slot.waiters]) if (!w.full || !m.unchanged) w.done(true);
  }

  private onUpdate(index: number, env: AapEnvelope, m: AapUpdate): void {
    const slot = this.slots[index]!;
    const ack = (): void => {
      this.counters.acknowledgementsSent++;
      this.send(slot, {
        type: 'ack',
        acked: 'update',
        id: m.updateId,
        version: this.table.version,
        digest: this.table.digest(),
      });
    };
    // A retransmission of an update already applied (our acknowledgement was lost): acknowledge again.
    if (slot.applied.epoch === env.epoch && slot.applied.ids.has(m.updateId)) return ack();
    const parts = this.updateChunks.add(
      `${index}:${env.epoch}:${m.updateId}`,
      m.chunk,
      m.ops,
      this.deps.scheduler.now(),
    );
    if (!parts) return;
    const now = this.deps.scheduler.now();
    let changes = 0;
    for (const { homeAgents, prefixLengths, removes } of parts)
      for (let i = 0; i < homeAgents.length; i++) {
        const changed =
          removes[i] === 1
            ? this.table.removeUint32(homeAgents[i]!, prefixLengths[i]!)
            : this.table.upsertUint32(homeAgents[i]!, prefixLengths[i]!, 'aap', now);
        if (changed) changes++;
      }
    if (slot.applied.epoch !== env.epoch) slot.applied = { epoch: env.epoch, ids: new Set() };
    slot.applied.ids.add(m.updateId);
    if (slot.applied.ids.size > APPLIED_UPDATES_KEPT)
      slot.applied.ids.delete(slot.applied.ids.values().next().value!);
    slot.lastVersion = m.version;
    slot.lastDigest = m.digest;
    this.counters.updatesApplied++;
    if (changes > 0) this.announce('aap');
    ack();
    this.markReachable(index, true);
    // From the serving AAP, the update must leave us with its table; if not, we missed something.
    if (index === this.active && m.digest !== this.table.digest()) this.resync();
  }

  /** The table changed (subnet-map-updated). */
  private announce(source: 'aap' | 'clear'): void {
    this.emit({ type: 'subnet-map-updated', rows: this.table.size, version: this.table.version, source });
  }

  private resync(): void {
    if (this.resyncing || !this.running) return;
    this.resyncing = true;
    this.counters.resyncs++;
    void this.refresh().finally(() => {
      this.resyncing = false;
    });
  }
}
