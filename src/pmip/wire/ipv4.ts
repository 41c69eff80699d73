import { badValue, WireError } from './errors.ts';

/** IPv4 addresses travel through the project as dotted-quad strings; these convert at the edge. */
export type Ipv4Address = string;

export function ipv4ToUint32(address: string, field = 'address'): number {
  const fast = parseDottedQuad(address);
  if (fast >= 0) return fast;
  // Not a plain dotted quad: work out which error to report.
  if (typeof address !== 'string')
    throw new WireError('bad-value', `${field}: ${String(address)} is not a dotted-quad IPv4 address`);
  const parts = address.split('.');
  if (parts.length !== 4)
    throw new WireError('bad-value', `${field}: "${address}" is not a dotted-quad IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p))
      throw new WireError('bad-value', `${field}: "${address}" is not a dotted-quad IPv4 address`);
    const octet = Number(p);
    if (octet > 255) throw new WireError('bad-value', `${field}: "${address}" has an octet above 255`);
    n = n * 256 + octet;
  }
  return n;
}

/**
 * The allocation-free path of `ipv4ToUint32` (it runs three times per encoded request): the
 * address as an unsigned number, or -1 unless it is exactly four dot-separated groups of 1-3 ASCII
 * digits, each at most 255 (the same rule as the checks above).
 */
function parseDottedQuad(s: string): number {
  if (typeof s !== 'string' || s.length < 7 || s.length > 15) return -1;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
      octet = octet * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || octet > 255 || ++dots > 3) return -1;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
    } else return -1;
  }
  if (digits === 0 || octet > 255 || dots !== 3) return -1;
  return n * 256 + octet;
}

export function uint32ToIpv4(n: number): Ipv4Address {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

export function isIpv4(address: string): boolean {
  try {
    ipv4ToUint32(address);
    return true;
  } catch {
    return false;
  }
}

export function readIpv4(buf: Uint8Array, offset: number): Ipv4Address {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

export function writeIpv4(buf: Buffer, offset: number, address: string, field: string): void {
  buf.writeUInt32BE(ipv4ToUint32(address, field), offset);
}

// ---- subnet arithmetic (addresses and masks as unsigned 32-bit numbers) --------------------------

/** The netmask of a prefix length (0-32) as an unsigned number: 24 -> 0xffffff00. */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** The prefix length of a contiguous netmask given as a number, or -1 when the mask has holes. */
export function prefixLengthOf(mask: number): number {
  const inverted = ~mask >>> 0;
  // A contiguous mask inverted is 2^k - 1: adding one clears every bit it has.
  if ((inverted & (inverted + 1)) !== 0) return -1;
  return inverted === 0xffffffff ? 0 : 32 - Math.round(Math.log2(inverted + 1));
}

/**
 * The prefix length of a dotted-quad netmask (`255.255.255.0` -> 24). Throws what `fail` makes
 * (a `WireError` of kind bad-value unless told otherwise) when the mask is not contiguous, and a
 * `WireError` naming `field` when it is not an IPv4 address at all.
 */
export function maskToPrefixLength(
  mask: string,
  field = 'mask',
  fail: (message: string) => Error = badValue,
): number {
  const len = prefixLengthOf(ipv4ToUint32(mask, field));
  if (len < 0) throw fail(`${field}: ${mask} is not a contiguous netmask`);
  return len;
}

/** The network of `address` under a prefix length: the host bits cleared. */
export function networkOf(address: number, prefixLength: number): number {
  return (address & prefixMask(prefixLength)) >>> 0;
}

/** Whether `address` lies in `network`/`prefixLength` (numbers; `network` need not be masked). */
export function inSubnet(address: number, network: number, prefixLength: number): boolean {
  return ((address ^ network) & prefixMask(prefixLength)) === 0;
}
