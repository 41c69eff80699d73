import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Digest } from '../../subnet-map/digest.ts';
import { RECONCILIATION_BUCKETS } from '../../subnet-map/digest.ts';

/**
 * The subnet map protocol on UDP 6500 (ours; docs/aap-protocol.md): pure encode/decode of its
 * messages and their HMAC-SHA256 with the site's group key. Bytes in, typed values or an
 * AapCodecError out; no I/O.
 *
 * Every datagram: magic "SM", version 2, type, the sender's epoch (48-bit ms) and sequence number
 * (counted per receiver), the sender id, the receiver id, a length-prefixed body and a 32-byte
 * HMAC over everything before it: a datagram names, under the HMAC, the one node it is for.
 * Tables too large for one datagram travel as chunks (index/count), each under
 * `maxDatagramBytes`.
 */
export const AAP_PORT = 6500;
export const AAP_MAGIC = 0x534d; // "SM"
/** 2: the receiver id joined the header (version 1 had none and is refused as bad-version). */
export const AAP_VERSION = 2;
export const AAP_HMAC_LENGTH = 32;
/** Bytes before the sender id: magic(2) version(1) type(1) epoch(6) sequence(4) id length(1). */
export const AAP_HEADER_FIXED = 15;
/** Header fixed part + receiver id length(1) + body length(2) + HMAC (add both ids' bytes). */
export const AAP_OVERHEAD = AAP_HEADER_FIXED + 1 + 2 + AAP_HMAC_LENGTH;
export const MAX_SENDER_ID_BYTES = 64;
/** Longest receiver id (the same rule as sender ids: a receiver is some node's id or endpoint). */
export const MAX_RECEIVER_ID_BYTES = MAX_SENDER_ID_BYTES;
/** Default size of one datagram (UDP payload); stays under a 1500-byte MTU. */
export const DEFAULT_MAX_DATAGRAM_BYTES = 1400;
/**
 * Smallest allowed size: room for the header with the longest sender and receiver ids, and a
 * hand-over chunk with the longest access point id and a few rows.
 */
export const MIN_MAX_DATAGRAM_BYTES = 320;
/** Shortest group key accepted, bytes. */
export const MIN_GROUP_KEY_BYTES = 16;
/** Most chunks one transfer may announce (uint16). */
export const MAX_CHUNKS = 0xffff;

export const AapMessageType = {
  report: 1,
  table: 2,
  update: 3,
  ack: 4,
  digest: 5,
  pull: 6,
  state: 7,
  handover: 8,
  leave: 9,
} as const;
export type AapMessageKind = keyof typeof AapMessageType;
const TYPE_NAMES = new Map<number, AapMessageKind>(
  Object.entries(AapMessageType).map(([k, v]) => [v, k as AapMessageKind]),
);

export type AapCodecErrorKind =
  | 'truncated' // fewer bytes than the header or a declared length needs
  | 'bad-magic' // not a subnet map datagram
  | 'bad-version' // a protocol version we do not speak
  | 'bad-length' // a length field that contradicts the datagram or the body layout
  | 'unknown-type' // a message type we do not know
  | 'bad-value' // a field out of range (prefix length, chunk index, id length, ...)
  | 'bad-hmac'; // the HMAC does not verify with our group key: unauthenticated

export const AAP_CODEC_ERROR_KINDS: readonly AapCodecErrorKind[] = [
  'truncated',
  'bad-magic',
  'bad-version',
  'bad-length',
  'unknown-type',
  'bad-value',
  'bad-hmac',
];

/** The one error the codec throws. Never carries key material. */
export class AapCodecError extends Error {
  override readonly name = 'AapCodecError';
  constructor(
    readonly kind: AapCodecErrorKind,
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? `${kind}: ${message}` : `${kind} at byte ${offset}: ${message}`);
  }
}

export function isAapCodecError(e: unknown): e is AapCodecError {
  return e instanceof AapCodecError;
}

// ---- messages -----------------------------------------------------------------------------------

/** A row on the wire: home agent (uint32) and prefix length. */
export interface AapRow {
  homeAgent: number;
  prefixLength: number;
}

export interface AapRowOp extends AapRow {
  op: 'upsert' | 'remove';
}

/**
 * Rows of a table or update as columns: a 10,000-row table to each of hundreds of APs allocates
 * nothing per row on either side. `rowsFrom`/`rowsToArray` convert from and to objects.
 */
export interface AapRows {
  homeAgents: Uint32Array;
  prefixLengths: Uint8Array;
}

/** Update operations as columns: `removes[i]` is 1 for a removal, 0 for an upsert. */
export interface AapOps extends AapRows {
  removes: Uint8Array;
}

