/**
 * Capture file reader: classic pcap (both byte orders, microsecond and nanosecond magic) and
 * pcapng (sections of either byte order, interface description, enhanced, simple and obsolete
 * packet blocks; other blocks are skipped). Pure functions over a Buffer, no I/O.
 *
 * Frames are numbered from 1 in file order, counting every packet record or packet block, which
 * is how tshark numbers them. A file that ends inside a header, record or block, or whose lengths
 * contradict each other, throws a CaptureError naming the byte offset.
 */
import { CaptureError } from './errors.ts';
import { packetFromFrame, type CapturePacket } from './packets.ts';

export { CaptureError, isCaptureError, CAPTURE_ERROR_KINDS, type CaptureErrorKind } from './errors.ts';

/** Link-layer header types (https://www.tcpdump.org/linktypes.html) the packet decoder understands. */
export const LinkType = {
  null: 0,
  ethernet: 1,
  /** Raw IP as some BSDs numbered DLT_RAW. */
  rawBsd12: 12,
  rawBsd14: 14,
  raw: 101,
  loop: 108,
  linuxSll: 113,
  ipv4: 228,
  linuxSll2: 276,
} as const;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureFrame {
  /** 1-based frame number, as tshark numbers frames. */
  frame: number;
  /** Link-layer header type of the frame's interface (LINKTYPE_* value). */
  linkType: number;
  /** Capture time in nanoseconds since the Unix epoch. */
  timestampNs: bigint;
  /**
   * The same time in milliseconds (fractions kept, to about a quarter of a microsecond): what the
   * observer works in, computed here from the record's numbers, without a bigint conversion per packet.
   */
  timestampMs: number;
  /** The captured bytes (a view into the file buffer, not a copy). */
  data: Buffer;
  /** Length of the frame on the wire; larger than data.length when the snap length cut it. */
  originalLength: number;
  /** Byte offset of the record (pcap) or block (pcapng) in the file. */
  fileOffset: number;
}

const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
const PCAP_MAGIC_NANO = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAP_FILE_HEADER_LENGTH = 24;
const PCAP_RECORD_HEADER_LENGTH = 16;
/** Largest record we believe (tshark's limit for ordinary link types is 256 KiB). */
const MAX_RECORD_LENGTH = 262_144;

/** Which container the file is, from its first four bytes. */
export function detectCaptureFormat(buf: Buffer): CaptureFormat {
  if (buf.length < 4) {
    throw new CaptureError('truncated', `file is ${buf.length} bytes, too short for a capture file magic`, 0);
  }
  const le = buf.readUInt32LE(0);
  const be = buf.readUInt32BE(0);
  if (le === PCAPNG_SHB) return 'pcapng';
  for (const magic of [PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO]) {
    if (le === magic || be === magic) return 'pcap';
  }
  throw new CaptureError(
    'bad-magic',
    `magic 0x${be.toString(16).padStart(8, '0')} is neither pcap nor pcapng`,
    0,
  );
}

/** Every frame of a pcap or pcapng file, in file order. */
export function* readCaptureFrames(buf: Buffer): Generator<CaptureFrame> {
  if (detectCaptureFormat(buf) === 'pcap') yield* readPcapFrames(buf);
  else yield* readPcapngFrames(buf);
}

/** Every IPv4 packet of a capture, decoded down to UDP or ICMP (frames without IPv4 are skipped). */
export function* readCapturePackets(buf: Buffer): Generator<CapturePacket> {
  for (const frame of readCaptureFrames(buf)) {
    const packet = packetFromFrame(frame);
    if (packet) yield packet;
  }
}

interface Reader {
  u16(off: number): number;
  u32(off: number): number;
}

function reader(buf: Buffer, littleEndian: boolean): Reader {
  return littleEndian
    ? { u16: (o) => buf.readUInt16LE(o), u32: (o) => buf.readUInt32LE(o) }
    : { u16: (o) => buf.readUInt16BE(o), u32: (o) => buf.readUInt32BE(o) };
}

