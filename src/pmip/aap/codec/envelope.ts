import { createHmac, timingSafeEqual } from 'node:crypto';
import { AAP_BODY_CODECS, decodeAapBody, encodeAapBody, kindOfCode } from './bodies.ts';
import { AapCodecError } from './error.ts';
import { MAX_RECEIVER_ID_BYTES, MAX_SENDER_ID_BYTES, checkUint, utf8 } from './fields.ts';
import type { AapEnvelope, AapHeader, AapMessage, AapMessageKind } from './messages.ts';

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
/** Default size of one datagram (UDP payload); stays under a 1500-byte MTU. */
export const DEFAULT_MAX_DATAGRAM_BYTES = 1400;
/**
 * Smallest allowed size: room for the header with the longest sender and receiver ids, and a
 * hand-over chunk with the longest access point id and a few rows.
 */
export const MIN_MAX_DATAGRAM_BYTES = 320;
/** Shortest group key accepted, bytes. */
export const MIN_GROUP_KEY_BYTES = 16;

/** Message type numbers on the wire, by kind (from the codec table). */
export const AapMessageType = Object.fromEntries(
  (Object.keys(AAP_BODY_CODECS) as AapMessageKind[]).map((kind) => [kind, AAP_BODY_CODECS[kind].code]),
) as Readonly<Record<AapMessageKind, number>>;

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
  const { fixed, row } = AAP_BODY_CODECS[kind];
  const extra = kind === 'handover' ? Buffer.byteLength(accessPointId, 'utf8') : 0;
  return Math.max(1, Math.min(0xffff, Math.floor((body - fixed - extra) / row)));
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
  buf[3] = AAP_BODY_CODECS[type].code;
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
  const typeName = kindOfCode(buf[3]!);
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
