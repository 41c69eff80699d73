/**
 * The observer's fast path over the bytes of a capture: a frame's IPv4/UDP headers and a
 * registration message's fixed part read in place, as numbers, with nothing allocated per packet.
 * Whatever this path does not cover (ICMP, fragments, truncation, extensions other than the
 * authentication ones, a malformed message) goes to the general path (`packetFromFrame` and the
 * codec's `decodeRegistrationLayout`), which reports it exactly as before. The layout is RFC 5944
 * section 3.3 (request: type, flags, lifetime, home address, home agent, care-of address,
 * identification; 24 bytes) and 3.4 (reply: type, code, lifetime, home address, home agent,
 * identification; 20 bytes), extensions per section 1.9.
 */
import { ipv4Offset } from '../capture/packets.ts';
import { uint32ToIpv4 } from '../pmip/wire/index.ts';

export const REQUEST_TYPE = 1;
export const REPLY_TYPE = 3;
const REQUEST_FIXED = 24;
const REPLY_FIXED = 20;

/** Where a registration message sits in a frame, from `udpInFrame`. */
export interface UdpSpan {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload: `data[start, end)`. */
  start: number;
  end: number;
}

/**
 * The unsigned 32-bit big-endian number at `i` (the caller has checked the bounds). By hand, not
 * `Buffer#readUInt32BE`: a call that is not inlined returns a heap number for every value of 2^31
 * or more (identifications always, addresses from 128.0.0.0), one allocation per packet.
 */
function u32(b: Buffer, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/**
 * The UDP datagram of an untruncated, unfragmented IPv4 frame, filled into `out`; false for
 * anything else (the general path then decides what it is). Same rules as `packetFromFrame`.
 */
export function udpInFrame(linkType: number, data: Buffer, out: UdpSpan): boolean {
  const ip = ipv4Offset(linkType, data);
  if (ip === undefined || data.length < ip + 20) return false;
  const versionIhl = data[ip]!;
  if (versionIhl >> 4 !== 4 || data[ip + 9] !== 17) return false;
  const headerLength = (versionIhl & 0x0f) * 4;
  const totalLength = (data[ip + 2]! << 8) | data[ip + 3]!;
  // Any fragment bit (more fragments, or an offset) takes the general path.
  if (((data[ip + 6]! << 8) | data[ip + 7]!) & 0x3fff) return false;
  const declaredEnd = ip + totalLength;
  const udp = ip + headerLength;
  if (headerLength < 20 || totalLength === 0 || declaredEnd > data.length || udp + 8 > declaredEnd)
    return false;
  const udpLength = (data[udp + 4]! << 8) | data[udp + 5]!;
  if (udpLength < 8 || udp + udpLength > declaredEnd) return false;
  out.src = u32(data, ip + 12);
  out.dst = u32(data, ip + 16);
  out.srcPort = (data[udp]! << 8) | data[udp + 1]!;
  out.dstPort = (data[udp + 2]! << 8) | data[udp + 3]!;
  out.start = udp + 8;
  out.end = udp + udpLength;
  return true;
}

/** A registration request's or reply's fields, as numbers (addresses as unsigned 32-bit). */
export interface RegistrationFields {
  request: boolean;
  /** Replies: the code. */
  code: number;
  lifetime: number;
  homeAddress: number;
  homeAgent: number;
  /** Requests: the care-of address. */
  careOfAddress: number;
  idHigh: number;
  idLow: number;
  /** The SPI of the first Mobile-Home authentication extension (type 32), -1 without one. */
  spi: number;
  /** The first NAI extension's value (RFC 2794), undefined without one. */
  nai: string | undefined;
}

export function emptyFields(): RegistrationFields {
  return {
    request: false,
    code: 0,
    lifetime: 0,
    homeAddress: 0,
    homeAgent: 0,
    careOfAddress: 0,
    idHigh: 0,
    idLow: 0,
    spi: -1,
    nai: undefined,
  };
}

/**
 * Reads a registration message in `buf[start, end)` into `out`. True when the message is a
 * request or reply whose extensions are only authentication extensions (types 32-34, each with
 * room for its SPI: RFC 5944 section 3.5) that fit; false when the codec must look (other
 * extensions, a short or malformed message): the codec then accepts it or names the error.
 */
export function readRegistration(buf: Buffer, start: number, end: number, out: RegistrationFields): boolean {
  const type = buf[start];
  let off: number;
  if (type === REQUEST_TYPE) {
    if (end - start < REQUEST_FIXED) return false;
    out.request = true;
    out.code = 0;
    out.careOfAddress = u32(buf, start + 12);
    out.idHigh = u32(buf, start + 16);
    out.idLow = u32(buf, start + 20);
    off = start + REQUEST_FIXED;
  } else if (type === REPLY_TYPE) {
    if (end - start < REPLY_FIXED) return false;
    out.request = false;
    out.code = buf[start + 1]!;
    out.careOfAddress = 0;
    out.idHigh = u32(buf, start + 12);
    out.idLow = u32(buf, start + 16);
    off = start + REPLY_FIXED;
  } else return false;
  out.lifetime = (buf[start + 2]! << 8) | buf[start + 3]!;
  out.homeAddress = u32(buf, start + 4);
  out.homeAgent = u32(buf, start + 8);
  out.spi = -1;
  out.nai = undefined;
  while (off < end) {
    const t = buf[off]!;
    if ((t !== 32 && t !== 33 && t !== 34) || off + 6 > end) return false;
    const len = buf[off + 1]!;
    if (len < 4 || off + 2 + len > end) return false;
    if (t === 32 && out.spi < 0) out.spi = u32(buf, off + 2);
    off += 2 + len;
  }
  return true;
}

/**
 * Dotted-quad strings of the addresses seen, one string per address: a label value keeps the same
 * string object (V8 hashes a string once), and no string is built per packet. Bounded: a capture
 * of many addresses starts the book over.
 */
export class AddressBook {
  private readonly names = new Map<number, string>();
  constructor(private readonly max = 65_536) {}

  name(address: number): string {
    const key = address | 0;
    let s = this.names.get(key);
    if (s === undefined) {
      if (this.names.size >= this.max) this.names.clear();
      s = uint32ToIpv4(address >>> 0);
      this.names.set(key, s);
    }
    return s;
  }
}

/** 224.0.0.0/4 (multicast) or the limited broadcast address. */
export function isGroupNumber(address: number): boolean {
  const first = address >>> 24;
  return (first >= 224 && first <= 239) || address >>> 0 === 0xffffffff;
}