/** Classic libpcap format. */
export function* readPcapFrames(buf: Buffer): Generator<CaptureFrame> {
  if (buf.length < 4) throw new CaptureError('truncated', 'file too short for the pcap magic', 0);
  const le = buf.readUInt32LE(0);
  const be = buf.readUInt32BE(0);
  let littleEndian: boolean;
  let nano: boolean;
  if (le === PCAP_MAGIC_MICRO || le === PCAP_MAGIC_NANO) {
    littleEndian = true;
    nano = le === PCAP_MAGIC_NANO;
  } else if (be === PCAP_MAGIC_MICRO || be === PCAP_MAGIC_NANO) {
    littleEndian = false;
    nano = be === PCAP_MAGIC_NANO;
  } else {
    throw new CaptureError('bad-magic', `magic 0x${be.toString(16).padStart(8, '0')} is not pcap`, 0);
  }
  if (buf.length < PCAP_FILE_HEADER_LENGTH) {
    throw new CaptureError(
      'truncated',
      `pcap file header needs ${PCAP_FILE_HEADER_LENGTH} bytes, the file has ${buf.length}`,
      buf.length,
    );
  }
  const r = reader(buf, littleEndian);
  const major = r.u16(4);
  const minor = r.u16(6);
  if (major !== 2) {
    throw new CaptureError('unsupported-version', `pcap version ${major}.${minor}, expected 2.x`, 4);
  }
  const snaplen = r.u32(16);
  const linkType = r.u32(20) & 0xffff; // the upper bits carry FCS information
  const maxRecord = Math.max(MAX_RECORD_LENGTH, snaplen);
  const fracToNs = nano ? 1n : 1000n;
  const fracPerMs = nano ? 1e6 : 1e3;
  const nsPerFrac = nano ? 1 : 1000;

  let off = PCAP_FILE_HEADER_LENGTH;
  let frame = 0;
  while (off < buf.length) {
    frame++;
    if (off + PCAP_RECORD_HEADER_LENGTH > buf.length) {
      throw new CaptureError(
        'truncated',
        `record header of frame ${frame} needs ${PCAP_RECORD_HEADER_LENGTH} bytes, ${buf.length - off} remain`,
        off,
      );
    }
    const seconds = r.u32(off);
    const fraction = r.u32(off + 4);
    const capturedLength = r.u32(off + 8);
    const originalLength = r.u32(off + 12);
    if (capturedLength > maxRecord) {
      throw new CaptureError(
        'corrupt',
        `frame ${frame} declares ${capturedLength} captured bytes, more than the ${maxRecord} a record can hold`,
        off + 8,
      );
    }
    const dataStart = off + PCAP_RECORD_HEADER_LENGTH;
    if (dataStart + capturedLength > buf.length) {
      throw new CaptureError(
        'truncated',
        `frame ${frame} declares ${capturedLength} captured bytes, ${buf.length - dataStart} remain`,
        off,
      );
    }
    yield {
      frame,
      linkType,
      timestampNs: BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * fracToNs,
      timestampMs: msFrom(
        seconds * 1000 + Math.floor(fraction / fracPerMs),
        (fraction % fracPerMs) * nsPerFrac,
      ),
      data: buf.subarray(dataStart, dataStart + capturedLength),
      originalLength,
      fileOffset: off,
    };
    off = dataStart + capturedLength;
  }
}

interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp unit: 10^-n seconds (decimal) or 2^-n seconds (binary). */
  tsresol: { binary: boolean; exponent: number };
  /** if_tsoffset, seconds added to every timestamp. */
  tsoffset: bigint;
}

const BLOCK_SECTION_HEADER = PCAPNG_SHB;
const BLOCK_INTERFACE_DESCRIPTION = 1;
const BLOCK_OBSOLETE_PACKET = 2;
const BLOCK_SIMPLE_PACKET = 3;
const BLOCK_ENHANCED_PACKET = 6;

/**
 * Milliseconds from whole milliseconds and the nanoseconds past them: one formula for pcap and
 * pcapng, so the same instant gives the same number from either format.
 */
function msFrom(wholeMs: number, ns: number): number {
  return wholeMs + ns / 1e6;
}

function timestampToNs(iface: PcapngInterface, high: number, low: number): bigint {
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  const { binary, exponent } = iface.tsresol;
  let ns: bigint;
  if (binary) ns = (ticks * 1_000_000_000n) >> BigInt(exponent);
  else if (exponent <= 9) ns = ticks * 10n ** BigInt(9 - exponent);
  else ns = ticks / 10n ** BigInt(exponent - 9);
  return ns + iface.tsoffset * 1_000_000_000n;
}

/** Reads the options of an interface description block that matter for timestamps. */
function parseInterfaceOptions(
  buf: Buffer,
  r: Reader,
  littleEndian: boolean,
  start: number,
  end: number,
  iface: PcapngInterface,
): void {
  let off = start;
  while (off + 4 <= end) {
    const code = r.u16(off);
    const len = r.u16(off + 2);
    if (code === 0) break; // opt_endofopt
    const value = off + 4;
    if (value + len > end) break; // a bad option ends the list; the block itself is fine
    if (code === 9 && len >= 1) {
      const v = buf[value]!;
      iface.tsresol = { binary: (v & 0x80) !== 0, exponent: v & 0x7f };
    } else if (code === 14 && len >= 8) {
      iface.tsoffset = littleEndian ? buf.readBigInt64LE(value) : buf.readBigInt64BE(value);
    }
    off = value + ((len + 3) & ~3);
  }
}

