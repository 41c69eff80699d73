import { ipv4ToUint32, uint32ToIpv4 } from '../wire/ipv4.ts';

/**
 * The subnet map table: rows of home agent address + mask, and the longest-prefix match from a
 * client address to its home agent. Indexed per prefix length, so a lookup costs one hash probe
 * per prefix length in use, longest first.
 */
export type SubnetMapSource = 'config' | 'aap' | 'discovery' | 'reconciliation';

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

export class SubnetMapError extends Error {
  override readonly name = 'SubnetMapError';
}

export function maskToPrefixLength(mask: string, field = 'mask'): number {
  const m = ipv4ToUint32(mask, field);
  const len = 32 - Math.log2(((~m >>> 0) + 1) >>> 0 || 2 ** 32);
  if (!Number.isInteger(len) || prefixLengthToMask(len) !== m) {
    throw new SubnetMapError(`${field}: ${mask} is not a contiguous netmask`);
  }
  return len;
}

export function prefixLengthToMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

interface Entry {
  row: SubnetMapRow;
  homeAgent: number;
}

export class SubnetMapTable {
  /** prefix length -> network -> entry */
  private readonly byLength = new Map<number, Map<number, Entry>>();
  /** Prefix lengths in use, longest first. */
  private lengths: number[] = [];
  private count = 0;
  /** Incremented on every change; the AAP protocol carries it. */
  version = 0;

  /** Adds or replaces the row for the home agent's subnet; returns true when something changed. */
  upsert(homeAgent: string, mask: string, source: SubnetMapSource, now: number): boolean {
    const prefixLength = maskToPrefixLength(mask);
    const ha = ipv4ToUint32(homeAgent, 'homeAgent');
    const maskN = prefixLengthToMask(prefixLength);
    const network = (ha & maskN) >>> 0;
    let level = this.byLength.get(prefixLength);
    if (!level) {
      level = new Map();
      this.byLength.set(prefixLength, level);
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    const existing = level.get(network);
    if (existing && existing.homeAgent === ha) {
      existing.row.updatedAt = now;
      return false;
    }
    if (!existing) this.count++;
    level.set(network, {
      homeAgent: ha,
      row: { homeAgent, mask, prefixLength, network: uint32ToIpv4(network), source, updatedAt: now },
    });
    this.version++;
    return true;
  }

  /** Removes the row of the home agent's subnet; returns true when there was one. */
  remove(homeAgent: string, mask: string): boolean {
    const prefixLength = maskToPrefixLength(mask);
    const network = (ipv4ToUint32(homeAgent, 'homeAgent') & prefixLengthToMask(prefixLength)) >>> 0;
    const level = this.byLength.get(prefixLength);
    if (!level?.delete(network)) return false;
    if (level.size === 0) {
      this.byLength.delete(prefixLength);
      this.lengths = this.lengths.filter((l) => l !== prefixLength);
    }
    this.count--;
    this.version++;
    return true;
  }

  /** Longest-prefix match of a client address (as uint32) to its row. */
  matchUint32(address: number): SubnetMapRow | undefined {
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const entry = this.byLength.get(len)!.get(len === 0 ? 0 : (address & (0xffffffff << (32 - len))) >>> 0);
      if (entry) return entry.row;
    }
    return undefined;
  }

  /** The home agent serving a client address, by longest-prefix match. */
  match(address: string): SubnetMapRow | undefined {
    return this.matchUint32(ipv4ToUint32(address));
  }

  rows(): SubnetMapRow[] {
    const out: SubnetMapRow[] = [];
    for (const len of this.lengths) for (const e of this.byLength.get(len)!.values()) out.push({ ...e.row });
    return out;
  }

  clear(): void {
    if (this.count === 0) return;
    this.byLength.clear();
    this.lengths = [];
    this.count = 0;
    this.version++;
  }

  get size(): number {
    return this.count;
  }
}
