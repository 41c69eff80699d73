import {
  ipv4ToUint32,
  maskToPrefixLength as prefixLengthOfMask,
  networkOf,
  prefixMask,
  uint32ToIpv4,
} from '../wire/ipv4.ts';
import { digestText, fmix32, rowHashHigh, rowHashLow, type Digest } from './digest.ts';

/**
 * The subnet map table: rows of home agent address + mask, and the longest-prefix match from a
 * client address to its home agent.
 *
 * Rows live in slots of typed arrays (home agent, prefix length, network, source, time), found
 * through an open-addressing hash index (network and prefix length -> slot) that is a typed array
 * too: an update costs a hash and a probe or two, and a table of 10,000 rows is a few hundred
 * kilobytes with nothing for the garbage collector to trace (an AP receives whole tables; a
 * process may run hundreds of APs). Lookups use a range index: the address space cut into the
 * intervals where the most specific covering prefix is constant, searched by binary search
 * (about 15 steps for 10,000 prefixes, whatever the mix of lengths). The range index is rebuilt
 * lazily, after a few lookups following a change, so a burst of updates (a full table arriving)
 * costs no rebuild; until then a lookup probes the hash index once per prefix length in use,
 * longest first, and is exact all the same.
 */
export type SubnetMapSource = 'config' | 'aap' | 'discovery' | 'reconciliation';
const SOURCES: readonly SubnetMapSource[] = ['config', 'aap', 'discovery', 'reconciliation'];
const SOURCE_INDEX: Readonly<Record<SubnetMapSource, number>> = {
  config: 0,
  aap: 1,
  discovery: 2,
  reconciliation: 3,
};

export interface SubnetMapRow {
  homeAgent: string;
  /** Dotted-quad mask, contiguous (e.g. 255.255.255.0). */
  mask: string;
  prefixLength: number;
  /** The network: homeAgent & mask. */
  network: string;
  source: SubnetMapSource;
  /** When the row was learnt or last confirmed, ms since epoch. */
  updatedAt: number;
}

/** Rows as columns of numbers, the form the AAP protocol carries (home agents as uint32). */
export interface SubnetMapRowColumns {
  homeAgents: ArrayLike<number>;
  prefixLengths: ArrayLike<number>;
}

export class SubnetMapError extends Error {
  override readonly name = 'SubnetMapError';
}

/** The prefix length of a dotted-quad netmask; a SubnetMapError when it is not contiguous. */
export function maskToPrefixLength(mask: string, field = 'mask'): number {
  return prefixLengthOfMask(mask, field, (message) => new SubnetMapError(message));
}

export function prefixLengthToMask(len: number): number {
  return prefixMask(len);
}

/** Lookups on a changed table before the range index is rebuilt. */
const REBUILD_AFTER_LOOKUPS = 32;
const NO_SLOT = -1;
const INITIAL_SLOTS = 16;

function checkPrefixLength(prefixLength: number): void {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32)
    throw new SubnetMapError(`prefixLength: ${prefixLength} must be an integer from 0 to 32`);
}

function hashOf(network: number, prefixLength: number): number {
  return fmix32((network ^ Math.imul(prefixLength + 1, 0x9e3779b1)) >>> 0);
}

export class SubnetMapTable {
  private count = 0;
  /** Incremented on every change; the AAP protocol carries it. */
  version = 0;
  private digestHigh = 0;
  private digestLow = 0;
  // Row storage, one slot per row.
  private homeAgents = new Uint32Array(INITIAL_SLOTS);
  private prefixLengths = new Uint8Array(INITIAL_SLOTS);
  private networks = new Uint32Array(INITIAL_SLOTS);
  private sources = new Uint8Array(INITIAL_SLOTS);
  private updatedAts = new Float64Array(INITIAL_SLOTS);
  private marks = new Uint32Array(INITIAL_SLOTS);
  private alive = new Uint8Array(INITIAL_SLOTS);
  /** Row objects handed out by match(), built on first use per slot. */
  private rowCache: Array<SubnetMapRow | undefined> = [];
  private freeSlots: number[] = [];
  private usedSlots = 0;
  private generation = 0;
  /** Hash index, linear probing: slot + 1 per position, 0 when empty; at most half full. */
  private index = new Int32Array(2 * INITIAL_SLOTS);
  /** Rows per prefix length, and the lengths in use, longest first. */
  private readonly perLength = new Int32Array(33);
  private lengths: number[] = [];
  // Range index: interval starts (ascending, first is 0) and the slot owning each interval.
  private starts = new Uint32Array(1);
  private owners = new Int32Array([NO_SLOT]);
  private indexValid = true;
  private lookupsSinceChange = 0;

