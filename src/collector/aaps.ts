/**
 * Authoritative access point status, built from events (a design choice: the collector needs no
 * extra view for it): reachability from 'aap-reachability', table version and rows from
 * 'subnet-map-updated' emitted by the AAP itself, and the configured list for the rows to show.
 */
import type { NodeRegistry } from './config.ts';

export interface AapStatus {
  aap: string;
  configured: boolean;
  /** null until some node reported on it. */
  reachable: boolean | null;
  /** When reachability last changed, ms since epoch. */
  reachabilityChangedAt: number | null;
  lastVersion: number | null;
  rows: number | null;
  /** When its table last changed, ms since epoch. */
  lastUpdateAt: number | null;
}

export class AapTable {
  private readonly reachable: Int8Array;
  private readonly changedAt: Float64Array;
  private readonly version: Float64Array;
  private readonly rows: Float64Array;
  private readonly updatedAt: Float64Array;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly configuredCount: number,
  ) {
    const n = registry.capacity;
    this.reachable = new Int8Array(n).fill(-1);
    this.changedAt = new Float64Array(n).fill(NaN);
    this.version = new Float64Array(n).fill(NaN);
    this.rows = new Float64Array(n).fill(NaN);
    this.updatedAt = new Float64Array(n).fill(NaN);
  }

  reachability(aap: string, reachable: boolean, time: number): void {
    const s = this.registry.slot(aap);
    const v = reachable ? 1 : 0;
    if (this.reachable[s] !== v) {
      this.reachable[s] = v;
      this.changedAt[s] = time;
    }
  }

  /** A subnet-map-updated event: counts only when the emitting node is a known AAP. */
  tableUpdated(node: string, rows: number, version: number, time: number): void {
    const s = this.registry.find(node);
    if (s === undefined) return;
    this.version[s] = version;
    this.rows[s] = rows;
    this.updatedAt[s] = time;
  }

  list(): AapStatus[] {
    const { ids, slots } = this.registry.labels();
    return ids.map((aap, i) => {
      const s = slots[i]!;
      const r = this.reachable[s]!;
      return {
        aap,
        configured: s < this.configuredCount,
        reachable: r < 0 ? null : r === 1,
        reachabilityChangedAt: orNull(this.changedAt[s]!),
        lastVersion: orNull(this.version[s]!),
        rows: orNull(this.rows[s]!),
        lastUpdateAt: orNull(this.updatedAt[s]!),
      };
    });
  }
}

function orNull(n: number): number | null {
  return Number.isNaN(n) ? null : n;
}
