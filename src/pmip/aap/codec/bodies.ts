import { RECONCILIATION_BUCKETS, type Digest } from '../../subnet-map/digest.ts';
import { emptyOps, emptyRows } from './columns.ts';
import { AapCodecError } from './error.ts';
import {
  MAX_SENDER_ID_BYTES,
  STATE_ROW,
  checkPrefix,
  checkUint,
  columnPrefix,
  expectAtLeast,
  expectLength,
  readChunk,
  readDigest,
  readPrefix,
  readStateRows,
  utf8,
  writeChunk,
  writeDigest,
  writeIpv4Number,
  writeStateRows,
} from './fields.ts';
import type { AapMessage, AapMessageKind } from './messages.ts';

/**
 * One codec per message body (docs/aap-protocol.md, section 3), dispatched from one table, as
 * dns-packet keeps its record types: the type number, the sizes, `encode`, `decode` and
 * `encodingLength` side by side. A body is what the envelope carries between the header and the
 * HMAC; `decode` runs only once the HMAC verified.
 */
export interface BodyCodec<M extends AapMessage> {
  /** The message type on the wire (header byte 3). */
  code: number;
  /** Body bytes besides the rows (a hand-over's: without its access point id). */
  fixed: number;
  /** Bytes per row; 0 for a message without rows. */
  row: number;
  encodingLength(m: M): number;
  encode(m: M): Buffer;
  decode(body: Buffer): M;
}

type Codecs = { [K in AapMessageKind]: BodyCodec<Extract<AapMessage, { type: K }>> };

// Codes inside bodies: update operations, leave reasons (an ack names the acknowledged type).
const OP_UPSERT = 1;
const OP_REMOVE = 2;
const LEAVE_STOPPED = 1;
const LEAVE_MOVED = 2;
const TYPE_UPDATE = 3;
const TYPE_HANDOVER = 8;

const REPORT_BODY = 14;
const TABLE_FIXED = 23;
const TABLE_ROW = 5;
const UPDATE_FIXED = 22;
const UPDATE_ROW = 6;
const ACK_BODY = 17;
const DIGEST_FIXED = 17;
const PULL_BODY = 13;
const STATE_FIXED = 22;
/** handoverId(4) id length(1) address(4) port(2) chunk(4) row count(2), plus the id's bytes. */
const HANDOVER_FIXED = 4 + 1 + 4 + 2 + 2 + 2 + 2;
const LEAVE_BODY = 1;

function handoverIdBytes(id: string): Buffer {
  const bytes = Buffer.from(id, 'utf8');
  if (bytes.length < 1 || bytes.length > MAX_SENDER_ID_BYTES)
    throw new AapCodecError('bad-value', `accessPoint.id: must be 1-${MAX_SENDER_ID_BYTES} bytes of UTF-8`);
  return bytes;
}