  /** Adds or replaces the row for the home agent's subnet; returns true when something changed. */
  upsert(homeAgent: string, mask: string, source: SubnetMapSource, now: number): boolean {
    const prefixLength = maskToPrefixLength(mask);
    return this.upsertUint32(ipv4ToUint32(homeAgent, 'homeAgent'), prefixLength, source, now);
  }

  /** upsert() with the home agent as an unsigned 32-bit integer and the mask as a prefix length. */
  upsertUint32(homeAgent: number, prefixLength: number, source: SubnetMapSource, now: number): boolean {
    checkPrefixLength(prefixLength);
    return this.put(homeAgent >>> 0, prefixLength, source, now) >= 0;
  }

  /** Removes the row of the home agent's subnet; returns true when there was one. */
  remove(homeAgent: string, mask: string): boolean {
    const prefixLength = maskToPrefixLength(mask);
    return this.removeUint32(ipv4ToUint32(homeAgent, 'homeAgent'), prefixLength);
  }

  /** remove() with any address of the subnet as an unsigned 32-bit integer and a prefix length. */
  removeUint32(address: number, prefixLength: number): boolean {
    checkPrefixLength(prefixLength);
    const network = networkOf(address >>> 0, prefixLength);
    const position = this.positionOf(network, prefixLength);
    if (position < 0) return false;
    const slot = this.index[position]! - 1;
    this.unindex(position);
    this.toggleDigest(this.homeAgents[slot]!, prefixLength);
    this.alive[slot] = 0;
    if (slot < this.rowCache.length) this.rowCache[slot] = undefined;
    this.freeSlots.push(slot);
    this.count--;
    if (--this.perLength[prefixLength]! === 0) this.lengths = this.lengths.filter((l) => l !== prefixLength);
    this.changed();
    return true;
  }

  /**
   * Makes the table hold exactly `rows` (a full table from an AAP, in the chunks it came in): new
   * and changed rows first, then the rows that are gone, so no lookup ever sees a gap. Returns
   * the number of changes.
   */
  replaceAll(parts: readonly SubnetMapRowColumns[], source: SubnetMapSource, now: number): number {
    const generation = (this.generation = (this.generation + 1) >>> 0 || 1);
    let changes = 0;
    let kept = 0;
    this.reserve(parts.reduce((n, p) => n + p.homeAgents.length, 0));
    for (const { homeAgents, prefixLengths } of parts) {
      for (let i = 0; i < homeAgents.length; i++) {
        const len = prefixLengths[i]!;
        checkPrefixLength(len);
        const put = this.put(homeAgents[i]! >>> 0, len, source, now);
        const slot = put >= 0 ? put : -put - 1;
        if (put >= 0) changes++;
        if (this.marks[slot] !== generation) {
          this.marks[slot] = generation;
          kept++;
        }
      }
    }
    if (kept === this.count) return changes;
    const gone: number[] = [];
    for (let slot = 0; slot < this.usedSlots; slot++)
      if (this.alive[slot] === 1 && this.marks[slot] !== generation) gone.push(slot);
    for (const slot of gone)
      if (this.removeUint32(this.networks[slot]!, this.prefixLengths[slot]!)) changes++;
    return changes;
  }

  /** Makes room for `rows` rows in all, so that a burst of inserts grows nothing on the way. */
  reserve(rows: number): void {
    let size = this.homeAgents.length;
    while (size < rows) size *= 2;
    if (size > this.homeAgents.length) this.growSlots(size);
    let capacity = this.index.length;
    while (capacity < 2 * rows) capacity *= 2;
    if (capacity > this.index.length) this.rehash(capacity);
  }

  /** The home agent (uint32) of the row for exactly this subnet, if there is one. */
  homeAgentOf(address: number, prefixLength: number): number | undefined {
    checkPrefixLength(prefixLength);
    const position = this.positionOf(networkOf(address >>> 0, prefixLength), prefixLength);
    return position < 0 ? undefined : this.homeAgents[this.index[position]! - 1];
  }

  /** Longest-prefix match of a client address (as uint32) to its row. */
  matchUint32(address: number): SubnetMapRow | undefined {
    const slot = this.matchSlot(address >>> 0);
    return slot === NO_SLOT ? undefined : (this.rowCache[slot] ??= this.rowAt(slot));
  }

