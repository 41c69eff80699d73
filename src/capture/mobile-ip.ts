/**
 * Mobile IPv4 messages out of captures: the pure part of `pmip-exporter wire decode`. Registration
 * requests and replies (UDP, port 434 unless told otherwise, either port matching) and agent
 * advertisements and solicitations (ICMP 9 and 10) become JSON records in the shape
 * messageToJson produces, prefixed with the frame number and IPv4 addresses.
 */
import {
  decodeIcmpMobility,
  decodeRegistrationLayout,
  findAuthExtension,
  isWireError,
  messageToJson,
  verifyAuthentication,
  WireError,
  ICMP_ROUTER_ADVERTISEMENT,
  ICMP_ROUTER_SOLICITATION,
  type AuthAlgorithm,
  type MessageJson,
} from '../pmip/wire/index.ts';
import { readCapturePackets } from './pcap.ts';
import type { CapturePacket } from './packets.ts';

export const MOBILE_IP_PORT = 434;

/** The security association used to check Mobile-Home authentication extensions (type 32). */
export interface DecodeAuthentication {
  spi: number;
  key: Uint8Array;
  algorithm: AuthAlgorithm;
}

export interface DecodeOptions {
  /** UDP port of registration messages; default 434. */
  port?: number;
  /** With an SA, registration messages carrying a type-32 extension with its SPI get `authentic`. */
  auth?: DecodeAuthentication;
}

/** One decoded message: `{frame, src, dst, ...message}` or `{frame, error}`. */
export type DecodedRecord = Record<string, unknown>;

/**
 * Decodes one registration message (a UDP payload) to its JSON shape; with an SA and a
 * Mobile-Home authentication extension carrying the SA's SPI, adds `authentic: true|false`.
 * Throws WireError for a malformed message.
 */
export function decodeRegistrationJson(payload: Buffer, auth?: DecodeAuthentication): MessageJson {
  const decoded = decodeRegistrationLayout(payload);
  const json = messageToJson(decoded.message);
  if (auth) {
    const found = findAuthExtension(decoded, 32);
    if (found && found.extension.spi === auth.spi) {
      json.authentic = verifyAuthentication(decoded, { ...auth, type: 32 }) === 'ok';
    }
  }
  return json;
}

function errorRecord(frame: number, e: unknown): DecodedRecord {
  if (isWireError(e)) return { frame, error: e.message };
  throw e;
}

/**
 * The record for one captured packet, or undefined when the packet is no Mobile IP message:
 * UDP on neither port, ICMP other than 9/10, a router advertisement without extension 16.
 */
export function decodePacket(packet: CapturePacket, opts: DecodeOptions = {}): DecodedRecord | undefined {
  const where = { frame: packet.frame, src: packet.src, dst: packet.dst };
  if (packet.kind === 'udp') {
    const port = opts.port ?? MOBILE_IP_PORT;
    if (packet.srcPort !== port && packet.dstPort !== port) return undefined;
    if (packet.truncated) {
      return errorRecord(
        packet.frame,
        new WireError(
          'truncated',
          `the capture holds ${packet.payload.length} of the ${packet.declaredLength} bytes of the UDP payload`,
          packet.payload.length,
        ),
      );
    }
    try {
      return { ...where, ...decodeRegistrationJson(packet.payload, opts.auth) };
    } catch (e) {
      return errorRecord(packet.frame, e);
    }
  }
  if (packet.kind === 'icmp') {
    const type = packet.icmp[0];
    if (type !== ICMP_ROUTER_ADVERTISEMENT && type !== ICMP_ROUTER_SOLICITATION) return undefined;
    if (packet.truncated) {
      return errorRecord(
        packet.frame,
        new WireError('truncated', 'the capture does not hold the whole ICMP message', packet.icmp.length),
      );
    }
    try {
      return { ...where, ...messageToJson(decodeIcmpMobility(packet.icmp)) };
    } catch (e) {
      // A plain router advertisement (no mobility agent extension) is not ours to report.
      if (isWireError(e) && e.kind === 'unknown-type' && type === ICMP_ROUTER_ADVERTISEMENT) return undefined;
      return errorRecord(packet.frame, e);
    }
  }
  return undefined;
}

/**
 * Every Mobile IP message of a capture file, in frame order. Throws CaptureError when the file
 * itself is broken (after yielding the messages before the break).
 */
export function* decodeCapture(file: Buffer, opts: DecodeOptions = {}): Generator<DecodedRecord> {
  for (const packet of readCapturePackets(file)) {
    const record = decodePacket(packet, opts);
    if (record) yield record;
  }
}

/** One output line: compact JSON. */
export function toJsonLine(record: DecodedRecord): string {
  return JSON.stringify(record);
}
