import { networkOf } from '../wire/ipv4.ts';

/**
 * Order-independent fingerprints of subnet map rows, shared by the table (its digest), the AAP
 * protocol (report, table, update and digest messages carry it) and reconciliation (per-bucket
 * digests). A row hashes to 64 bits (two 32-bit lanes); a table's digest is the XOR of its rows,
 * so adding or removing a row updates it in O(1) and two tables with the same rows have the same
 * digest whatever order they were built in. Not a security mechanism: messages are authenticated
 * with HMAC, the digest only detects drift.
 */

/** The murmur3 32-bit finaliser: a cheap, well-mixing bijection on uint32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** High lane of a row's hash: the row is its home agent (uint32) and prefix length. */
export function rowHashHigh(homeAgent: number, prefixLength: number): number {
  return fmix32((homeAgent ^ Math.imul(prefixLength + 1, 0x9e3779b1)) >>> 0);
}

/** Low lane of a row's hash, mixed differently from the high lane. */
export function rowHashLow(homeAgent: number, prefixLength: number): number {
  return fmix32((Math.imul(homeAgent ^ 0x5bd1e995, 0x27d4eb2f) + prefixLength + 0x165667b1) >>> 0);
}

/** A digest as text: 16 lowercase hex digits, high lane first. The empty table's is all zeros. */
export type Digest = string;

export const EMPTY_DIGEST: Digest = '0000000000000000';

export function digestText(high: number, low: number): Digest {
  return (high >>> 0).toString(16).padStart(8, '0') + (low >>> 0).toString(16).padStart(8, '0');
}

/** Number of reconciliation buckets: a DIGEST message carries one digest per bucket. */
export const RECONCILIATION_BUCKETS = 64;

/** The reconciliation bucket of a row's key (its network and prefix length, not its home agent). */
export function bucketOf(network: number, prefixLength: number): number {
  return fmix32((network ^ Math.imul(prefixLength + 7, 0x2545f491)) >>> 0) & (RECONCILIATION_BUCKETS - 1);
}

/** A row's key: network and prefix length in one exact integer (network * 64 + length). */
export function rowKey(network: number, prefixLength: number): number {
  return network * 64 + prefixLength;
}

/** Per-bucket digests plus the whole-table digest, built from rows (home agent, prefix length). */
export class BucketDigests {
  readonly high = new Uint32Array(RECONCILIATION_BUCKETS);
  readonly low = new Uint32Array(RECONCILIATION_BUCKETS);

  add(homeAgent: number, prefixLength: number): void {
    const b = bucketOf(networkOf(homeAgent, prefixLength), prefixLength);
    this.high[b] = (this.high[b]! ^ rowHashHigh(homeAgent, prefixLength)) >>> 0;
    this.low[b] = (this.low[b]! ^ rowHashLow(homeAgent, prefixLength)) >>> 0;
  }

  bucket(i: number): Digest {
    return digestText(this.high[i]!, this.low[i]!);
  }

  list(): Digest[] {
    const out: Digest[] = [];
    for (let i = 0; i < RECONCILIATION_BUCKETS; i++) out.push(this.bucket(i));
    return out;
  }
}