  /** The home agent serving a client address, by longest-prefix match. */
  match(address: string): SubnetMapRow | undefined {
    return this.matchUint32(ipv4ToUint32(address));
  }

  /** Every row, longest prefixes first. */
  rows(): SubnetMapRow[] {
    return this.slotsByLength().map((slot) => this.rowAt(slot));
  }

  /** Every row as numbers, longest prefixes first, without building row objects. */
  forEachUint32(fn: (homeAgent: number, prefixLength: number, network: number) => void): void {
    for (const slot of this.slotsByLength())
      fn(this.homeAgents[slot]!, this.prefixLengths[slot]!, this.networks[slot]!);
  }

  clear(): void {
    if (this.count === 0) return;
    this.index.fill(0);
    this.alive.fill(0, 0, this.usedSlots);
    this.perLength.fill(0);
    this.lengths = [];
    this.count = 0;
    this.digestHigh = 0;
    this.digestLow = 0;
    this.rowCache = [];
    this.freeSlots = [];
    this.usedSlots = 0;
    this.changed();
  }

  get size(): number {
    return this.count;
  }

  /** Order-independent fingerprint of the rows (see digest.ts); equal tables, equal digests. */
  digest(): Digest {
    return digestText(this.digestHigh, this.digestLow);
  }

  /**
   * Adds or replaces a row; returns its slot when something changed, or -(slot + 1) when the row
   * was already there (then only its time is refreshed).
   */
  private put(ha: number, prefixLength: number, source: SubnetMapSource, now: number): number {
    const network = networkOf(ha, prefixLength);
    const position = this.positionOf(network, prefixLength);
    let slot: number;
    if (position >= 0) {
      slot = this.index[position]! - 1;
      if (this.homeAgents[slot] === ha) {
        this.updatedAts[slot] = now;
        const cached = this.rowCache[slot];
        if (cached) cached.updatedAt = now;
        return -slot - 1;
      }
      this.toggleDigest(this.homeAgents[slot]!, prefixLength);
    } else {
      slot = this.allocateSlot();
      this.networks[slot] = network;
      this.prefixLengths[slot] = prefixLength;
      this.alive[slot] = 1;
      this.insertIndex(slot, network, prefixLength);
      this.count++;
      if (this.perLength[prefixLength]!++ === 0)
        this.lengths = [...this.lengths, prefixLength].sort((a, b) => b - a);
    }
    this.homeAgents[slot] = ha;
    this.sources[slot] = SOURCE_INDEX[source];
    this.updatedAts[slot] = now;
    if (slot < this.rowCache.length) this.rowCache[slot] = undefined;
    this.toggleDigest(ha, prefixLength);
    this.changed();
    return slot;
  }

