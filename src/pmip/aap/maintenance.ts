import type { AccessPointRegistry } from './access-point-registry.ts';
import type { Handover } from './handover.ts';
import type { OrphanProbe } from './orphan-probe.ts';
import type { Reconciliation } from './reconciliation.ts';
import type { StampedTable } from './stamped-table.ts';

export interface MaintenanceTiming {
  apExpiryMs: number;
  tombstoneRetentionMs: number;
  pullTimeoutMs: number;
}

export interface MaintenanceParts {
  registry: AccessPointRegistry;
  rows: StampedTable;
  orphans: OrphanProbe;
  reconciliation: Reconciliation;
  handover: Handover;
  timing: MaintenanceTiming;
  /** Announces and distributes what changed (the server's flush). */
  flush: () => void;
}

/**
 * An AAP's periodic clean-up: APs not heard from for `apExpiryMs` leave the AP list (their subnet
 * may then be probed), tombstones older than `tombstoneRetentionMs` are forgotten, and transfers
 * whose chunks stopped coming are dropped.
 */
export function maintain(parts: MaintenanceParts, now: number): void {
  const { registry, rows, orphans, reconciliation, handover, timing } = parts;
  for (const ap of registry.expired(now, timing.apExpiryMs)) {
    const key = ap.row?.key;
    registry.remove(ap);
    if (key !== undefined) orphans.check(key);
  }
  rows.expireTombstones(now - timing.tombstoneRetentionMs);
  reconciliation.expire(now - timing.pullTimeoutMs);
  handover.expire(now - timing.pullTimeoutMs);
  parts.flush();
}
