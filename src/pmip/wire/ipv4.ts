import { WireError } from './errors.ts';

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