  /** Position in the hash index of the row for this subnet, or -1. */
  private positionOf(network: number, prefixLength: number): number {
    const index = this.index;
    const mask = index.length - 1;
    for (let i = hashOf(network, prefixLength) & mask; ; i = (i + 1) & mask) {
      const entry = index[i]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.networks[slot] === network && this.prefixLengths[slot] === prefixLength) return i;
    }
  }

  private insertIndex(slot: number, network: number, prefixLength: number): void {
    if (2 * (this.count + 1) > this.index.length) this.rehash(this.index.length * 2);
    const index = this.index;
    const mask = index.length - 1;
    let i = hashOf(network, prefixLength) & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /** Empties a position, moving later entries of the probe run back (no tombstones). */
  private unindex(position: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let hole = position;
    index[hole] = 0;
    for (let j = (hole + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const slot = index[j]! - 1;
      const home = hashOf(this.networks[slot]!, this.prefixLengths[slot]!) & mask;
      // The entry may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (stays) continue;
      index[hole] = index[j]!;
      index[j] = 0;
      hole = j;
    }
  }

  private rehash(capacity: number): void {
    this.index = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let slot = 0; slot < this.usedSlots; slot++) {
      if (this.alive[slot] !== 1) continue;
      let i = hashOf(this.networks[slot]!, this.prefixLengths[slot]!) & mask;
      while (this.index[i] !== 0) i = (i + 1) & mask;
      this.index[i] = slot + 1;
    }
  }

  private allocateSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.usedSlots === this.homeAgents.length) this.growSlots(this.homeAgents.length * 2);
    return this.usedSlots++;
  }

  private growSlots(size: number): void {
    {
      const grow = <T extends Uint32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
        const b = make(size);
        b.set(a);
        return b;
      };
      this.homeAgents = grow(this.homeAgents, (n) => new Uint32Array(n));
      this.prefixLengths = grow(this.prefixLengths, (n) => new Uint8Array(n));
      this.networks = grow(this.networks, (n) => new Uint32Array(n));
      this.sources = grow(this.sources, (n) => new Uint8Array(n));
      this.updatedAts = grow(this.updatedAts, (n) => new Float64Array(n));
      this.marks = grow(this.marks, (n) => new Uint32Array(n));
      this.alive = grow(this.alive, (n) => new Uint8Array(n));
    }
  }

  /** Live slots, longest prefix first (slot order within a length). */
  private slotsByLength(): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < this.usedSlots; slot++) if (this.alive[slot] === 1) out.push(slot);
    const lens = this.prefixLengths;
    return out.sort((a, b) => lens[b]! - lens[a]! || a - b);
  }

  private rowAt(slot: number): SubnetMapRow {
    const len = this.prefixLengths[slot]!;
    return {
      homeAgent: uint32ToIpv4(this.homeAgents[slot]!),
      mask: uint32ToIpv4(prefixMask(len)),
      prefixLength: len,
      network: uint32ToIpv4(this.networks[slot]!),
      source: SOURCES[this.sources[slot]!]!,
      updatedAt: this.updatedAts[slot]!,
    };
  }

  private toggleDigest(homeAgent: number, prefixLength: number): void {
    this.digestHigh = (this.digestHigh ^ rowHashHigh(homeAgent, prefixLength)) >>> 0;
    this.digestLow = (this.digestLow ^ rowHashLow(homeAgent, prefixLength)) >>> 0;
  }

  private changed(): void {
    this.version++;
    this.indexValid = false;
    this.lookupsSinceChange = 0;
  }

  private matchSlot(address: number): number {
    if (!this.indexValid) {
      if (++this.lookupsSinceChange <= REBUILD_AFTER_LOOKUPS) return this.matchByLength(address);
      this.buildIndex();
    }
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= address) lo = mid;
      else hi = mid - 1;
    }
    return this.owners[lo]!;
  }

  private matchByLength(address: number): number {
    for (const len of this.lengths) {
      const position = this.positionOf(networkOf(address, len), len);
      if (position >= 0) return this.index[position]! - 1;
    }
    return NO_SLOT;
  }

  /**
   * Sweeps the prefixes in address order (shorter first at equal starts) with a stack of the
   * prefixes still open; every start or end of a prefix begins an interval owned by the innermost
   * open prefix. Prefixes nest or are disjoint, so the stack is always ordered.
   */
  private buildIndex(): void {
    const all: number[] = [];
    for (let slot = 0; slot < this.usedSlots; slot++) if (this.alive[slot] === 1) all.push(slot);
    const networks = this.networks;
    const lens = this.prefixLengths;
    all.sort((a, b) => networks[a]! - networks[b]! || lens[a]! - lens[b]!);
    const lastOf = (slot: number): number => networks[slot]! + 2 ** (32 - lens[slot]!) - 1;
    const starts: number[] = [];
    const owners: number[] = [];
    const mark = (position: number, owner: number): void => {
      const n = starts.length;
      if (n > 0 && starts[n - 1] === position) {
        owners[n - 1] = owner;
        if (n > 1 && owners[n - 2] === owner) {
          starts.pop();
          owners.pop();
        }
        return;
      }
      if (n > 0 && owners[n - 1] === owner) return;
      starts.push(position);
      owners.push(owner);
    };
    mark(0, NO_SLOT);
    const open: number[] = [];
    for (const slot of all) {
      while (open.length > 0 && lastOf(open[open.length - 1]!) < networks[slot]!) {
        const closed = open.pop()!;
        mark(lastOf(closed) + 1, open.length > 0 ? open[open.length - 1]! : NO_SLOT);
      }
      mark(networks[slot]!, slot);
      open.push(slot);
    }
    while (open.length > 0) {
      const closed = open.pop()!;
      const next = lastOf(closed) + 1;
      if (next <= 0xffffffff) mark(next, open.length > 0 ? open[open.length - 1]! : NO_SLOT);
    }
    this.starts = Uint32Array.from(starts);
    this.owners = Int32Array.from(owners);
    this.indexValid = true;
  }
}