export const AAP_BODY_CODECS: Codecs = {
  report: {
    code: 1,
    fixed: REPORT_BODY,
    row: 0,
    encodingLength: () => REPORT_BODY,
    encode(m) {
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
    },
    decode(b) {
      expectLength(b, REPORT_BODY, 'report');
      const flags = b[0]!;
      if ((flags & ~0x03) !== 0)
        throw new AapCodecError('bad-value', `report flags 0x${flags.toString(16)}`, 0);
      const prefixLength = readPrefix(b, 5);
      return {
        type: 'report',
        full: (flags & 0x01) !== 0,
        homeAgent: (flags & 0x02) !== 0 ? { homeAgent: b.readUInt32BE(1), prefixLength } : null,
        digest: readDigest(b, 6),
      };
    },
  },

  table: {
    code: 2,
    fixed: TABLE_FIXED,
    row: TABLE_ROW,
    encodingLength: (m) => TABLE_FIXED + m.rows.homeAgents.length * TABLE_ROW,
    encode(m) {
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
        const len = columnPrefix(prefixLengths[i]!, 'rows', i);
        b.writeUInt32BE(homeAgents[i]!, o);
        b[o + 4] = len;
      }
      return b;
    },
    decode(b) {
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
        const prefixLength = readPrefix(b, o + 4);
        rows.homeAgents[i] = b.readUInt32BE(o);
        rows.prefixLengths[i] = prefixLength;
      }
      return {
        type: 'table',
        version: b.readUInt32BE(0),
        digest: readDigest(b, 4),
        totalRows: b.readUInt32BE(12),
        unchanged,
        chunk,
        rows,
      };
    },
  },

  update: {
    code: TYPE_UPDATE,
    fixed: UPDATE_FIXED,
    row: UPDATE_ROW,
    encodingLength: (m) => UPDATE_FIXED + m.ops.homeAgents.length * UPDATE_ROW,
    encode(m) {
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
        const len = columnPrefix(prefixLengths[i]!, 'ops', i);
        b[o] = removes[i] === 1 ? OP_REMOVE : OP_UPSERT;
        b.writeUInt32BE(homeAgents[i]!, o + 1);
        b[o + 5] = len;
      }
      return b;
    },
    decode(b) {
      expectAtLeast(b, UPDATE_FIXED, 'update');
      const n = b.readUInt16BE(20);
      expectLength(b, UPDATE_FIXED + n * UPDATE_ROW, 'update');
      const ops = emptyOps(n);
      for (let i = 0, o = UPDATE_FIXED; i < n; i++, o += UPDATE_ROW) {
        const code = b[o]!;
        if (code !== OP_UPSERT && code !== OP_REMOVE)
          throw new AapCodecError('bad-value', `operation ${code}`, o);
        const prefixLength = readPrefix(b, o + 5);
        ops.removes[i] = code === OP_REMOVE ? 1 : 0;
        ops.homeAgents[i] = b.readUInt32BE(o + 1);
        ops.prefixLengths[i] = prefixLength;
      }
      return {
        type: 'update',
        updateId: b.readUInt32BE(0),
        version: b.readUInt32BE(4),
        digest: readDigest(b, 8),
        chunk: readChunk(b, 16),
        ops,
      };
    },
  },

  ack: {
    code: 4,
    fixed: ACK_BODY,
    row: 0,
    encodingLength: () => ACK_BODY,
    encode(m) {
      const b = Buffer.alloc(ACK_BODY);
      checkUint(m.id, 'id', 0xffffffff);
      checkUint(m.version, 'version', 0xffffffff);
      b[0] = m.acked === 'update' ? TYPE_UPDATE : TYPE_HANDOVER;
      b.writeUInt32BE(m.id, 1);
      b.writeUInt32BE(m.version, 5);
      writeDigest(b, 9, m.digest, 'digest');
      return b;
    },
    decode(b) {
      expectLength(b, ACK_BODY, 'ack');
      const acked = b[0];
      if (acked !== TYPE_UPDATE && acked !== TYPE_HANDOVER)
        throw new AapCodecError('bad-value', `acknowledged type ${acked}`, 0);
      return {
        type: 'ack',
        acked: acked === TYPE_UPDATE ? 'update' : 'handover',
        id: b.readUInt32BE(1),
        version: b.readUInt32BE(5),
        digest: readDigest(b, 9),
      };
    },
  },

  digest: {
    code: 5,
    fixed: DIGEST_FIXED,
    row: 8,
    encodingLength: (m) => DIGEST_FIXED + 8 * m.buckets.length,
    encode(m) {
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
    },
    decode(b) {
      expectAtLeast(b, DIGEST_FIXED, 'digest');
      const count = b[16]!;
      if (count !== RECONCILIATION_BUCKETS)
        throw new AapCodecError('bad-value', `${count} buckets, expected ${RECONCILIATION_BUCKETS}`, 16);
      expectLength(b, DIGEST_FIXED + 8 * count, 'digest');
      const buckets: Digest[] = [];
      for (let i = 0; i < count; i++) buckets.push(readDigest(b, DIGEST_FIXED + 8 * i));
      return {
        type: 'digest',
        version: b.readUInt32BE(0),
        rows: b.readUInt32BE(4),
        digest: readDigest(b, 8),
        buckets,
      };
    },
  },

  pull: {
    code: 6,
    fixed: PULL_BODY,
    row: 0,
    encodingLength: () => PULL_BODY,
    encode(m) {
      const b = Buffer.alloc(PULL_BODY);
      checkUint(m.transferId, 'transferId', 0xffffffff);
      if (m.buckets < 0n || m.buckets >= 1n << 64n)
        throw new AapCodecError('bad-value', 'buckets: not a 64-bit bitmap');
      b.writeUInt32BE(m.transferId, 0);
      b[4] = RECONCILIATION_BUCKETS;
      b.writeBigUInt64BE(m.buckets, 5);
      return b;
    },
    decode(b) {
      expectLength(b, PULL_BODY, 'pull');
      if (b[4] !== RECONCILIATION_BUCKETS)
        throw new AapCodecError('bad-value', `${b[4]} buckets, expected ${RECONCILIATION_BUCKETS}`, 4);
      return { type: 'pull', transferId: b.readUInt32BE(0), buckets: b.readBigUInt64BE(5) };
    },
  },

  state: {
    code: 7,
    fixed: STATE_FIXED,
    row: STATE_ROW,
    encodingLength: (m) => STATE_FIXED + m.rows.length * STATE_ROW,
    encode(m) {
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
    },
    decode(b) {
      expectAtLeast(b, STATE_FIXED, 'state');
      const n = b.readUInt16BE(20);
      expectLength(b, STATE_FIXED + n * STATE_ROW, 'state');
      return {
        type: 'state',
        transferId: b.readUInt32BE(0),
        version: b.readUInt32BE(4),
        digest: readDigest(b, 8),
        chunk: readChunk(b, 16),
        rows: readStateRows(b, STATE_FIXED, n),
      };
    },
  },

  handover: {
    code: TYPE_HANDOVER,
    fixed: HANDOVER_FIXED,
    row: STATE_ROW,
    encodingLength: (m) =>
      HANDOVER_FIXED + Buffer.byteLength(m.accessPoint.id, 'utf8') + m.rows.length * STATE_ROW,
    encode(m) {
      const id = handoverIdBytes(m.accessPoint.id);
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
    },
    decode(b) {
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
        type: 'handover',
        handoverId: b.readUInt32BE(0),
        accessPoint: { id: utf8(b, 5, 5 + idLength, 'access point id'), address, port },
        chunk,
        rows: readStateRows(b, o, n),
      };
    },
  },

  leave: {
    code: 9,
    fixed: LEAVE_BODY,
    row: 0,
    encodingLength: () => LEAVE_BODY,
    encode(m) {
      const b = Buffer.alloc(LEAVE_BODY);
      b[0] = m.reason === 'stopped' ? LEAVE_STOPPED : LEAVE_MOVED;
      return b;
    },
    decode(b) {
      expectLength(b, LEAVE_BODY, 'leave');
      const r = b[0];
      if (r !== LEAVE_STOPPED && r !== LEAVE_MOVED)
        throw new AapCodecError('bad-value', `leave reason ${r}`, 0);
      return { type: 'leave', reason: r === LEAVE_STOPPED ? 'stopped' : 'moved' };
    },
  },
};

