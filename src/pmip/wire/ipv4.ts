import { WireError } from './errors.ts';

/** IPv4 addresses travel through the project as dotted-quad strings; these convert at the edge. */
export type Ipv4Address = string;

export function ipv4ToUint32(address: string, field = 'address'): number {
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
