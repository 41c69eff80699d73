import { networkInterfaces } from 'node:os';
import { ipv4ToUint32, prefixMask } from '../wire/ipv4.ts';

/**
 * The foreign agent's defences, as pure pieces (docs/agents.md, "Hardening"): which home agent
 * addresses it may relay to, token buckets for the relay rate, and the pending-table pools that
 * let the biggest holder pay when the table is full. Time is always passed in (the injected
 * scheduler's `now()`); nothing here reads a clock.
 */

// ---- home agent addresses ---------------------------------------------------------------------

/** Why a Home Agent field is refused (the request then gets 65, administratively prohibited). */
export type HomeAgentRefusal =
  'own-address' | 'unspecified' | 'broadcast' | 'multicast' | 'reserved' | 'loopback' | 'not-served';

/** One served prefix: network and mask as unsigned 32-bit numbers. */
export interface AddressRange {
  network: number;
  mask: number;
}

export interface HomeAgentPolicy {
  /** The foreign agent's own addresses (unsigned 32-bit). */
  own: ReadonlySet<number>;
  /** Whether 127.0.0.0/8 home agents are acceptable (only when the foreign agent is on loopback itself). */
  loopbackAllowed: boolean;
  /** When present, the only home agents served. */
  served?: readonly AddressRange[];
}

/** Parses `servedHomeAgents`: addresses (`a.b.c.d`) or CIDR (`a.b.c.d/N`); errors name `field[i]`. */
export function parseServedHomeAgents(list: readonly string[], field: string): AddressRange[] {
  return list.map((entry, i) => {
    const at = `${field}[${i}]`;
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(entry);
    if (!m || (m[2] !== undefined && Number(m[2]) > 32))
      throw new Error(`${at}: "${entry}" must be an IPv4 address or CIDR a.b.c.d/N`);
    const mask = prefixMask(m[2] === undefined ? 32 : Number(m[2]));
    return { network: (ipv4ToUint32(m[1]!, at) & mask) >>> 0, mask };
  });
}

export function isLoopback(u: number): boolean {
  return u >>> 24 === 127;
}

/**
 * The reason a Home Agent field must not be relayed to, or undefined when it may be.
 * Subnet-directed broadcast addresses of remote subnets cannot be told from unicast without
 * knowing the subnet: `served` is the way to exclude them.
 */
export function homeAgentRefusal(address: string, policy: HomeAgentPolicy): HomeAgentRefusal | undefined {
  const u = ipv4ToUint32(address);
  if (policy.own.has(u)) return 'own-address';
  if (u >>> 24 === 0) return 'unspecified'; // 0.0.0.0/8, "this network"
  if (u === 0xffffffff) return 'broadcast';
  if (u >>> 28 === 0xe) return 'multicast'; // 224.0.0.0/4
  if (u >>> 28 === 0xf) return 'reserved'; // 240.0.0.0/4
  if (isLoopback(u) && !policy.loopbackAllowed) return 'loopback';
  if (policy.served && !policy.served.some((r) => (u & r.mask) >>> 0 === r.network)) return 'not-served';
  return undefined;
}

/**
 * The addresses a foreign agent bound to `address` answers on: the address itself and the
 * care-of address; for the wildcard 0.0.0.0, every local interface address as well.
 */
export function ownAddresses(address: string, careOfAddress: string): Set<number> {
  const own = new Set([ipv4ToUint32(address), ipv4ToUint32(careOfAddress)]);
  if (address === '0.0.0.0') {
    for (const list of Object.values(networkInterfaces()))
      for (const i of list ?? []) if (i.family === 'IPv4') own.add(ipv4ToUint32(i.address));
  }
  return own;
}

// ---- token buckets ----------------------------------------------------------------------------

export interface RateLimitConfig {
  /** Sustained rate, tokens per second (> 0). */
  ratePerSecond: number;
  /** Bucket size: how many may pass at once after a quiet spell (default: one second's worth). */
  burst?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per key (or one for all), with a bounded number of keys. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  readonly rate: number;
  readonly burst: number;

