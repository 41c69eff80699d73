import type { TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { prefixMask, uint32ToIpv4 } from '../wire/ipv4.ts';
import type { Digest } from '../subnet-map/digest.ts';
import type { AapOps, AapRowOp } from './codec/index.ts';

/** The changes of one flush, with the table's version and digest right after them. */
export interface Batch {
  ops: AapRowOp[];
  version: number;
  digest: Digest;
  /** The update carrying exactly this batch, shared by every AP that needs just it. */
  update: Update | undefined;
}

/** One update, shared by every AP that gets exactly these changes (encoded once). */
export interface Update {
  updateId: number;
  ops: AapOps;
  /** The table's version and digest once these changes are applied. */
  version: number;
  digest: Digest;
  bodies: Buffer[] | undefined;
}

export interface InFlightUpdate {
  update: Update;
  attempt: number;
  timer: TimerHandle | undefined;
}

/** An AP's row in the AP list: its home agent's subnet, and that subnet's row key. */
export interface AccessPointRow {
  homeAgent: number;
  prefixLength: number;
  key: number;
}

export interface AccessPointRecord {
  id: string;
  endpoint: Peer;
  row: AccessPointRow | undefined;
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

/**
 * An AAP's AP list: the APs that report to it (and those another AAP handed over), and per
 * subnet row key which of its own APs live there (a subnet with none is probed, see
 * orphan-probe.ts).
 */
export class AccessPointRegistry {
  private readonly aps = new Map<string, AccessPointRecord>();
  /** Row key -> ids of our own APs in that subnet. */
  private readonly subnetAps = new Map<number, Set<string>>();

  get(id: string): AccessPointRecord | undefined {
    return this.aps.get(id);
  }

  values(): IterableIterator<AccessPointRecord> {
    return this.aps.values();
  }

  /** An AP that reported: added or refreshed, one of ours again if it had been handed over. */
  reported(id: string, from: Peer, now: number): AccessPointRecord {
    let ap = this.aps.get(id);
    if (!ap) {
      ap = newRecord(id, from, now, true, undefined);
      this.aps.set(id, ap);
    }
    ap.endpoint = { ...from };
    ap.lastSeen = now;
    ap.reachable = true;
    ap.handedOverBy = undefined;
    return ap;
  }

  /** An AP another AAP (`by`) handed over; an AP already in the list stays as it is. */
  handedOver(id: string, endpoint: Peer, now: number, by: string): AccessPointRecord {
    let ap = this.aps.get(id);
    if (!ap) {
      ap = newRecord(id, endpoint, now, false, by);
      this.aps.set(id, ap);
    }
    return ap;
  }

  /** Sets the subnet an AP lives in (undefined: none); handed-over APs count for no subnet. */
  setRow(ap: AccessPointRecord, row: AccessPointRow | undefined): void {
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

  remove(ap: AccessPointRecord): void {
    ap.inFlight?.timer?.cancel();
    ap.inFlight = undefined;
    this.setRow(ap, undefined);
    this.aps.delete(ap.id);
  }

  /** Whether one of our own APs lives in the subnet of this row key. */
  hasApsIn(key: number): boolean {
    return this.subnetAps.has(key);
  }

  /** Our own APs not heard from for more than `expiryMs`. */
  expired(now: number, expiryMs: number): AccessPointRecord[] {
    return [...this.aps.values()].filter(
      (ap) => ap.handedOverBy === undefined && now - ap.lastSeen > expiryMs,
    );
  }

  /** APs with changes not acknowledged yet (in flight or waiting). */
  get unacknowledged(): number {
    let n = 0;
    for (const ap of this.aps.values()) if (ap.inFlight || ap.pending.length > 0) n++;
    return n;
  }

  /** The AP list, for the statistics pages. */
  views(): AccessPointView[] {
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
}

function newRecord(
  id: string,
  endpoint: Peer,
  now: number,
  reachable: boolean,
  handedOverBy: string | undefined,
): AccessPointRecord {
  return {
    id,
    endpoint: { ...endpoint },
    row: undefined,
    lastSeen: now,
    reachable,
    handedOverBy,
    pending: [],
    tableSent: false,
    inFlight: undefined,
  };
}
