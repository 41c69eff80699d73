/**
 * Classic pcap writer: builds IPv4+UDP and IPv4+ICMP datagrams (with correct IP header and UDP
 * checksums), wraps them in Ethernet frames (or writes raw IP), and lays them out as a pcap file.
 * Used by tests and by live capture. Pure functions, no I/O.
 */

import { checkUint } from '../pmip/wire/checks.ts';

export interface Ipv4Options {
  src: string;
  dst: string;
  /** Default 64. */
  ttl?: number;
  /** IP identification; default 0. */
  identification?: number;
  /** Sets the DF bit; default false. */
  dontFragment?: boolean;
}

export interface UdpOptions extends Ipv4Options {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface IcmpOptions extends Ipv4Options {
  /** The complete ICMP message, checksum included (the codec computes it). */
  icmp: Uint8Array;
}

export interface EthernetOptions {
  /** MAC addresses as "aa:bb:cc:dd:ee:ff"; defaults are locally administered addresses. */
  srcMac?: string;
  dstMac?: string;
  /** Inserts one 802.1Q tag with this VLAN id (0-4095). */
  vlan?: number;
}

/** RFC 1071 Internet checksum over the concatenation of `parts` (each part may have odd length). */
export function onesComplementChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd = false; // true when the previous part ended in the middle of a 16-bit word
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      sum += odd ? part[i]! : part[i]! << 8;
      odd = !odd;
    }
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

function parseIpv4(address: string, field: string): Buffer {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`${field}: "${address}" is not a dotted-quad IPv4 address`);
  }
  return Buffer.from(parts.map(Number));
}

function parseMac(mac: string, field: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new RangeError(`${field}: "${mac}" is not a MAC address`);
  }
  return Buffer.from(parts.join(''), 'hex');
}

/** An IPv4 datagram (20-byte header, no options) around `payload`, header checksum filled in. */
export function buildIpv4(protocol: number, payload: Uint8Array, opts: Ipv4Options): Buffer {
  const total = 20 + payload.length;
  checkUint(total, 'IPv4 total length', 0xffff);
  checkUint(protocol, 'protocol', 255);
  const ttl = opts.ttl ?? 64;
  checkUint(ttl, 'ttl', 255);
  const id = opts.identification ?? 0;
  checkUint(id, 'identification', 0xffff);
  const buf = Buffer.alloc(total);
  buf[0] = 0x45;
  buf.writeUInt16BE(total, 2);
  buf.writeUInt16BE(id, 4);
  buf.writeUInt16BE(opts.dontFragment ? 0x4000 : 0, 6);
  buf[8] = ttl;
  buf[9] = protocol;
  parseIpv4(opts.src, 'src').copy(buf, 12);
  parseIpv4(opts.dst, 'dst').copy(buf, 16);
  buf.writeUInt16BE(onesComplementChecksum(buf.subarray(0, 20)), 10);
  buf.set(payload, 20);
  return buf;
}

/** An IPv4 datagram carrying UDP, with the UDP checksum over the pseudo-header (RFC 768). */
export function buildUdp(opts: UdpOptions): Buffer {
  checkUint(opts.srcPort, 'srcPort', 0xffff);
  checkUint(opts.dstPort, 'dstPort', 0xffff);
  const udpLength = 8 + opts.payload.length;
  checkUint(udpLength, 'UDP length', 0xffff - 20);
  const udp = Buffer.alloc(udpLength);
  udp.writeUInt16BE(opts.srcPort, 0);
  udp.writeUInt16BE(opts.dstPort, 2);
  udp.writeUInt16BE(udpLength, 4);
  udp.set(opts.payload, 8);
  const pseudo = Buffer.alloc(12);
  parseIpv4(opts.src, 'src').copy(pseudo, 0);
  parseIpv4(opts.dst, 'dst').copy(pseudo, 4);
  pseudo[9] = 17;
  pseudo.writeUInt16BE(udpLength, 10);
  const sum = onesComplementChecksum(pseudo, udp);
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6); // 0 means "no checksum" in UDP over IPv4
  return buildIpv4(17, udp, opts);
}

/** An IPv4 datagram carrying an ICMP message (the message keeps its own checksum). */
export function buildIcmp(opts: IcmpOptions): Buffer {
  return buildIpv4(1, opts.icmp, opts);
}

