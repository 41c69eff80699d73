import { networkOf } from '../wire/ipv4.ts';
import type { AgentEmitter } from '../agents/common.ts';
import type { Scheduler } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { rowKey } from '../subnet-map/digest.ts';
import type { SubnetMapSource } from '../subnet-map/table.ts';
import {
  rowsPerChunk,
  splitIntoChunks,
  type AapEnvelope,
  type AapHandover,
  type AapRowOp,
  type AapStateRow,
} from './codec/index.ts';
import type { AccessPointRegistry } from './access-point-registry.ts';
import { ChunkAssembler } from './chunk-assembler.ts';
import type { Outbox } from './outbox.ts';
import type { PeerList } from './peer-list.ts';
import type { PushQueue } from './push-queue.ts';
import type { StampedTable } from './stamped-table.ts';

export interface HandoverTiming {
  handoverTimeoutMs: number;
  handoverRetries: number;
}

export interface HandoverCounts {
  handoversAccepted: number;
  handoverFailures: number;
  handoversReceived: number;
}

export interface HandoverParts {
  senderId: string;
  maxDatagram: number;
  rows: StampedTable;
  registry: AccessPointRegistry;
  pushes: PushQueue;
  peers: PeerList;
  outbox: Outbox;
  scheduler: Scheduler;
  emit: AgentEmitter;
  timing: HandoverTiming;
  /** Merges rows from another AAP into this one's (`StampedTable.merge` with its own APs). */
  merge: (rows: readonly AapStateRow[], source: SubnetMapSource) => number;
  /** Announces and distributes what changed (the server's flush). */
  flush: () => void;
}

/** Hand-overs remembered to acknowledge a retransmission without taking the AP twice. */
const HANDOVERS_REMEMBERED = 1024;

/**
 * Hand-over between AAPs (docs/aap-protocol.md): an AP that never acknowledged an update is
 * offered, with the rows it missed, to the AAPs after this one in the order, one after the other
 * until one acknowledges; the AAP that takes it pushes its own view of those rows to the AP.
 */
export class Handover {
  readonly counts: HandoverCounts = { handoversAccepted: 0, handoverFailures: 0, handoversReceived: 0 };
  private readonly chunks = new ChunkAssembler<AapStateRow[]>();
  private readonly done = new Set<string>();
  private readonly waiters = new Map<number, (acked: boolean) => void>();

  constructor(private readonly parts: HandoverParts) {}

  /** Offers an unreachable AP and the rows of these keys to the next AAPs in the order. */
  async handOver(apId: string, endpoint: Peer, keys: number[]): Promise<void> {
    const { rows: stamped, peers, outbox, scheduler, timing, emit, senderId, maxDatagram } = this.parts;
    const rows = stamped.stateRowsOf(keys);
    const accessPoint = { id: apId, address: endpoint.address, port: endpoint.port };
    const chunks = splitIntoChunks(rows, rowsPerChunk('handover', senderId, maxDatagram, apId));
    for (let i = peers.selfIndex + 1; i < peers.length; i++) {
      const peer = peers.at(i);
      const handoverId = outbox.nextId();
      for (let attempt = 0; attempt <= timing.handoverRetries; attempt++) {
        const acked = new Promise<boolean>((resolve) => {
          const timer = scheduler.after(timing.handoverTimeoutMs, () => done(false));
          const done = (ok: boolean): void => {
            timer.cancel();
            this.waiters.delete(handoverId);
            resolve(ok);
          };
          this.waiters.set(handoverId, done);
        });
        chunks.forEach((part, index) =>
          outbox.send(peer.config, peer.label, {
            type: 'handover',
            handoverId,
            accessPoint,
            chunk: { index, count: chunks.length },
            rows: part,
          }),
        );
        const ok = await acked;
        if (outbox.stopped) return;
        if (ok) {
          this.counts.handoversAccepted++;
          emit({ type: 'aap-ap-handed-over', accessPoint: apId, to: peer.label });
          return;
        }
      }
    }
    // Nobody after us took it: the AP catches up at its next report (its digest will differ).
    this.counts.handoverFailures++;
  }

  /** A peer AAP acknowledged a hand-over. */
  onAck(handoverId: number): void {
    this.waiters.get(handoverId)?.(true);
  }

  /** A peer AAP hands an AP over to this one. */
  onHandover(peer: number, env: AapEnvelope, m: AapHandover, from: Peer): void {
    const { rows: stamped, registry, pushes, peers, outbox, scheduler } = this.parts;
    const transfer = `${env.senderId}:${env.epoch}:${m.handoverId}`;
    const ack = (): void =>
      outbox.send(from, peers.at(peer).label, {
        type: 'ack',
        acked: 'handover',
        id: m.handoverId,
        version: stamped.table.version,
        digest: stamped.table.digest(),
      });
    if (this.done.has(transfer)) return ack();
    const parts = this.chunks.add(transfer, m.chunk, m.rows, scheduler.now());
    if (!parts) return;
    const rows = parts.flat();
    this.done.add(transfer);
    if (this.done.size > HANDOVERS_REMEMBERED) this.done.delete(this.done.values().next().value!);
    ack();
    this.counts.handoversReceived++;
    this.parts.merge(rows, 'reconciliation');
    const { id, address, port } = m.accessPoint;
    const ap = registry.handedOver(id, { address, port }, scheduler.now(), peers.at(peer).label);
    // The AP gets our current view of every row it missed.
    const ops: AapRowOp[] = [];
    for (const r of rows) {
      const mine = stamped.record(rowKey(networkOf(r.homeAgent, r.prefixLength), r.prefixLength));
      if (mine)
        ops.push({
          op: mine.deleted ? 'remove' : 'upsert',
          homeAgent: mine.homeAgent,
          prefixLength: mine.prefixLength,
        });
    }
    this.parts.flush();
    if (ops.length > 0) pushes.queue(ap, ops);
  }

  /** Drops hand-overs whose chunks started arriving before `before` (ms). */
  expire(before: number): void {
    this.chunks.expire(before);
  }

  /** Every hand-over waiting for an acknowledgement ends unacknowledged. */
  stop(): void {
    for (const w of [...this.waiters.values()]) w(false);
    this.waiters.clear();
  }
}
