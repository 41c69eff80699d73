import type { DataPlane, DataPlaneAction } from '../runtime/data-plane.ts';
import type { Scheduler, TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { identificationToHex } from '../wire/identification.ts';
import { lifetimeMs, type AgentEmitter } from './common.ts';

/**
 * The home agent's mobility binding table (RFC 5944 section 3.8; haMobilityBindingTable): one row
 * per home address and care-of address, each expiring after its granted lifetime on the injected
 * scheduler, with the data-plane actions of section 4.6 (proxy ARP and a gratuitous ARP when a
 * node leaves home, the reverse when its last binding goes) and the tunnel to each care-of address
 * (sections 4.1-4.2). It emits the binding and ARP events; it makes no decision.
 */

export const ENCAPSULATIONS = ['ip-in-ip', 'gre', 'minimal'] as const;
export type Encapsulation = (typeof ENCAPSULATIONS)[number];

export interface BindingView {
  homeAddress: string;
  careOfAddress: string;
  /** Granted lifetime, seconds (65535 = infinite). */
  lifetime: number;
  registeredAt: number;
  /** When the binding expires (ms since epoch); absent for the infinite lifetime. */
  expiresAt?: number;
  /** Seconds left; absent for the infinite lifetime. */
  remainingSeconds?: number;
  encapsulation: Encapsulation;
  reverseTunnel: boolean;
  /** Identification of the request that created or last renewed the binding, 16 hex digits. */
  identification: string;
  /** Where that request came from (the foreign agent, or the access point directly). */
  source: Peer;
}

/** A registration to record: what the request asked and what was granted. */
export interface BindingGrant {
  homeAddress: string;
  careOfAddress: string;
  /** Granted lifetime, seconds (65535 = infinite). */
  lifetime: number;
  encapsulation: Encapsulation;
  reverseTunnel: boolean;
  identification: bigint;
  source: Peer;
  /** Simultaneous bindings: other care-of addresses of the home address stay. */
  multiple: boolean;
}

interface BindingRecord {
  homeAddress: string;
  careOfAddress: string;
  lifetime: number;
  registeredAt: number;
  expiresAt?: number;
  encapsulation: Encapsulation;
  reverseTunnel: boolean;
  identification: bigint;
  source: Peer;
  timer?: TimerHandle;
}

type Removal = 'binding-removed' | 'binding-expired';

export interface BindingTableDeps {
  scheduler: Scheduler;
  emit: AgentEmitter;
  dataPlane: DataPlane;
}

export class BindingTable {
  /** home address -> care-of address -> binding */
  private readonly table = new Map<string, Map<string, BindingRecord>>();
  private stopped = false;

  constructor(private readonly deps: BindingTableDeps) {}

  /** The care-of addresses bound for `homeAddress` (absent when it has none). */
  careOfAddresses(homeAddress: string): ReadonlyMap<string, unknown> | undefined {
    return this.table.get(homeAddress);
  }

  has(homeAddress: string): boolean {
    return this.table.has(homeAddress);
  }

  /** Every binding, with the seconds left at `now`. */
  views(now: number): BindingView[] {
    const out: BindingView[] = [];
    for (const perHome of this.table.values()) {
      for (const b of perHome.values()) {
        const v: BindingView = {
          homeAddress: b.homeAddress,
          careOfAddress: b.careOfAddress,
          lifetime: b.lifetime,
          registeredAt: b.registeredAt,
          encapsulation: b.encapsulation,
          reverseTunnel: b.reverseTunnel,
          identification: identificationToHex(b.identification),
          source: { ...b.source },
        };
        if (b.expiresAt !== undefined) {
          v.expiresAt = b.expiresAt;
          v.remainingSeconds = Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
        }
        out.push(v);
      }
    }
    return out;
  }

  /** Creates or renews a binding; without `multiple` a new care-of address replaces the old ones (3.8.2). */
  bind(grant: BindingGrant): void {
    const home = grant.homeAddress;
    const coa = grant.careOfAddress;
    const before = this.table.get(home);
    const wasAway = before !== undefined && before.size > 0;
    if (before && !grant.multiple) {
      for (const other of [...before.keys()])
        if (other !== coa) this.remove(home, other, 'binding-removed', true);
    }
    let perHome = this.table.get(home);
    if (!perHome) {
      perHome = new Map();
      this.table.set(home, perHome);
    }
    const now = this.deps.scheduler.now();
    const existing = perHome.get(coa);
    const record: BindingRecord = existing ?? {
      homeAddress: home,
      careOfAddress: coa,
      lifetime: grant.lifetime,
      registeredAt: now,
      encapsulation: grant.encapsulation,
      reverseTunnel: grant.reverseTunnel,
      identification: grant.identification,
      source: { ...grant.source },
    };
    record.timer?.cancel();
    delete record.timer;
    record.lifetime = grant.lifetime;
    record.registeredAt = now;
    record.reverseTunnel = grant.reverseTunnel;
    record.identification = grant.identification;
    record.source = { ...grant.source };
    const ms = lifetimeMs(grant.lifetime);
    if (ms === undefined) delete record.expiresAt;
    else {
      record.expiresAt = now + ms;
      record.timer = this.deps.scheduler.after(ms, () => this.expire(record));
    }
    const event = { homeAddress: home, careOfAddress: coa, lifetime: grant.lifetime };
    if (existing) {
      if (existing.encapsulation !== grant.encapsulation) {
        this.apply({ action: 'tunnel-down', homeAddress: home, careOfAddress: coa });
        existing.encapsulation = grant.encapsulation;
        this.apply({
          action: 'tunnel-up',
          homeAddress: home,
          careOfAddress: coa,
          encapsulation: grant.encapsulation,
        });
      }
      this.deps.emit({ type: 'binding-renewed', ...event });
      return;
    }
    perHome.set(coa, record);
    if (!wasAway) {
      // Section 4.6: intercept the home address on the home link, and tell the link at once.
      this.apply({ action: 'proxy-arp-start', address: home });
      this.deps.emit({ type: 'arp-sent', kind: 'proxy', address: home });
      this.apply({ action: 'gratuitous-arp', address: home });
      this.deps.emit({ type: 'arp-sent', kind: 'gratuitous', address: home });
    }
    this.apply({
      action: 'tunnel-up',
      homeAddress: home,
      careOfAddress: coa,
      encapsulation: grant.encapsulation,
    });
    this.deps.emit({ type: 'binding-created', ...event });
  }

  /** Removes every binding of a home address. */
  removeAll(homeAddress: string, type: Removal): void {
    const perHome = this.table.get(homeAddress);
    if (!perHome) return;
    for (const coa of [...perHome.keys()]) this.remove(homeAddress, coa, type);
  }

  /**
   * Removes one binding. When it was the last one for the home address (and the node is not just
   * moving to another care-of address), proxy ARP stops and a gratuitous ARP restores the node's
   * own mapping on the home link (section 4.6).
   */
  remove(homeAddress: string, careOfAddress: string, type: Removal, moving = false): void {
    const perHome = this.table.get(homeAddress);
    const record = perHome?.get(careOfAddress);
    if (!perHome || !record) return;
    record.timer?.cancel();
    delete record.timer;
    perHome.delete(careOfAddress);
    const last = perHome.size === 0 && !moving;
    if (perHome.size === 0) this.table.delete(homeAddress);
    if (last) this.apply({ action: 'proxy-arp-stop', address: homeAddress });
    this.apply({ action: 'tunnel-down', homeAddress, careOfAddress });
    if (last) {
      this.apply({ action: 'gratuitous-arp', address: homeAddress });
      this.deps.emit({ type: 'arp-sent', kind: 'gratuitous', address: homeAddress });
    }
    this.deps.emit({ type, homeAddress, careOfAddress, lifetime: 0 });
  }

  /** Cancels the expiry timers: the bindings stay visible but no longer expire. */
  stop(): void {
    this.stopped = true;
    for (const perHome of this.table.values())
      for (const b of perHome.values()) {
        b.timer?.cancel();
        delete b.timer;
      }
  }

  private expire(record: BindingRecord): void {
    if (this.stopped) return;
    const current = this.table.get(record.homeAddress)?.get(record.careOfAddress);
    if (current !== record) return;
    delete record.timer;
    this.remove(record.homeAddress, record.careOfAddress, 'binding-expired');
  }

  private apply(action: DataPlaneAction): void {
    try {
      this.deps.dataPlane.apply(action);
    } catch {
      // A failing data-plane adapter must not stop registrations being answered.
    }
  }
}