export function rowsFrom(rows: readonly AapRow[]): AapRows {
  const out = emptyRows(rows.length);
  rows.forEach((r, i) => {
    out.homeAgents[i] = r.homeAgent;
    out.prefixLengths[i] = r.prefixLength;
  });
  return out;
}

export function rowsToArray(rows: AapRows): AapRow[] {
  return Array.from(rows.homeAgents, (homeAgent, i) => ({ homeAgent, prefixLength: rows.prefixLengths[i]! }));
}

export function opsFrom(ops: readonly AapRowOp[]): AapOps {
  const out: AapOps = { ...emptyRows(ops.length), removes: new Uint8Array(ops.length) };
  ops.forEach((o, i) => {
    out.homeAgents[i] = o.homeAgent;
    out.prefixLengths[i] = o.prefixLength;
    out.removes[i] = o.op === 'remove' ? 1 : 0;
  });
  return out;
}

export function opsToArray(ops: AapOps): AapRowOp[] {
  return Array.from(ops.homeAgents, (homeAgent, i) => ({
    op: ops.removes[i] === 1 ? ('remove' as const) : ('upsert' as const),
    homeAgent,
    prefixLength: ops.prefixLengths[i]!,
  }));
}

function emptyRows(n: number): AapRows {
  return { homeAgents: new Uint32Array(n), prefixLengths: new Uint8Array(n) };
}

/** Rows [start, end) as views (no copy). */
export function sliceRows(rows: AapRows, start: number, end: number): AapRows {
  return {
    homeAgents: rows.homeAgents.subarray(start, end),
    prefixLengths: rows.prefixLengths.subarray(start, end),
  };
}

export function sliceOps(ops: AapOps, start: number, end: number): AapOps {
  return { ...sliceRows(ops, start, end), removes: ops.removes.subarray(start, end) };
}

/** Splits columns into chunks of at most `perChunk` rows (one empty chunk for no rows). */
export function chunkColumns<T extends AapRows>(
  rows: T,
  perChunk: number,
  slice: (rows: T, start: number, end: number) => T,
): T[] {
  const n = rows.homeAgents.length;
  if (n === 0) return [rows];
  const out: T[] = [];
  for (let i = 0; i < n; i += perChunk) out.push(slice(rows, i, Math.min(n, i + perChunk)));
  if (out.length > MAX_CHUNKS)
    throw new AapCodecError('bad-value', `${n} rows need more than ${MAX_CHUNKS} chunks`);
  return out;
}

/** A row between AAPs: with its change stamp (48-bit, ms-based logical clock) and tombstone flag. */
export interface AapStateRow extends AapRow {
  deleted: boolean;
  stamp: number;
}

export interface AapChunk {
  index: number;
  count: number;
}

/** AP -> AAP: here is my home agent (if known) and my table's digest; answer with the table. */
export interface AapReport {
  type: 'report';
  /** The whole table is wanted even if the digest matches (start, refresh, clear). */
  full: boolean;
  homeAgent: AapRow | null;
  digest: Digest;
}

/** AAP -> AP: the whole table (in chunks), or `unchanged` (one datagram, no rows). */
export interface AapTable {
  type: 'table';
  version: number;
  digest: Digest;
  totalRows: number;
  unchanged: boolean;
  chunk: AapChunk;
  rows: AapRows;
}

/** AAP -> AP: incremental changes; the AP acknowledges the whole update once every chunk is in. */
export interface AapUpdate {
  type: 'update';
  updateId: number;
  version: number;
  /** The AAP's digest after the change: the AP compares and re-fetches on a mismatch. */
  digest: Digest;
  chunk: AapChunk;
  ops: AapOps;
}

/** Acknowledges an update (AP -> AAP) or a hand-over (AAP -> AAP). */
export interface AapAck {
  type: 'ack';
  acked: 'update' | 'handover';
  id: number;
  version: number;
  digest: Digest;
}

/** AAP -> AAP, periodically: version, row count, digest and one digest per reconciliation bucket. */
export interface AapDigest {
  type: 'digest';
  version: number;
  rows: number;
  digest: Digest;
  buckets: Digest[];
}

/** AAP -> AAP: send me your rows (tombstones included) of these buckets. */
export interface AapPull {
  type: 'pull';
  transferId: number;
  /** Bit i set: bucket i is wanted. */
  buckets: bigint;
}

/** AAP -> AAP: the answer to a pull, in chunks. */
export interface AapState {
  type: 'state';
  transferId: number;
  version: number;
  digest: Digest;
  chunk: AapChunk;
  rows: AapStateRow[];
}

export interface AapAccessPointRef {
  id: string;
  address: string;
  port: number;
}

