import type { TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { identificationLow, identificationToHex } from '../wire/identification.ts';
import type { RegistrationRequest } from '../wire/registration.ts';
import { HolderPool, evictionFor } from './fa-hardening.ts';

/**
 * The foreign agent's pending list (RFC 5944 section 3.7.1): requests relayed to a home agent
 * and not answered yet, keyed by home address and the low 32 bits of the identification (a 133
 * from the home agent replaces the high 32 bits), with the pools that bound it per source, per
 * home agent and overall (docs/agents.md, "Hardening"). The timers are the foreign agent's.
 */

export interface PendingView {
  homeAddress: string;
  homeAgent: string;
  careOfAddress: string;
  /** The request's identification, 16 hex digits. */
  identification: string;
  /** Requested lifetime, seconds. */
  lifetime: number;
  /** Who sent the request (the access point) and gets the reply. */
  requester: Peer;
  receivedAt: number;
  expiresAt: number;
}

export interface PendingRecord {
  key: string;
  request: RegistrationRequest;
  deregistration: boolean;
  requester: Peer;
  /** Where the request was relayed: only a reply from exactly this address and port counts. */
  homeAgent: Peer;
  receivedAt: number;
  expiresAt: number;
  timer: TimerHandle;
}

export interface PendingLimits {
  maxPending: number;
  maxPendingPerSource: number;
  maxPendingPerHomeAgent: number;
}

/** The key of a request or of the reply that answers it. */
export function pendingKey(homeAddress: string, identification: bigint): string {
  return `${homeAddress}/${identificationLow(identification)}`;
}

export class PendingList {
  private readonly byKey = new Map<string, PendingRecord>();
  /** Pending requests by source address, and per home agent by source address. */
  private readonly bySource = new HolderPool<PendingRecord>();
  private readonly byHomeAgent = new Map<string, HolderPool<PendingRecord>>();

  constructor(private readonly limits: PendingLimits) {}

  get(key: string): PendingRecord | undefined {
    return this.byKey.get(key);
  }

  /** Whether `record` is still the entry for its key (not answered, superseded or removed). */
  holds(record: PendingRecord): boolean {
    return this.byKey.get(record.key) === record;
  }

  /**
   * Room for one more pending request from `source` to `homeAgent`: undefined when there is room,
   * the entry to evict (the oldest of the biggest holder) when a pool is full, or 'full' when the
   * source is over its own limit or is itself the biggest holder of the full pool.
   */
  makeRoom(source: string, homeAgent: string): PendingRecord | 'full' | undefined {
    if (this.bySource.count(source) >= this.limits.maxPendingPerSource) return 'full';
    const perHomeAgent = this.byHomeAgent.get(homeAgent);
    if (perHomeAgent && perHomeAgent.size >= this.limits.maxPendingPerHomeAgent)
      return evictionFor(perHomeAgent, source) ?? 'full';
    if (this.bySource.size >= this.limits.maxPending) return evictionFor(this.bySource, source) ?? 'full';
    return undefined;
  }

  add(record: PendingRecord): void {
    const source = record.requester.address;
    this.byKey.set(record.key, record);
    this.bySource.add(source, record);
    let pool = this.byHomeAgent.get(record.request.homeAgent);
    if (!pool) {
      pool = new HolderPool();
      this.byHomeAgent.set(record.request.homeAgent, pool);
    }
    pool.add(source, record);
  }

  /** Removes an entry and cancels its timer. */
  remove(record: PendingRecord): void {
    record.timer.cancel();
    if (this.byKey.get(record.key) === record) this.byKey.delete(record.key);
    const source = record.requester.address;
    this.bySource.remove(source, record);
    const pool = this.byHomeAgent.get(record.request.homeAgent);
    if (pool) {
      pool.remove(source, record);
      if (pool.size === 0) this.byHomeAgent.delete(record.request.homeAgent);
    }
  }

  views(): PendingView[] {
    return [...this.byKey.values()].map((p) => ({
      homeAddress: p.request.homeAddress,
      homeAgent: p.request.homeAgent,
      careOfAddress: p.request.careOfAddress,
      identification: identificationToHex(p.request.identification),
      lifetime: p.request.lifetime,
      requester: { ...p.requester },
      receivedAt: p.receivedAt,
      expiresAt: p.expiresAt,
    }));
  }

  /** Cancels every timer (the entries stay visible). */
  stop(): void {
    for (const p of this.byKey.values()) p.timer.cancel();
  }
}