  constructor(
    config: RateLimitConfig,
    field: string,
    /** Most keys remembered; idle (full) buckets go first, then the oldest. */
    private readonly maxKeys = 10_000,
  ) {
    if (!Number.isFinite(config.ratePerSecond) || config.ratePerSecond <= 0)
      throw new Error(`${field}.ratePerSecond: must be a positive number`);
    this.rate = config.ratePerSecond;
    this.burst = config.burst ?? Math.max(1, config.ratePerSecond);
    if (!Number.isFinite(this.burst) || this.burst < 1)
      throw new Error(`${field}.burst: must be a number >= 1`);
  }

  private bucket(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
      return b;
    }
    const elapsed = now - b.at;
    if (elapsed > 0) b.tokens = Math.min(this.burst, b.tokens + (elapsed * this.rate) / 1000);
    b.at = now;
    return b;
  }

  /** Whether one token is there for `key` (nothing taken). */
  has(key: string, now: number): boolean {
    return this.bucket(key, now).tokens >= 1;
  }

  take(key: string, now: number): void {
    const b = this.bucket(key, now);
    b.tokens = Math.max(0, b.tokens - 1);
  }

  private prune(now: number): void {
    const fullAfterMs = (1000 * this.burst) / this.rate;
    for (const [key, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(key);
    // Still full (many active keys, e.g. spoofed sources): forget the oldest tenth.
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.max(1, Math.floor(this.maxKeys / 10));
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}

// ---- pending pools ----------------------------------------------------------------------------

/**
 * A set of pending entries grouped by holder (source address), oldest first per holder, with the
 * holder holding the most found in O(1): holders are kept in buckets by count.
 */
export class HolderPool<T> {
  private readonly byHolder = new Map<string, Set<T>>();
  private readonly byCount: Array<Set<string>> = [];
  private top = 0;
  size = 0;

  count(holder: string): number {
    return this.byHolder.get(holder)?.size ?? 0;
  }

  add(holder: string, item: T): void {
    let items = this.byHolder.get(holder);
    if (!items) {
      items = new Set();
      this.byHolder.set(holder, items);
    }
    if (items.has(item)) return;
    const before = items.size;
    items.add(item);
    this.size++;
    this.move(holder, before, before + 1);
  }

  remove(holder: string, item: T): void {
    const items = this.byHolder.get(holder);
    if (!items?.delete(item)) return;
    this.size--;
    this.move(holder, items.size + 1, items.size);
    if (items.size === 0) this.byHolder.delete(holder);
  }

  /** The holder with the most entries (ties: the one that got there first). */
  biggest(): string | undefined {
    while (this.top > 0 && !this.byCount[this.top]?.size) this.top--;
    const set = this.byCount[this.top];
    if (!set) return undefined;
    for (const holder of set) return holder;
    return undefined;
  }

  oldestOf(holder: string): T | undefined {
    const items = this.byHolder.get(holder);
    if (!items) return undefined;
    for (const item of items) return item;
    return undefined;
  }

  private move(holder: string, from: number, to: number): void {
    if (from > 0) this.byCount[from]?.delete(holder);
    if (to > 0) {
      let set = this.byCount[to];
      if (!set) {
        set = new Set();
        this.byCount[to] = set;
      }
      set.add(holder);
      if (to > this.top) this.top = to;
    }
  }
}

/**
 * Room in a full pool for `holder`: the oldest entry of the biggest holder to evict, or
 * undefined when `holder` itself holds as many as anyone (it is then the one to refuse).
 */
export function evictionFor<T>(pool: HolderPool<T>, holder: string): T | undefined {
  const victim = pool.biggest();
  if (victim === undefined || victim === holder || pool.count(victim) <= pool.count(holder)) return undefined;
  return pool.oldestOf(victim);
}