/** An Ethernet II frame (optionally 802.1Q-tagged) carrying an IPv4 datagram. No FCS, no padding. */
export function buildEthernet(ipPacket: Uint8Array, opts: EthernetOptions = {}): Buffer {
  const dst = parseMac(opts.dstMac ?? '02:00:00:00:00:02', 'dstMac');
  const src = parseMac(opts.srcMac ?? '02:00:00:00:00:01', 'srcMac');
  const tag = opts.vlan !== undefined;
  if (tag) checkUint(opts.vlan!, 'vlan', 4095);
  const header = tag ? 18 : 14;
  const buf = Buffer.alloc(header + ipPacket.length);
  dst.copy(buf, 0);
  src.copy(buf, 6);
  if (tag) {
    buf.writeUInt16BE(0x8100, 12);
    buf.writeUInt16BE(opts.vlan!, 14);
    buf.writeUInt16BE(0x0800, 16);
  } else {
    buf.writeUInt16BE(0x0800, 12);
  }
  buf.set(ipPacket, header);
  return buf;
}

export interface PcapFileOptions {
  /** LINKTYPE_* of every frame; default 1 (Ethernet). */
  linkType?: number;
  /** Default 262144. */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d); default microseconds. */
  nanosecond?: boolean;
  /** Byte order of headers; default little-endian, as most capture tools write. */
  bigEndian?: boolean;
}

/** The 24-byte pcap file header. */
export function pcapFileHeader(opts: PcapFileOptions = {}): Buffer {
  const buf = Buffer.alloc(24);
  const le = !opts.bigEndian;
  const u32 = (v: number, o: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  const u16 = (v: number, o: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  u32(opts.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(2, 4);
  u16(4, 6);
  u32(0, 8); // thiszone
  u32(0, 12); // sigfigs
  u32(opts.snaplen ?? 262_144, 16);
  u32(opts.linkType ?? 1, 20);
  return buf;
}

/** One pcap record: 16-byte header and the frame, cut to `snaplen` when given. */
export function pcapRecord(
  frame: Uint8Array,
  timestampNs: bigint,
  opts: PcapFileOptions = {},
  originalLength = frame.length,
): Buffer {
  const captured = Math.min(frame.length, opts.snaplen ?? frame.length);
  const buf = Buffer.alloc(16 + captured);
  const le = !opts.bigEndian;
  const u32 = (v: number, o: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  const seconds = timestampNs / 1_000_000_000n;
  const ns = timestampNs % 1_000_000_000n;
  u32(Number(seconds), 0);
  u32(Number(opts.nanosecond ? ns : ns / 1000n), 4);
  u32(captured, 8);
  u32(originalLength, 12);
  buf.set(frame.subarray(0, captured), 16);
  return buf;
}

export interface PcapWriterOptions extends PcapFileOptions {
  /** Timestamp of the first frame, ns since the Unix epoch; default 2023-11-14T22:13:20Z. */
  startNs?: bigint;
  /** Time between frames added without a timestamp; default 1 ms. */
  stepNs?: bigint;
  /** Link-layer options for Ethernet frames. */
  ethernet?: EthernetOptions;
}

/**
 * Collects frames and produces a pcap file. With link type 1 (default) addUdp/addIcmp wrap the
 * datagram in Ethernet; with 101 (raw IP) they write the bare datagram.
 */
export class PcapWriter {
  private readonly chunks: Buffer[];
  private next: bigint;
  private count = 0;

  constructor(private readonly opts: PcapWriterOptions = {}) {
    const linkType = opts.linkType ?? 1;
    if (linkType !== 1 && linkType !== 101) {
      throw new RangeError(`linkType: ${linkType}: the writer builds Ethernet (1) or raw IP (101) frames`);
    }
    this.chunks = [pcapFileHeader(opts)];
    this.next = opts.startNs ?? 1_700_000_000_000_000_000n;
  }

  /** Number of frames added so far; the next frame gets number frameCount + 1. */
  get frameCount(): number {
    return this.count;
  }

  /** Adds a link-layer frame as is; returns its 1-based frame number. */
  addFrame(frame: Uint8Array, timestampNs?: bigint): number {
    const ts = timestampNs ?? this.next;
    this.next = ts + (this.opts.stepNs ?? 1_000_000n);
    this.chunks.push(pcapRecord(frame, ts, this.opts));
    return ++this.count;
  }

  /** Adds an IPv4 datagram, wrapped for the writer's link type; returns its frame number. */
  addIpv4(packet: Uint8Array, timestampNs?: bigint): number {
    const frame = (this.opts.linkType ?? 1) === 1 ? buildEthernet(packet, this.opts.ethernet) : packet;
    return this.addFrame(frame, timestampNs);
  }

  addUdp(opts: UdpOptions, timestampNs?: bigint): number {
    return this.addIpv4(buildUdp(opts), timestampNs);
  }

  addIcmp(opts: IcmpOptions, timestampNs?: bigint): number {
    return this.addIpv4(buildIcmp(opts), timestampNs);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