/** AAP -> next AAP: this AP did not acknowledge these changes; try it yourself. */
export interface AapHandover {
  type: 'handover';
  handoverId: number;
  accessPoint: AapAccessPointRef;
  chunk: AapChunk;
  rows: AapStateRow[];
}

/** AP -> AAP: I am leaving your AP list (stopped: PMIP disabled or shut down; moved: to another AAP). */
export interface AapLeave {
  type: 'leave';
  reason: 'stopped' | 'moved';
}

export type AapMessage =
  AapReport | AapTable | AapUpdate | AapAck | AapDigest | AapPull | AapState | AapHandover | AapLeave;

export interface AapHeader {
  senderId: string;
  /**
   * The node this datagram is for, under the HMAC: an AP's id, an AAP's id, or (an AAP whose id
   * the sender is not configured with) the AAP's endpoint `address:port`. Checked on receipt.
   */
  receiverId: string;
  /** When the sender started, ms since the Unix epoch (48 bits): a restart is a new epoch. */
  epoch: number;
  /** Datagram counter of this sender towards this receiver, from 1, within an epoch. */
  sequence: number;
}

export interface AapEnvelope extends AapHeader {
  message: AapMessage;
}

// ---- fixed body sizes and row sizes --------------------------------------------------------------

const REPORT_BODY = 14;
const TABLE_FIXED = 23;
const TABLE_ROW = 5;
const UPDATE_FIXED = 22;
const UPDATE_ROW = 6;
const ACK_BODY = 17;
const DIGEST_FIXED = 17;
const PULL_BODY = 13;
const STATE_FIXED = 22;
const STATE_ROW = 12;
const HANDOVER_FIXED = 4 + 1 + 4 + 2 + 2 + 2 + 2;
const LEAVE_BODY = 1;

const OP_UPSERT = 1;
const OP_REMOVE = 2;
const LEAVE_STOPPED = 1;
const LEAVE_MOVED = 2;
const ACK_UPDATE = AapMessageType.update;
const ACK_HANDOVER = AapMessageType.handover;

// ---- small writers and readers --------------------------------------------------------------------

function checkUint(value: number, field: string, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new AapCodecError('bad-value', `${field}: ${value} is not an integer from 0 to ${max}`);
}

function checkPrefix(len: number, field: string): void {
  checkUint(len, field, 32);
}

function writeDigest(buf: Buffer, off: number, digest: Digest, field: string): void {
  if (!/^[0-9a-f]{16}$/.test(digest)) throw new AapCodecError('bad-value', `${field}: not 16 hex digits`);
  buf.writeUInt32BE(parseInt(digest.slice(0, 8), 16), off);
  buf.writeUInt32BE(parseInt(digest.slice(8), 16), off + 4);
}

function readDigest(buf: Buffer, off: number): Digest {
  return buf.toString('hex', off, off + 8);
}

function writeChunk(buf: Buffer, off: number, chunk: AapChunk): void {
  checkUint(chunk.count, 'chunk.count', MAX_CHUNKS);
  if (chunk.count < 1) throw new AapCodecError('bad-value', 'chunk.count: must be at least 1');
  checkUint(chunk.index, 'chunk.index', chunk.count - 1);
  buf.writeUInt16BE(chunk.index, off);
  buf.writeUInt16BE(chunk.count, off + 2);
}

function readChunk(buf: Buffer, off: number): AapChunk {
  const index = buf.readUInt16BE(off);
  const count = buf.readUInt16BE(off + 2);
  if (count < 1 || index >= count)
    throw new AapCodecError('bad-value', `chunk ${index} of ${count} is impossible`, off);
  return { index, count };
}

function writeIpv4Number(buf: Buffer, off: number, address: string, field: string): void {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new AapCodecError('bad-value', `${field}: "${address}" is not a dotted-quad IPv4 address`);
  for (let i = 0; i < 4; i++) buf[off + i] = Number(parts[i]);
}