/** The pcapng format (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html). */
export function* readPcapngFrames(buf: Buffer): Generator<CaptureFrame> {
  let off = 0;
  let frame = 0;
  let r: Reader | undefined;
  let littleEndian = true;
  let interfaces: PcapngInterface[] = [];

  while (off < buf.length) {
    if (off + 12 > buf.length) {
      throw new CaptureError('truncated', `block header needs 12 bytes, ${buf.length - off} remain`, off);
    }
    const leType = buf.readUInt32LE(off);
    if (leType === BLOCK_SECTION_HEADER) {
      const bom = buf.readUInt32LE(off + 8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) littleEndian = true;
      else if (buf.readUInt32BE(off + 8) === PCAPNG_BYTE_ORDER_MAGIC) littleEndian = false;
      else {
        throw new CaptureError(
          'bad-magic',
          `section header byte-order magic 0x${buf.readUInt32BE(off + 8).toString(16)} is not 0x1a2b3c4d`,
          off + 8,
        );
      }
      r = reader(buf, littleEndian);
      interfaces = [];
    } else if (!r) {
      throw new CaptureError('bad-magic', 'pcapng file does not start with a section header block', off);
    }
    const rr = r;
    const type = rr.u32(off);
    const total = rr.u32(off + 4);
    if (total < 12 || total % 4 !== 0) {
      throw new CaptureError(
        'corrupt',
        `block length ${total} is not a multiple of 4 of at least 12`,
        off + 4,
      );
    }
    if (off + total > buf.length) {
      throw new CaptureError(
        'truncated',
        `block of type 0x${type.toString(16)} declares ${total} bytes, ${buf.length - off} remain`,
        off,
      );
    }
    const trailer = rr.u32(off + total - 4);
    if (trailer !== total) {
      throw new CaptureError(
        'corrupt',
        `block length ${total} at the start disagrees with ${trailer} at the end`,
        off + total - 4,
      );
    }
    const bodyEnd = off + total - 4;
    const needs = (n: number, what: string): void => {
      if (total < n)
        throw new CaptureError('corrupt', `${what} of ${total} bytes, needs at least ${n}`, off + 4);
    };

    switch (type) {
      case BLOCK_SECTION_HEADER: {
        needs(28, 'section header block');
        const major = rr.u16(off + 12);
        const minor = rr.u16(off + 14);
        if (major !== 1) {
          throw new CaptureError(
            'unsupported-version',
            `pcapng version ${major}.${minor}, expected 1.x`,
            off + 12,
          );
        }
        break;
      }
      case BLOCK_INTERFACE_DESCRIPTION: {
        needs(20, 'interface description block');
        const iface: PcapngInterface = {
          linkType: rr.u16(off + 8),
          snaplen: rr.u32(off + 12),
          tsresol: { binary: false, exponent: 6 },
          tsoffset: 0n,
        };
        parseInterfaceOptions(buf, rr, littleEndian, off + 16, bodyEnd, iface);
        interfaces.push(iface);
        break;
      }
      case BLOCK_ENHANCED_PACKET:
      case BLOCK_OBSOLETE_PACKET: {
        needs(32, type === BLOCK_ENHANCED_PACKET ? 'enhanced packet block' : 'packet block');
        frame++;
        const ifaceId = type === BLOCK_ENHANCED_PACKET ? rr.u32(off + 8) : rr.u16(off + 8);
        const iface = interfaces[ifaceId];
        if (!iface) {
          throw new CaptureError(
            'corrupt',
            `frame ${frame} names interface ${ifaceId}, the section describes ${interfaces.length}`,
            off + 8,
          );
        }
        const capturedLength = rr.u32(off + 20);
        const originalLength = rr.u32(off + 24);
        const dataStart = off + 28;
        if (dataStart + capturedLength > bodyEnd) {
          throw new CaptureError(
            'corrupt',
            `frame ${frame} declares ${capturedLength} captured bytes, its block holds ${bodyEnd - dataStart}`,
            off + 20,
          );
        }
        const timestampNs = timestampToNs(iface, rr.u32(off + 12), rr.u32(off + 16));
        yield {
          frame,
          linkType: iface.linkType,
          timestampNs,
          timestampMs: msFrom(Number(timestampNs / 1_000_000n), Number(timestampNs % 1_000_000n)),
          data: buf.subarray(dataStart, dataStart + capturedLength),
          originalLength,
          fileOffset: off,
        };
        break;
      }
      case BLOCK_SIMPLE_PACKET: {
        needs(16, 'simple packet block');
        frame++;
        const iface = interfaces[0];
        if (!iface) {
          throw new CaptureError(
            'corrupt',
            `frame ${frame} is a simple packet block but the section describes no interface`,
            off,
          );
        }
        const originalLength = rr.u32(off + 8);
        const dataStart = off + 12;
        let capturedLength = Math.min(originalLength, bodyEnd - dataStart);
        if (iface.snaplen > 0) capturedLength = Math.min(capturedLength, iface.snaplen);
        yield {
          frame,
          linkType: iface.linkType,
          timestampNs: 0n,
          timestampMs: 0,
          data: buf.subarray(dataStart, dataStart + capturedLength),
          originalLength,
          fileOffset: off,
        };
        break;
      }
      default:
        // name resolution, statistics, decryption secrets, custom blocks, ...: not needed here
        break;
    }
    off += total;
  }
}