/** The codec of a message kind; unknown-type for anything else (a value from outside the types). */
function codecOf(type: string): BodyCodec<AapMessage> {
  if (!Object.hasOwn(AAP_BODY_CODECS, type)) throw new AapCodecError('unknown-type', `message type ${type}`);
  // The table is keyed by kind: the codec of `type` takes exactly the messages of that type.
  return AAP_BODY_CODECS[type as AapMessageKind] as BodyCodec<AapMessage>;
}

/** Message kind by type number on the wire. */
const KIND_BY_CODE = new Map<number, AapMessageKind>(
  (Object.keys(AAP_BODY_CODECS) as AapMessageKind[]).map((kind) => [AAP_BODY_CODECS[kind].code, kind]),
);

export function kindOfCode(code: number): AapMessageKind | undefined {
  return KIND_BY_CODE.get(code);
}

/** Encodes a message body (without header and HMAC). */
export function encodeAapBody(m: AapMessage): Buffer {
  return codecOf(String((m as { type: unknown }).type)).encode(m);
}

/** Decodes a body of the given message type (after the HMAC has been verified). */
export function decodeAapBody(type: AapMessageKind, body: Buffer): AapMessage {
  return codecOf(type).decode(body);
}

/** Bytes of a message's body. */
export function aapBodyLength(m: AapMessage): number {
  return codecOf(m.type).encodingLength(m);
}
