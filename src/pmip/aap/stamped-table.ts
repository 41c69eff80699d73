import type { Scheduler } from '../runtime/scheduler.ts';
import { ipv4ToUint32, networkOf } from '../wire/ipv4.ts';
import { bucketOf, rowKey } from '../subnet-map/digest.ts';
import { SubnetMapTable, maskToPrefixLength, type SubnetMapSource } from '../subnet-map/table.ts';
import type { AapRowOp, AapStateRow } from './codec/index.ts';
import { merge, nextStamp, type RowMeta } from './reconciliation-merge.ts';

export interface SubnetMapRowConfig {
  homeAgent: string;
  mask: string;
}

/** The changes since the last flush: what to announce (source) and to push to every AP. */
export interface TableChanges {
  /** Source of the first visible change, undefined when nothing visible changed. */
  source: SubnetMapSource | undefined;
  ops: AapRowOp[];
}

/**
 * An AAP's rows: the live table access points get, and beside it per row key the change stamp
 * and, for removed rows, a tombstone (what reconciliation compares). Collects the visible changes
 * until the server flushes them.
 */
export class StampedTable {
  /** The live rows; what access points get. */
  readonly table = new SubnetMapTable();
  /** Row key -> stamp and tombstone flag; live rows mirror `table`. */
  private readonly records = new Map<number, RowMeta>();
  private lastStamp = 0;
  private dirty: SubnetMapSource | undefined;
  /** Changes since the last flush, for every AP. */
  private readonly batch = new Map<number, AapRowOp>();

  constructor(private readonly scheduler: Scheduler) {}

  record(key: number): RowMeta | undefined {
    return this.records.get(key);
  }

  /** Loads the configured rows at start, with stamp 1: anything learnt later (stamped with time) wins. */
  seed(rows: readonly SubnetMapRowConfig[]): void {
    const now = this.scheduler.now();
    let changed = false;
    for (const r of rows) {
      const len = maskToPrefixLength(r.mask);
      const ha = ipv4ToUint32(r.homeAgent);
      const network = networkOf(ha, len);
      this.records.set(rowKey(network, len), {
        homeAgent: ha,
        prefixLength: len,
        network,
        deleted: false,
        stamp: 1,
      });
      changed = this.table.upsertUint32(ha, len, 'config', now) || changed;
    }
    if (changed) this.dirty = 'config';
  }

  /** A change decided here: stamped, applied, queued for every AP. */
  applyLocal(homeAgent: number, prefixLength: number, deleted: boolean, source: SubnetMapSource): boolean {
    const network = networkOf(homeAgent, prefixLength);
    this.lastStamp = nextStamp(this.lastStamp, this.scheduler.now());
    this.records.set(rowKey(network, prefixLength), {
      homeAgent,
      prefixLength,
      network,
      deleted,
      stamp: this.lastStamp,
    });
    return this.applyVisible(homeAgent, prefixLength, deleted, source);
  }

  /** Rows from another AAP (`merge`); returns how many changed the live table. */
  merge(rows: readonly AapStateRow[], source: SubnetMapSource, livesHere: (key: number) => boolean): number {
    const outcome = merge(this.records, rows, livesHere, {
      lastStamp: this.lastStamp,
      now: this.scheduler.now(),
    });
    this.lastStamp = outcome.lastStamp;
    for (const [key, record] of outcome.records) this.records.set(key, record);
    let changed = 0;
    // A removal takes out the subnet's row whatever its home agent (rows are keyed by subnet).
    for (const r of outcome.taken)
      if (this.applyVisible(r.homeAgent, r.prefixLength, r.deleted, source)) changed++;
    return changed;
  }

  /** The records of these keys (those known), for a hand-over. */
  stateRowsOf(keys: Iterable<number>): AapStateRow[] {
    const rows: AapStateRow[] = [];
    for (const key of keys) {
      const m = this.records.get(key);
      if (m) rows.push(stateRow(m));
    }
    return rows;
  }

  /** The records (tombstones included) of the buckets set in a 64-bit bitmap, for a pull. */
  stateRowsInBuckets(buckets: bigint): AapStateRow[] {
    const rows: AapStateRow[] = [];
    for (const r of this.records.values())
      if ((buckets >> BigInt(bucketOf(r.network, r.prefixLength))) & 1n) rows.push(stateRow(r));
    return rows;
  }

  /** Forgets removals stamped before `before` (ms). */
  expireTombstones(before: number): void {
    for (const [key, m] of this.records) if (m.deleted && m.stamp < before) this.records.delete(key);
  }

  /** What changed since the last call, and starts over. */
  takeChanges(): TableChanges {
    const changes = { source: this.dirty, ops: [...this.batch.values()] };
    this.dirty = undefined;
    this.batch.clear();
    return changes;
  }

  private applyVisible(
    homeAgent: number,
    prefixLength: number,
    deleted: boolean,
    source: SubnetMapSource,
  ): boolean {
    const changed = deleted
      ? this.table.removeUint32(homeAgent, prefixLength)
      : this.table.upsertUint32(homeAgent, prefixLength, source, this.scheduler.now());
    if (!changed) return false;
    this.dirty ??= source;
    const key = rowKey(networkOf(homeAgent, prefixLength), prefixLength);
    this.batch.set(key, { op: deleted ? 'remove' : 'upsert', homeAgent, prefixLength });
    return true;
  }
}

function stateRow(m: RowMeta): AapStateRow {
  return { homeAgent: m.homeAgent, prefixLength: m.prefixLength, deleted: m.deleted, stamp: m.stamp };
}
