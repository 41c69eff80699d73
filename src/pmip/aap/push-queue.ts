import { networkOf } from '../wire/ipv4.ts';
import type { AgentEmitter } from '../agents/common.ts';
import type { Scheduler } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { rowKey, type Digest } from '../subnet-map/digest.ts';
import type { SubnetMapTable } from '../subnet-map/table.ts';
import {
  chunkColumns,
  encodeAapBody,
  opsFrom,
  rowsPerChunk,
  sliceOps,
  sliceRows,
  type AapAck,
  type AapRowOp,
  type AapRows,
} from './codec/index.ts';
import type {
  AccessPointRecord,
  AccessPointRegistry,
  Batch,
  InFlightUpdate,
  Update,
} from './access-point-registry.ts';
import type { Outbox } from './outbox.ts';

export interface PushTiming {
  pushTimeoutMs: number;
  pushRetries: number;
  pushBackoff: number;
  pushMaxTimeoutMs: number;
}

export interface PushCounts {
  fullTablesSent: number;
  unchangedTablesSent: number;
  updatesSent: number;
  updatesAcknowledged: number;
  pushRetries: number;
  /** APs that never acknowledged an update after every retry. */
  pushFailures: number;
  /** Handed-over APs this AAP reached. */
  handoversDelivered: number;
}

export interface PushQueueParts {
  senderId: string;
  maxDatagram: number;
  table: SubnetMapTable;
  registry: AccessPointRegistry;
  outbox: Outbox;
  scheduler: Scheduler;
  emit: AgentEmitter;
  timing: PushTiming;
  /** Every retry failed: these row keys are what the AP missed (the next AAP tries it). */
  unreachable: (apId: string, endpoint: Peer, keys: number[]) => void;
}

const NO_ROWS: AapRows = { homeAgents: new Uint32Array(0), prefixLengths: new Uint8Array(0) };

/**
 * What each AP gets from its AAP: the whole table (or "unchanged") when it reports, and the
 * changes in between as updates it must acknowledge, retried with backoff. APs that are in step
 * (nothing in flight, nothing pending: the usual case) share one update, encoded once; the others
 * get their pending changes merged into an update of their own.
 */
export class PushQueue {
  readonly counts: PushCounts = {
    fullTablesSent: 0,
    unchangedTablesSent: 0,
    updatesSent: 0,
    updatesAcknowledged: 0,
    pushRetries: 0,
    pushFailures: 0,
    handoversDelivered: 0,
  };
  private tableCache: { version: number; bodies: Buffer[] } | undefined;

  constructor(private readonly parts: PushQueueParts) {}

  /** The whole table (cached per version) or "unchanged" to one AP. */
  sendTable(ap: AccessPointRecord, full: boolean): void {
    const { table, outbox } = this.parts;
    if (!full) {
      this.counts.unchangedTablesSent++;
      outbox.send(ap.endpoint, ap.id, {
        type: 'table',
        version: table.version,
        digest: table.digest(),
        totalRows: table.size,
        unchanged: true,
        chunk: { index: 0, count: 1 },
        rows: NO_ROWS,
      });
      return;
    }
    this.counts.fullTablesSent++;
    for (const body of this.tableBodies()) outbox.sendBody(ap.endpoint, ap.id, 'table', body);
    // The full table supersedes whatever was queued for this AP.
    ap.tableSent = true;
    ap.pending = [];
    ap.inFlight?.timer?.cancel();
    ap.inFlight = undefined;
  }

  /** After a flush: the batch of changes (if any) queued for every AP, and what can go sent. */
  distribute(ops: AapRowOp[]): void {
    const { table, registry } = this.parts;
    const batch: Batch | undefined =
      ops.length > 0 ? { ops, version: table.version, digest: table.digest(), update: undefined } : undefined;
    for (const ap of registry.values()) {
      const skip = ap.tableSent;
      ap.tableSent = false;
      if (batch && !skip) ap.pending.push(batch);
      if (!ap.inFlight) this.sendNext(ap);
    }
  }

