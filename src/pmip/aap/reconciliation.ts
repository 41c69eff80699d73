import type { AgentEmitter } from '../agents/common.ts';
import type { Scheduler, TimerHandle } from '../runtime/scheduler.ts';
import { BucketDigests, RECONCILIATION_BUCKETS } from '../subnet-map/digest.ts';
import type { SubnetMapSource } from '../subnet-map/table.ts';
import {
  encodeAapBody,
  rowsPerChunk,
  splitIntoChunks,
  type AapDigest,
  type AapEnvelope,
  type AapPull,
  type AapState,
  type AapStateRow,
} from './codec/index.ts';
import { ChunkAssembler } from './chunk-assembler.ts';
import type { Outbox } from './outbox.ts';
import type { PeerList } from './peer-list.ts';
import type { StampedTable } from './stamped-table.ts';

export { merge, newer, type MergeOutcome, type RowMeta } from './reconciliation-merge.ts';

export interface ReconciliationTiming {
  /** A pull not answered completely within this time is abandoned. */
  pullTimeoutMs: number;
  /** At start: wait this long for a peer's table before serving with what there is. */
  initialSyncTimeoutMs: number;
}

export interface ReconciliationCounts {
  reconciliations: number;
  rowsReconciled: number;
}

export interface ReconciliationParts {
  senderId: string;
  maxDatagram: number;
  rows: StampedTable;
  peers: PeerList;
  outbox: Outbox;
  scheduler: Scheduler;
  emit: AgentEmitter;
  timing: ReconciliationTiming;
  /** Merges rows from another AAP into this one's (`StampedTable.merge` with its own APs). */
  merge: (rows: readonly AapStateRow[], source: SubnetMapSource) => number;
  /** Announces and distributes what changed (the server's flush). */
  flush: () => void;
}

interface PullInFlight {
  transferId: number;
  initial: boolean;
  timer: TimerHandle;
}

const ALL_BUCKETS = (1n << BigInt(RECONCILIATION_BUCKETS)) - 1n;

/**
 * Reconciliation between AAPs (docs/aap-protocol.md): each sends its digest and one digest per
 * bucket to the others; a receiver whose digest differs pulls the buckets that differ and merges
 * the rows (tombstones included) it gets back. At start an AAP pulls everything from its peers
 * and answers no report until that finished (or timed out): `synced`.
 */
export class Reconciliation {
  readonly counts: ReconciliationCounts = { reconciliations: 0, rowsReconciled: 0 };
  private readonly pulls = new Map<number, PullInFlight>();
  private readonly chunks = new ChunkAssembler<AapStateRow[]>();
  private syncDone = false;
  private syncTimer: TimerHandle | undefined;

  constructor(private readonly parts: ReconciliationParts) {}

  /** False until the initial pull from a peer AAP completed (or timed out). */
  get synced(): boolean {
    return this.syncDone;
  }

  /** Pulls every bucket from every peer; synced at once without peers. */
  beginInitialSync(): void {
    const others = this.parts.peers.others();
    if (others.length === 0) {
      this.syncDone = true;
      return;
    }
    for (const i of others) this.pull(i, ALL_BUCKETS, true);
    this.syncTimer = this.parts.scheduler.after(this.parts.timing.initialSyncTimeoutMs, () =>
      this.finishSync(),
    );
  }

  /** Sends this AAP's digest to every peer AAP. */
  sendDigests(): void {
    const { peers, outbox } = this.parts;
    const others = peers.others();
    if (others.length === 0) return;
    const body = encodeAapBody(this.digestMessage());
    for (const i of others) outbox.sendBody(peers.at(i).config, peers.at(i).label, 'digest', body);
  }

  onDigest(peer: number, m: AapDigest): void {
    if (m.digest === this.parts.rows.table.digest()) {
      this.counts.reconciliations++;
      this.parts.emit({ type: 'aap-reconciled', peer: this.parts.peers.at(peer).label, rowsChanged: 0 });
      return;
    }
    const mine = this.digestMessage().buckets;
    let wanted = 0n;
    for (let i = 0; i < RECONCILIATION_BUCKETS; i++) if (mine[i] !== m.buckets[i]) wanted |= 1n << BigInt(i);
    // Equal buckets but different totals cannot happen (the total is their XOR); pull all then.
    this.pull(peer, wanted === 0n ? ALL_BUCKETS : wanted, false);
  }

  onPull(peer: number, m: AapPull): void {
    const { rows: stamped, peers, outbox, senderId, maxDatagram } = this.parts;
    const { config, label } = peers.at(peer);
    const rows = stamped.stateRowsInBuckets(m.buckets);
    const chunks = splitIntoChunks(rows, rowsPerChunk('state', senderId, maxDatagram));
    const version = stamped.table.version;
    const digest = stamped.table.digest();
    chunks.forEach((part, index) => {
      const state: AapState = {
        type: 'state',
        transferId: m.transferId,
        version,
        digest,
        chunk: { index, count: chunks.length },
        rows: part,
      };
      outbox.send(config, label, state);
    });
  }

  onState(peer: number, env: AapEnvelope, m: AapState): void {
    const pull = this.pulls.get(peer);
    if (!pull || pull.transferId !== m.transferId) return;
    const key = `${env.senderId}:${env.epoch}:${m.transferId}`;
    const parts = this.chunks.add(key, m.chunk, m.rows, this.parts.scheduler.now());
    if (!parts) return;
    const rows = parts.flat();
    pull.timer.cancel();
    this.pulls.delete(peer);
    const changed = this.parts.merge(rows, 'reconciliation');
    this.counts.reconciliations++;
    this.counts.rowsReconciled += changed;
    this.parts.emit({ type: 'aap-reconciled', peer: this.parts.peers.at(peer).label, rowsChanged: changed });
    this.parts.flush();
    if (pull.initial) this.finishSync();
  }

  /** Drops pulled state whose chunks started arriving before `before` (ms). */
  expire(before: number): void {
    this.chunks.expire(before);
  }

  stop(): void {
    this.syncTimer?.cancel();
    for (const p of this.pulls.values()) p.timer.cancel();
    this.pulls.clear();
  }

  private digestMessage(): AapDigest {
    const { table } = this.parts.rows;
    const buckets = new BucketDigests();
    table.forEachUint32((ha, len) => buckets.add(ha, len));
    return {
      type: 'digest',
      version: table.version,
      rows: table.size,
      digest: table.digest(),
      buckets: buckets.list(),
    };
  }

  private pull(peer: number, buckets: bigint, initial: boolean): void {
    if (this.pulls.has(peer)) return;
    const { peers, outbox, scheduler, timing } = this.parts;
    const transferId = outbox.nextId();
    const timer = scheduler.after(timing.pullTimeoutMs, () => {
      if (this.pulls.get(peer)?.transferId === transferId) this.pulls.delete(peer);
    });
    this.pulls.set(peer, { transferId, initial, timer });
    const pull: AapPull = { type: 'pull', transferId, buckets };
    outbox.send(peers.at(peer).config, peers.at(peer).label, pull);
  }

  private finishSync(): void {
    if (this.syncDone) return;
    this.syncDone = true;
    this.syncTimer?.cancel();
    this.syncTimer = undefined;
  }
}
