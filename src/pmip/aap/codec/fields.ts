import { checkUint as checkRange } from '../../wire/checks.ts';
import type { Digest } from '../../subnet-map/digest.ts';
import { AapCodecError } from './error.ts';
import type { AapChunk, AapStateRow } from './messages.ts';

/** The small writers and readers the message codecs share (all integers big-endian). */

/** Longest sender id, bytes of UTF-8. */
export const MAX_SENDER_ID_BYTES = 64;
/** Longest receiver id (the same rule as sender ids: a receiver is some node's id or endpoint). */
export const MAX_RECEIVER_ID_BYTES = MAX_SENDER_ID_BYTES;
/** Most chunks one transfer may announce (uint16). */
export const MAX_CHUNKS = 0xffff;
/** Bytes of one row between AAPs: home agent(4) prefix length(1) flags(1) stamp(6). */
export const STATE_ROW = 12;

const badValue = (message: string): AapCodecError => new AapCodecError('bad-value', message);

/**
 * An integer from 0 to `max`, else a bad-value AapCodecError naming the field (the shared check
 * makes the message). The test is repeated here so that the passing case costs no call: calling
 * the shared check for every field measured 1.3-1.5x slower table encodes (251 rows, in-process
 * A/B against the former codec).
 */
export function checkUint(value: number, field: string, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) checkRange(value, field, max, badValue);
}

export function checkPrefix(len: number, field: string): void {
  checkUint(len, field, 32);
}

/** A prefix length from a column (a uint8): above 32 is bad-value, naming `<column>[i]`. */
export function columnPrefix(len: number, column: string, i: number): number {
  if (len > 32)
    throw new AapCodecError(
      'bad-value',
      `${column}[${i}].prefixLength: ${len} is not an integer from 0 to 32`,
    );
  return len;
}

/** A prefix length read at `offset`: above 32 is bad-value. */
export function readPrefix(b: Buffer, offset: number): number {
  const prefixLength = b[offset]!;
  if (prefixLength > 32)
    throw new AapCodecError('bad-value', `prefix length ${prefixLength} above 32`, offset);
  return prefixLength;
}

export function writeDigest(buf: Buffer, off: number, digest: Digest, field: string): void {
  if (!/^[0-9a-f]{16}$/.test(digest)) throw new AapCodecError('bad-value', `${field}: not 16 hex digits`);
  buf.writeUInt32BE(parseInt(digest.slice(0, 8), 16), off);
  buf.writeUInt32BE(parseInt(digest.slice(8), 16), off + 4);
}

export function readDigest(buf: Buffer, off: number): Digest {
  return buf.toString('hex', off, off + 8);
}

export function writeChunk(buf: Buffer, off: number, chunk: AapChunk): void {
  checkUint(chunk.count, 'chunk.count', MAX_CHUNKS);
  if (chunk.count < 1) throw new AapCodecError('bad-value', 'chunk.count: must be at least 1');
  checkUint(chunk.index, 'chunk.index', chunk.count - 1);
  buf.writeUInt16BE(chunk.index, off);
  buf.writeUInt16BE(chunk.count, off + 2);
}

export function readChunk(buf: Buffer, off: number): AapChunk {
  const index = buf.readUInt16BE(off);
  const count = buf.readUInt16BE(off + 2);
  if (count < 1 || index >= count)
    throw new AapCodecError('bad-value', `chunk ${index} of ${count} is impossible`, off);
  return { index, count };
}

export function writeIpv4Number(buf: Buffer, off: number, address: string, field: string): void {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new AapCodecError('bad-value', `${field}: "${address}" is not a dotted-quad IPv4 address`);
  for (let i = 0; i < 4; i++) buf[off + i] = Number(parts[i]);
}

export function writeStateRows(buf: Buffer, off: number, rows: readonly AapStateRow[]): void {
  rows.forEach((r, i) => {
    checkUint(r.homeAgent, `rows[${i}].homeAgent`, 0xffffffff);
    checkPrefix(r.prefixLength, `rows[${i}].prefixLength`);
    checkUint(r.stamp, `rows[${i}].stamp`, 2 ** 48 - 1);
    const o = off + i * STATE_ROW;
    buf.writeUInt32BE(r.homeAgent, o);
    buf[o + 4] = r.prefixLength;
    buf[o + 5] = r.deleted ? 1 : 0;
    buf.writeUIntBE(r.stamp, o + 6, 6);
  });
}

export function readStateRows(buf: Buffer, off: number, n: number): AapStateRow[] {
  const rows: AapStateRow[] = new Array<AapStateRow>(n);
  for (let i = 0; i < n; i++) {
    const o = off + i * STATE_ROW;
    const prefixLength = readPrefix(buf, o + 4);
    const flags = buf[o + 5]!;
    if (flags > 1) throw new AapCodecError('bad-value', `row flags 0x${flags.toString(16)} unknown`, o + 5);
    rows[i] = {
      homeAgent: buf.readUInt32BE(o),
      prefixLength,
      deleted: flags === 1,
      stamp: buf.readUIntBE(o + 6, 6),
    };
  }
  return rows;
}

/** A body must be exactly this long (bad-length otherwise). */
export function expectLength(body: Buffer, length: number, what: string): void {
  if (body.length !== length)
    throw new AapCodecError('bad-length', `${what} body is ${body.length} bytes, its fields say ${length}`);
}

/** A body must be at least this long (truncated otherwise). */
export function expectAtLeast(body: Buffer, length: number, what: string): void {
  if (body.length < length)
    throw new AapCodecError(
      'truncated',
      `${what} body needs ${length} bytes, got ${body.length}`,
      body.length,
    );
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes [start, end) as UTF-8; bad-value when they are not. */
export function utf8(b: Buffer, start: number, end: number, what: string): string {
  try {
    return utf8Decoder.decode(b.subarray(start, end));
  } catch {
    throw new AapCodecError('bad-value', `${what} is not UTF-8`, start);
  }
}