  /** Queues changes for one AP (a handed-over AP's missed rows) and sends them unless busy. */
  queue(ap: AccessPointRecord, ops: AapRowOp[]): void {
    const { table } = this.parts;
    ap.pending.push({ ops, version: table.version, digest: table.digest(), update: undefined });
    if (!ap.inFlight) this.sendNext(ap);
  }

  onAck(apId: string, m: AapAck): void {
    const { registry, scheduler } = this.parts;
    const ap = registry.get(apId);
    const u = ap?.inFlight;
    if (!ap || !u || u.update.updateId !== m.id) return;
    u.timer?.cancel();
    ap.inFlight = undefined;
    ap.reachable = true;
    ap.lastSeen = scheduler.now();
    this.counts.updatesAcknowledged++;
    if (ap.handedOverBy !== undefined && ap.pending.length === 0) {
      // Served on behalf of another AAP: done once it has caught up.
      this.counts.handoversDelivered++;
      registry.remove(ap);
      return;
    }
    this.sendNext(ap);
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
    return { updateId: this.parts.outbox.nextId(), ops: opsFrom(ops), version, digest, bodies: undefined };
  }

  private startUpdate(ap: AccessPointRecord, update: Update): void {
    if (this.parts.outbox.stopped) return;
    ap.inFlight = { update, attempt: 0, timer: undefined };
    this.transmit(ap, ap.inFlight);
  }

  private transmit(ap: AccessPointRecord, u: InFlightUpdate): void {
    const { outbox, scheduler, timing, senderId, maxDatagram } = this.parts;
    const update = u.update;
    if (!update.bodies) {
      const chunks = chunkColumns(update.ops, rowsPerChunk('update', senderId, maxDatagram), sliceOps);
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
    for (const body of update.bodies) outbox.sendBody(ap.endpoint, ap.id, 'update', body);
    this.counts.updatesSent++;
    const wait = Math.min(timing.pushTimeoutMs * timing.pushBackoff ** u.attempt, timing.pushMaxTimeoutMs);
    u.timer = scheduler.after(wait, () => this.onTimeout(ap, u));
  }

  private onTimeout(ap: AccessPointRecord, u: InFlightUpdate): void {
    const { outbox, registry, timing, emit } = this.parts;
    if (outbox.stopped || ap.inFlight !== u) return;
    if (u.attempt < timing.pushRetries) {
      u.attempt++;
      this.counts.pushRetries++;
      emit({ type: 'aap-push-retried', accessPoint: ap.id, attempt: u.attempt });
      this.transmit(ap, u);
      return;
    }
    // Every retry failed: the next AAP in the order tries this AP (with every change it missed).
    this.counts.pushFailures++;
    const keys = new Set<number>();
    const { homeAgents, prefixLengths } = u.update.ops;
    for (let i = 0; i < homeAgents.length; i++)
      keys.add(rowKey(networkOf(homeAgents[i]!, prefixLengths[i]!), prefixLengths[i]!));
    for (const b of ap.pending)
      for (const op of b.ops) keys.add(rowKey(networkOf(op.homeAgent, op.prefixLength), op.prefixLength));
    ap.inFlight = undefined;
    ap.pending = [];
    ap.reachable = false;
    if (ap.handedOverBy !== undefined) registry.remove(ap);
    this.parts.unreachable(ap.id, ap.endpoint, [...keys]);
  }

  private tableBodies(): Buffer[] {
    const { table, senderId, maxDatagram } = this.parts;
    if (this.tableCache?.version === table.version) return this.tableCache.bodies;
    const rows: AapRows = {
      homeAgents: new Uint32Array(table.size),
      prefixLengths: new Uint8Array(table.size),
    };
    let n = 0;
    table.forEachUint32((homeAgent, prefixLength) => {
      rows.homeAgents[n] = homeAgent;
      rows.prefixLengths[n++] = prefixLength;
    });
    const chunks = chunkColumns(rows, rowsPerChunk('table', senderId, maxDatagram), sliceRows);
    const digest = table.digest();
    const bodies = chunks.map((part, index) =>
      encodeAapBody({
        type: 'table',
        version: table.version,
        digest,
        totalRows: n,
        unchanged: false,
        chunk: { index, count: chunks.length },
        rows: part,
      }),
    );
    this.tableCache = { version: table.version, bodies };
    return bodies;
  }
}
