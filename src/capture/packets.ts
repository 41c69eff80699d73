/**
 * From a captured frame to an IPv4 packet: strips the link-layer header (Ethernet with at most one
 * 802.1Q/802.1ad tag, Linux cooked capture v1 and v2, BSD loopback, raw IP), parses the IPv4
 * header and, for UDP and ICMP, the transport. IPv6, ARP and other frames give `undefined`, and so
 * do non-first IPv4 fragments. Pure functions, no I/O.
 */
import type { CaptureFrame } from './pcap.ts';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const IP_PROTOCOL_ICMP = 1;
export const IP_PROTOCOL_UDP = 17;

interface PacketBase {
  /** 1-based frame number in the capture. */
  frame: number;
  timestampNs: bigint;
  /** The capture time in ms (the frame's `timestampMs`). */
  timestampMs: number;
  src: string;
  dst: string;
  /** IP protocol number (1 ICMP, 17 UDP, ...). */
  protocol: number;
  ttl: number;
  /**
   * True when the capture holds fewer bytes than the headers declare: the snap length cut the
   * frame, or this is the first fragment of a fragmented datagram.
   */
  truncated: boolean;
}

export interface UdpPacket extends PacketBase {
  kind: 'udp';
  srcPort: number;
  dstPort: number;
  /** The UDP payload as captured (limited by the UDP length field). */
  payload: Buffer;
  /** The payload length the UDP header declares. */
  declaredLength: number;
}

export interface IcmpPacket extends PacketBase {
  kind: 'icmp';
  /** The ICMP message (type, code, checksum, body) as captured. */
  icmp: Buffer;
}

export interface OtherIpPacket extends PacketBase {
  kind: 'ip';
  /** The IP payload as captured. */
  payload: Buffer;
}

export type CapturePacket = UdpPacket | IcmpPacket | OtherIpPacket;

/** Byte offset of the IPv4 header inside a frame of the given link type, or undefined. */
export function ipv4Offset(linkType: number, data: Buffer): number | undefined {
  switch (linkType) {
    case 1: {
      // Ethernet II, optionally one VLAN tag
      if (data.length < 14) return undefined;
      let type = data.readUInt16BE(12);
      let off = 14;
      if (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) {
        if (data.length < 18) return undefined;
        type = data.readUInt16BE(16);
        off = 18;
      }
      return type === ETHERTYPE_IPV4 ? off : undefined;
    }
    case 113: // Linux cooked capture v1: protocol type at 14, header 16 bytes
      if (data.length < 16) return undefined;
      return data.readUInt16BE(14) === ETHERTYPE_IPV4 ? 16 : undefined;
    case 276: // Linux cooked capture v2: protocol type at 0, header 20 bytes
      if (data.length < 20) return undefined;
      return data.readUInt16BE(0) === ETHERTYPE_IPV4 ? 20 : undefined;
    case 0: {
      // BSD loopback: address family in the capturing host's byte order; AF_INET is 2 everywhere
      if (data.length < 4) return undefined;
      return data.readUInt32LE(0) === 2 || data.readUInt32BE(0) === 2 ? 4 : undefined;
    }
    case 108: // OpenBSD loopback: address family in network byte order
      if (data.length < 4) return undefined;
      return data.readUInt32BE(0) === 2 ? 4 : undefined;
    case 12:
    case 14:
    case 101:
    case 228: // raw IP (228: IPv4 only)
      return data.length >= 1 && data[0]! >> 4 === 4 ? 0 : undefined;
    default:
      return undefined;
  }
}

function ipv4String(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** Decodes a frame down to its IPv4 packet; undefined when the frame carries no (first-fragment) IPv4. */
export function packetFromFrame(frame: CaptureFrame): CapturePacket | undefined {
  const data = frame.data;
  const ip = ipv4Offset(frame.linkType, data);
  if (ip === undefined || data.length < ip + 20) return undefined;
  const versionIhl = data[ip]!;
  if (versionIhl >> 4 !== 4) return undefined;
  const headerLength = (versionIhl & 0x0f) * 4;
  if (headerLength < 20 || data.length < ip + headerLength) return undefined;
  const totalLength = data.readUInt16BE(ip + 2);
  const fragment = data.readUInt16BE(ip + 6);
  if ((fragment & 0x1fff) !== 0) return undefined; // a non-first fragment carries no transport header
  const moreFragments = (fragment & 0x2000) !== 0;
  // A zero total length (TSO/LRO captures) means "as long as the frame".
  const declaredEnd = totalLength === 0 ? data.length : ip + totalLength;
  if (declaredEnd < ip + headerLength) return undefined;
  const end = Math.min(declaredEnd, data.length); // drops Ethernet padding
  const payloadStart = ip + headerLength;
  // Object literals written out, not spread from a common base: a spread of an object holding a
  // bigint took about 10 us per packet, more than everything else here together.
  const src = ipv4String(data, ip + 12);
  const dst = ipv4String(data, ip + 16);
  const protocol = data[ip + 9]!;
  const ttl = data[ip + 8]!;
  const truncated = declaredEnd > data.length || moreFragments;
  const payload = data.subarray(payloadStart, end);

  if (protocol === IP_PROTOCOL_UDP && payload.length >= 8) {
    const udpLength = payload.readUInt16BE(4);
    const declaredPayload = udpLength >= 8 ? udpLength - 8 : declaredEnd - payloadStart - 8;
    const available = payload.length - 8;
    return {
      frame: frame.frame,
      timestampNs: frame.timestampNs,
      timestampMs: frame.timestampMs,
      src,
      dst,
      protocol,
      ttl,
      truncated: truncated || declaredPayload > available,
      kind: 'udp',
      srcPort: payload.readUInt16BE(0),
      dstPort: payload.readUInt16BE(2),
      payload: payload.subarray(8, 8 + Math.min(declaredPayload, available)),
      declaredLength: declaredPayload,
    };
  }
  if (protocol === IP_PROTOCOL_ICMP)
    return {
      frame: frame.frame,
      timestampNs: frame.timestampNs,
      timestampMs: frame.timestampMs,
      src,
      dst,
      protocol,
      ttl,
      truncated,
      kind: 'icmp',
      icmp: payload,
    };
  return {
    frame: frame.frame,
    timestampNs: frame.timestampNs,
    timestampMs: frame.timestampMs,
    src,
    dst,
    protocol,
    ttl,
    truncated: truncated || protocol === IP_PROTOCOL_UDP,
    kind: 'ip',
    payload,
  };
}