function writeStateRows(buf: Buffer, off: number, rows: readonly AapStateRow[]): void {
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

function readStateRows(buf: Buffer, off: number, n: number): AapStateRow[] {
  const rows: AapStateRow[] = new Array<AapStateRow>(n);
  for (let i = 0; i < n; i++) {
    const o = off + i * STATE_ROW;
    const prefixLength = buf[o + 4]!;
    const flags = buf[o + 5]!;
    if (prefixLength > 32)
      throw new AapCodecError('bad-value', `prefix length ${prefixLength} above 32`, o + 4);
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

function expectLength(body: Buffer, length: number, what: string): void {
  if (body.length !== length)
    throw new AapCodecError('bad-length', `${what} body is ${body.length} bytes, its fields say ${length}`);
}

function expectAtLeast(body: Buffer, length: number, what: string): void {
  if (body.length < length)
    throw new AapCodecError(
      'truncated',
      `${what} body needs ${length} bytes, got ${body.length}`,
      body.length,
    );
}

// ---- bodies ----------------------------------------------------------------------------------------

/** Encodes a message body (without header and HMAC). */
export function encodeAapBody(m: AapMessage): Buffer {
  switch (m.type) {
    case 'report': {
      const b = Buffer.alloc(REPORT_BODY);
      b[0] = (m.full ? 0x01 : 0) | (m.homeAgent ? 0x02 : 0);
      if (m.homeAgent) {
        checkUint(m.homeAgent.homeAgent, 'homeAgent', 0xffffffff);
        checkPrefix(m.homeAgent.prefixLength, 'prefixLength');
        b.writeUInt32BE(m.homeAgent.homeAgent, 1);
        b[5] = m.homeAgent.prefixLength;
      }
      writeDigest(b, 6, m.digest, 'digest');
      return b;
    }
    case 'table': {
      const n = m.rows.homeAgents.length;
      if (m.rows.prefixLengths.length !== n)
        throw new AapCodecError('bad-value', 'rows: columns of different lengths');
      if (m.unchanged && n > 0) throw new AapCodecError('bad-value', 'an unchanged table carries no rows');
      checkUint(n, 'rows.length', 0xffff);
      const b = Buffer.allocUnsafe(TABLE_FIXED + n * TABLE_ROW);
      checkUint(m.version, 'version', 0xffffffff);
      checkUint(m.totalRows, 'totalRows', 0xffffffff);
      b.writeUInt32BE(m.version, 0);
      writeDigest(b, 4, m.digest, 'digest');
      b.writeUInt32BE(m.totalRows, 12);
      writeChunk(b, 16, m.chunk);
      b[20] = m.unchanged ? 0x01 : 0;
      b.writeUInt16BE(n, 21);
      const { homeAgents, prefixLengths } = m.rows;
      for (let i = 0, o = TABLE_FIXED; i < n; i++, o += TABLE_ROW) {
        const len = prefixLengths[i]!;
        if (len > 32)
          throw new AapCodecError(
            'bad-value',
            `rows[${i}].prefixLength: ${len} is not an integer from 0 to 32`,
          );
        b.writeUInt32BE(homeAgents[i]!, o);
        b[o + 4] = len;
      }
      return b;
    }
    case 'update': {
      const n = m.ops.homeAgents.length;
      if (m.ops.prefixLengths.length !== n || m.ops.removes.length !== n)
        throw new AapCodecError('bad-value', 'ops: columns of different lengths');
      checkUint(n, 'ops.length', 0xffff);
      const b = Buffer.allocUnsafe(UPDATE_FIXED + n * UPDATE_ROW);
      checkUint(m.updateId, 'updateId', 0xffffffff);
      checkUint(m.version, 'version', 0xffffffff);
      b.writeUInt32BE(m.updateId, 0);
      b.writeUInt32BE(m.version, 4);
      writeDigest(b, 8, m.digest, 'digest');
      writeChunk(b, 16, m.chunk);
      b.writeUInt16BE(n, 20);
      const { homeAgents, prefixLengths, removes } = m.ops;
      for (let i = 0, o = UPDATE_FIXED; i < n; i++, o += UPDATE_ROW) {
        const len = prefixLengths[i]!;
        if (len > 32)
          throw new AapCodecError(
            'bad-value',
            `ops[${i}].prefixLength: ${len} is not an integer from 0 to 32`,
          );
        b[o] = removes[i] === 1 ? OP_REMOVE : OP_UPSERT;
        b.writeUInt32BE(homeAgents[i]!, o + 1);
        b[o + 5] = len;
      }
      return b;
    }
    case 'ack': {
      const b = Buffer.alloc(ACK_BODY);
      checkUint(m.id, 'id', 0xffffffff);
      checkUint(m.version, 'version', 0xffffffff);
      b[0] = m.acked === 'update' ? ACK_UPDATE : ACK_HANDOVER;
      b.writeUInt32BE(m.id, 1);
      b.writeUInt32BE(m.version, 5);
      writeDigest(b, 9, m.digest, 'digest');
      return b;
    }
    case 'digest': {
      if (m.buckets.length !== RECONCILIATION_BUCKETS)
        throw new AapCodecError(
          'bad-value',
          `buckets: ${m.buckets.length} digests, expected ${RECONCILIATION_BUCKETS}`,
        );
      const b = Buffer.allocUnsafe(DIGEST_FIXED + 8 * m.buckets.length);
      checkUint(m.version, 'version', 0xffffffff);
      checkUint(m.rows, 'rows', 0xffffffff);
      b.writeUInt32BE(m.version, 0);
      b.writeUInt32BE(m.rows, 4);
      writeDigest(b, 8, m.digest, 'digest');
      b[16] = m.buckets.length;
      m.buckets.forEach((d, i) => writeDigest(b, DIGEST_FIXED + 8 * i, d, `buckets[${i}]`));
      return b;
    }
    case 'pull': {
      const b = Buffer.alloc(PULL_BODY);
      checkUint(m.transferId, 'transferId', 0xffffffff);
      if (m.buckets < 0n || m.buckets >= 1n << 64n)
        throw new AapCodecError('bad-value', 'buckets: not a 64-bit bitmap');
      b.writeUInt32BE(m.transferId, 0);
      b[4] = RECONCILIATION_BUCKETS;
      b.writeBigUInt64BE(m.buckets, 5);
      return b;
    }
    case 'state': {
      checkUint(m.rows.length, 'rows.length', 0xffff);
      const b = Buffer.allocUnsafe(STATE_FIXED + m.rows.length * STATE_ROW);
      checkUint(m.transferId, 'transferId', 0xffffffff);
      checkUint(m.version, 'version', 0xffffffff);
      b.writeUInt32BE(m.transferId, 0);
      b.writeUInt32BE(m.version, 4);
      writeDigest(b, 8, m.digest, 'digest');
      writeChunk(b, 16, m.chunk);
      b.writeUInt16BE(m.rows.length, 20);
      writeStateRows(b, STATE_FIXED, m.rows);
      return b;
    }
    case 'handover': {
      const id = Buffer.from(m.accessPoint.id, 'utf8');
      if (id.length < 1 || id.length > MAX_SENDER_ID_BYTES)
        throw new AapCodecError(
          'bad-value',
          `accessPoint.id: must be 1-${MAX_SENDER_ID_BYTES} bytes of UTF-8`,
        );
      checkUint(m.rows.length, 'rows.length', 0xffff);
      const fixed = HANDOVER_FIXED + id.length;
      const b = Buffer.allocUnsafe(fixed + m.rows.length * STATE_ROW);
      checkUint(m.handoverId, 'handoverId', 0xffffffff);
      checkUint(m.accessPoint.port, 'accessPoint.port', 0xffff);
      b.writeUInt32BE(m.handoverId, 0);
      b[4] = id.length;
      id.copy(b, 5);
      let o = 5 + id.length;
      writeIpv4Number(b, o, m.accessPoint.address, 'accessPoint.address');
      b.writeUInt16BE(m.accessPoint.port, o + 4);
      writeChunk(b, o + 6, m.chunk);
      b.writeUInt16BE(m.rows.length, o + 10);
      o += 12;
      writeStateRows(b, o, m.rows);
      return b;
    }
    case 'leave': {
      const b = Buffer.alloc(LEAVE_BODY);
      b[0] = m.reason === 'stopped' ? LEAVE_STOPPED : LEAVE_MOVED;
      return b;
    }
    default:
      throw new AapCodecError('unknown-type', `message type ${String((m as { type: unknown }).type)}`);
  }
}

/** Decodes a body of the given message type (after the HMAC has been verified). */
export function decodeAapBody(type: AapMessageKind, b: Buffer): AapMessage {
  switch (type) {
    case 'report': {
      expectLength(b, REPORT_BODY, 'report');
      const flags = b[0]!;
      if ((flags & ~0x03) !== 0)
        throw new AapCodecError('bad-value', `report flags 0x${flags.toString(16)}`, 0);
      const prefixLength = b[5]!;
      if (prefixLength > 32)
        throw new AapCodecError('bad-value', `prefix length ${prefixLength} above 32`, 5);
      return {
        type,
        full: (flags & 0x01) !== 0,
        homeAgent: (flags & 0x02) !== 0 ? { homeAgent: b.readUInt32BE(1), prefixLength } : null,
        digest: readDigest(b, 6),
      };
    }
    case 'table': {
      expectAtLeast(b, TABLE_FIXED, 'table');
      const n = b.readUInt16BE(21);
      expectLength(b, TABLE_FIXED + n * TABLE_ROW, 'table');
      const flags = b[20]!;
      if (flags > 1) throw new AapCodecError('bad-value', `table flags 0x${flags.toString(16)}`, 20);
      const unchanged = flags === 1;
      const chunk = readChunk(b, 16);
      if (unchanged && (n > 0 || chunk.count !== 1))
        throw new AapCodecError('bad-value', 'an unchanged table is one chunk without rows', 20);
      const rows = emptyRows(n);
      for (let i = 0, o = TABLE_FIXED; i < n; i++, o += TABLE_ROW) {
        const prefixLength = b[o + 4]!;
        if (prefixLength > 32)
          throw new AapCodecError('bad-value', `prefix length ${prefixLength} above 32`, o + 4);
        rows.homeAgents[i] = b.readUInt32BE(o);
        rows.prefixLengths[i] = prefixLength;
      }
      return {
        type,
        version: b.readUInt32BE(0),
        digest: readDigest(b, 4),
        totalRows: b.readUInt32BE(12),
        unchanged,
        chunk,
        rows,
      };
    }
    case 'update': {
      expectAtLeast(b, UPDATE_FIXED, 'update');
      const n = b.readUInt16BE(20);
      expectLength(b, UPDATE_FIXED + n * UPDATE_ROW, 'update');
      const ops: AapOps = { ...emptyRows(n), removes: new Uint8Array(n) };
      for (let i = 0, o = UPDATE_FIXED; i < n; i++, o += UPDATE_ROW) {
        const code = b[o]!;
        const prefixLength = b[o + 5]!;
        if (code !== OP_UPSERT && code !== OP_REMOVE)
          throw new AapCodecError('bad-value', `operation ${code}`, o);
        if (prefixLength > 32)
          throw new AapCodecError('bad-value', `prefix length ${prefixLength} above 32`, o + 5);
        ops.removes[i] = code === OP_REMOVE ? 1 : 0;
        ops.homeAgents[i] = b.readUInt32BE(o + 1);
        ops.prefixLengths[i] = prefixLength;
      }
      return {
        type,
        updateId: b.readUInt32BE(0),
        version: b.readUInt32BE(4),
        digest: readDigest(b, 8),
        chunk: readChunk(b, 16),
        ops,
      };
    }
    case 'ack': {
      expectLength(b, ACK_BODY, 'ack');
      const acked = b[0];
      if (acked !== ACK_UPDATE && acked !== ACK_HANDOVER)
        throw new AapCodecError('bad-value', `acknowledged type ${acked}`, 0);
      return {
        type,
        acked: acked === ACK_UPDATE ? 'update' : 'handover',
        id: b.readUInt32BE(1),
        version: b.readUInt32BE(5),
        digest: readDigest(b, 9),
      };
    }
    case 'digest': {
      expectAtLeast(b, DIGEST_FIXED, 'digest');
      const count = b[16]!;
      if (count !== RECONCILIATION_BUCKETS)
        throw new AapCodecError('bad-value', `${count} buckets, expected ${RECONCILIATION_BUCKETS}`, 16);
      expectLength(b, DIGEST_FIXED + 8 * count, 'digest');
      const buckets: Digest[] = [];
      for (let i = 0; i < count; i++) buckets.push(readDigest(b, DIGEST_FIXED + 8 * i));
      return { type, version: b.readUInt32BE(0), rows: b.readUInt32BE(4), digest: readDigest(b, 8), buckets };
    }
    case 'pull': {
      expectLength(b, PULL_BODY, 'pull');
      if (b[4] !== RECONCILIATION_BUCKETS)
        throw new AapCodecError('bad-value', `${b[4]} buckets, expected ${RECONCILIATION_BUCKETS}`, 4);
      return { type, transferId: b.readUInt32BE(0), buckets: b.readBigUInt64BE(5) };
    }
    case 'state': {
      expectAtLeast(b, STATE_FIXED, 'state');
      const n = b.readUInt16BE(20);
      expectLength(b, STATE_FIXED + n * STATE_ROW, 'state');
      return {
        type,
        transferId: b.readUInt32BE(0),
        version: b.readUInt32BE(4),
        digest: readDigest(b, 8),
        chunk: readChunk(b, 16),
        rows: readStateRows(b, STATE_FIXED, n),
      };
    }
    case 'handover': {
      expectAtLeast(b, HANDOVER_FIXED + 1, 'handover');
      const idLength = b[4]!;
      if (idLength < 1 || idLength > MAX_SENDER_ID_BYTES)
        throw new AapCodecError('bad-value', `access point id length ${idLength}`, 4);
      const fixed = HANDOVER_FIXED + idLength;
      expectAtLeast(b, fixed, 'handover');
      let o = 5 + idLength;
      const address = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
      const port = b.readUInt16BE(o + 4);
      const chunk = readChunk(b, o + 6);
      const n = b.readUInt16BE(o + 10);
      o += 12;
      expectLength(b, fixed + n * STATE_ROW, 'handover');
      return {
        type,
        handoverId: b.readUInt32BE(0),
        accessPoint: { id: utf8(b, 5, 5 + idLength, 'access point id'), address, port },
        chunk,
        rows: readStateRows(b, o, n),
      };
    }
    case 'leave': {
      expectLength(b, LEAVE_BODY, 'leave');
      const r = b[0];
      if (r !== LEAVE_STOPPED && r !== LEAVE_MOVED)
        throw new AapCodecError('bad-value', `leave reason ${r}`, 0);
      return { type, reason: r === LEAVE_STOPPED ? 'stopped' : 'moved' };
    }
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(b: Buffer, start: number, end: number, what: string): string {
  try {
    return utf8Decoder.decode(b.subarray(start, end));
  } catch {
    throw new AapCodecError('bad-value', `${what} is not UTF-8`, start);
  }
}

// ---- envelope: header, body, HMAC -----------------------------------------------------------------

/** The group key as bytes; refuses short keys. The key itself never appears in an error. */
export function groupKeyBytes(key: string | Uint8Array, field = 'groupKey'): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length < MIN_GROUP_KEY_BYTES)
    throw new AapCodecError('bad-value', `${field}: must be at least ${MIN_GROUP_KEY_BYTES} bytes`);
  return bytes;
}

function idBytes(id: string, field: 'senderId' | 'receiverId'): Buffer {
  const bytes = Buffer.from(id, 'utf8');
  if (bytes.length < 1 || bytes.length > MAX_SENDER_ID_BYTES)
    throw new AapCodecError('bad-value', `${field}: must be 1-${MAX_SENDER_ID_BYTES} bytes of UTF-8`);
  return bytes;
}

/**
 * The largest body one datagram can carry for a sender id, given the datagram size limit and the
 * receiver id. Without a receiver id, room is kept for the longest one: a body sized so can be
 * sealed for any receiver (an AAP encodes a table or an update once for all its APs).
 */
export function maxBodyBytes(
  senderId: string,
  maxDatagramBytes = DEFAULT_MAX_DATAGRAM_BYTES,
  receiverId?: string,
): number {
  const receiver =
    receiverId === undefined ? MAX_RECEIVER_ID_BYTES : idBytes(receiverId, 'receiverId').length;
  return maxDatagramBytes - AAP_OVERHEAD - idBytes(senderId, 'senderId').length - receiver;
}

/**
 * Rows per chunk of a table, update, state or hand-over transfer for this sender and size limit
 * (and receiver; by default room for the longest receiver id, see maxBodyBytes).
 */
export function rowsPerChunk(
  kind: 'table' | 'update' | 'state' | 'handover',
  senderId: string,
  maxDatagramBytes = DEFAULT_MAX_DATAGRAM_BYTES,
  accessPointId = '',
  receiverId?: string,
): number {
  const body = maxBodyBytes(senderId, maxDatagramBytes, receiverId);
  const [fixed, row] =
    kind === 'table'
      ? [TABLE_FIXED, TABLE_ROW]
      : kind === 'update'
        ? [UPDATE_FIXED, UPDATE_ROW]
        : kind === 'state'
          ? [STATE_FIXED, STATE_ROW]
          : [HANDOVER_FIXED + Buffer.byteLength(accessPointId, 'utf8'), STATE_ROW];
  return Math.max(1, Math.min(0xffff, Math.floor((body - fixed) / row)));
}

/** Splits rows into chunks of at most `perChunk` (one empty chunk for no rows). */
export function splitIntoChunks<T>(rows: readonly T[], perChunk: number): T[][] {
  if (rows.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += perChunk) out.push(rows.slice(i, i + perChunk));
  if (out.length > MAX_CHUNKS)
    throw new AapCodecError('bad-value', `${rows.length} rows need more than ${MAX_CHUNKS} chunks`);
  return out;
}

/** Wraps an encoded body into a datagram: header, body, HMAC-SHA256 with the group key. */
export function sealAapBody(
  header: AapHeader,
  type: AapMessageKind,
  body: Uint8Array,
  key: Uint8Array,
): Buffer {
  const id = idBytes(header.senderId, 'senderId');
  const receiver = idBytes(header.receiverId, 'receiverId');
  checkUint(header.epoch, 'epoch', 2 ** 48 - 1);
  checkUint(header.sequence, 'sequence', 0xffffffff);
  checkUint(body.length, 'body length', 0xffff);
  const signed = AAP_HEADER_FIXED + id.length + 1 + receiver.length + 2 + body.length;
  const buf = Buffer.allocUnsafe(signed + AAP_HMAC_LENGTH);
  buf.writeUInt16BE(AAP_MAGIC, 0);
  buf[2] = AAP_VERSION;
  buf[3] = AapMessageType[type];
  buf.writeUIntBE(header.epoch, 4, 6);
  buf.writeUInt32BE(header.sequence, 10);
  buf[14] = id.length;
  id.copy(buf, AAP_HEADER_FIXED);
  let o = AAP_HEADER_FIXED + id.length;
  buf[o++] = receiver.length;
  receiver.copy(buf, o);
  o += receiver.length;
  buf.writeUInt16BE(body.length, o);
  o += 2;
  buf.set(body, o);
  createHmac('sha256', key).update(buf.subarray(0, signed)).digest().copy(buf, signed);
  return buf;
}

/** Encodes and seals one message. */
export function sealAapMessage(header: AapHeader, message: AapMessage, key: Uint8Array): Buffer {
  return sealAapBody(header, message.type, encodeAapBody(message), key);
}

export interface AapFrame extends AapHeader {
  type: AapMessageKind;
  /** The body bytes (a view into the datagram). */
  body: Buffer;
  /** Bytes covered by the HMAC, and the HMAC itself (views). */
  signed: Buffer;
  hmac: Buffer;
}

/** Parses the header and framing without checking the HMAC (structure only). */
export function parseAapFrame(buf: Buffer): AapFrame {
  if (buf.length < AAP_HEADER_FIXED)
    throw new AapCodecError(
      'truncated',
      `datagram of ${buf.length} bytes is shorter than the header`,
      buf.length,
    );
  if (buf.readUInt16BE(0) !== AAP_MAGIC) throw new AapCodecError('bad-magic', 'not a subnet map datagram', 0);
  if (buf[2] !== AAP_VERSION) throw new AapCodecError('bad-version', `protocol version ${buf[2]}`, 2);
  const idLength = buf[14]!;
  if (idLength < 1 || idLength > MAX_SENDER_ID_BYTES)
    throw new AapCodecError('bad-value', `sender id length ${idLength}`, 14);
  const receiverAt = AAP_HEADER_FIXED + idLength + 1;
  if (buf.length < receiverAt)
    throw new AapCodecError(
      'truncated',
      `datagram of ${buf.length} bytes is shorter than its header`,
      buf.length,
    );
  const receiverLength = buf[receiverAt - 1]!;
  if (receiverLength < 1 || receiverLength > MAX_RECEIVER_ID_BYTES)
    throw new AapCodecError('bad-value', `receiver id length ${receiverLength}`, receiverAt - 1);
  const bodyAt = receiverAt + receiverLength + 2;
  if (buf.length < bodyAt + AAP_HMAC_LENGTH)
    throw new AapCodecError(
      'truncated',
      `datagram of ${buf.length} bytes is shorter than its header`,
      buf.length,
    );
  const bodyLength = buf.readUInt16BE(bodyAt - 2);
  const signed = bodyAt + bodyLength;
  if (buf.length !== signed + AAP_HMAC_LENGTH)
    throw new AapCodecError(
      'bad-length',
      `body length ${bodyLength} makes ${signed + AAP_HMAC_LENGTH} bytes, the datagram has ${buf.length}`,
      bodyAt - 2,
    );
  const typeName = TYPE_NAMES.get(buf[3]!);
  if (!typeName) throw new AapCodecError('unknown-type', `message type ${buf[3]}`, 3);
  return {
    type: typeName,
    senderId: utf8(buf, AAP_HEADER_FIXED, AAP_HEADER_FIXED + idLength, 'sender id'),
    receiverId: utf8(buf, receiverAt, receiverAt + receiverLength, 'receiver id'),
    epoch: buf.readUIntBE(4, 6),
    sequence: buf.readUInt32BE(10),
    body: buf.subarray(bodyAt, signed),
    signed: buf.subarray(0, signed),
    hmac: buf.subarray(signed),
  };
}

/**
 * Opens a datagram: structure (malformed: any kind but `bad-hmac`), then the HMAC with the group
 * key (`bad-hmac`: unauthenticated), then the body. Whether the receiver id names the node that
 * got it, and replay checks, are the caller's (they need the node's names and per-sender state):
 * see AapReceiver and ReplayGuard.
 */
export function openAapDatagram(buf: Buffer, key: Uint8Array): AapEnvelope {
  const frame = parseAapFrame(buf);
  const expected = createHmac('sha256', key).update(frame.signed).digest();
  if (!timingSafeEqual(expected, frame.hmac))
    throw new AapCodecError('bad-hmac', 'HMAC does not verify with the group key');
  return {
    senderId: frame.senderId,
    receiverId: frame.receiverId,
    epoch: frame.epoch,
    sequence: frame.sequence,
    message: decodeAapBody(frame.type, frame.body),
  };
}
