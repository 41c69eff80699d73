import { describe, expect, it } from 'vitest';
import {
  AAP_OVERHEAD,
  AapCodecError,
  DEFAULT_MAX_DATAGRAM_BYTES,
  chunkColumns,
  groupKeyBytes,
  openAapDatagram,
  opsFrom,
  opsToArray,
  parseAapFrame,
  rowsFrom,
  rowsPerChunk,
  rowsToArray,
  sealAapMessage,
  sliceRows,
  splitIntoChunks,
  type AapHeader,
  type AapMessage,
  type AapRow,
} from '../../../../src/pmip/aap/codec/index.ts';
import { EMPTY_DIGEST, RECONCILIATION_BUCKETS } from '../../../../src/pmip/subnet-map/digest.ts';

const KEY = groupKeyBytes('placeholder-group-key-for-tests');
const HEADER: AapHeader = { senderId: 'aap-1', receiverId: 'ap-1', epoch: 1_795_867_200_000, sequence: 7 };
/** The longest receiver id: what chunk sizes make room for. */
const LONGEST_RECEIVER = 'r'.repeat(64);
const DIGEST = '0123456789abcdef';

const MESSAGES: AapMessage[] = [
  { type: 'report', full: true, homeAgent: { homeAgent: 0x0a010001, prefixLength: 24 }, digest: DIGEST },
  { type: 'report', full: false, homeAgent: null, digest: EMPTY_DIGEST },
  {
    type: 'table',
    version: 42,
    digest: DIGEST,
    totalRows: 2,
    unchanged: false,
    chunk: { index: 0, count: 1 },
    rows: rowsFrom([
      { homeAgent: 0x0a010001, prefixLength: 24 },
      { homeAgent: 0xffffffff, prefixLength: 32 },
    ]),
  },
  {
    type: 'table',
    version: 1,
    digest: DIGEST,
    totalRows: 9,
    unchanged: true,
    chunk: { index: 0, count: 1 },
    rows: rowsFrom([]),
  },
  {
    type: 'update',
    updateId: 5,
    version: 43,
    digest: DIGEST,
    chunk: { index: 1, count: 3 },
    ops: opsFrom([
      { op: 'upsert', homeAgent: 0x0a020001, prefixLength: 16 },
      { op: 'remove', homeAgent: 0x0a030001, prefixLength: 0 },
    ]),
  },
  { type: 'ack', acked: 'update', id: 5, version: 43, digest: DIGEST },
  { type: 'ack', acked: 'handover', id: 0xffffffff, version: 0, digest: EMPTY_DIGEST },
  {
    type: 'digest',
    version: 3,
    rows: 10_000,
    digest: DIGEST,
    buckets: Array.from({ length: RECONCILIATION_BUCKETS }, (_, i) => i.toString(16).padStart(16, '0')),
  },
  { type: 'pull', transferId: 9, buckets: (1n << 63n) | 5n },
  {
    type: 'state',
    transferId: 9,
    version: 3,
    digest: DIGEST,
    chunk: { index: 0, count: 1 },
    rows: [
      { homeAgent: 0x0a010001, prefixLength: 24, deleted: false, stamp: 1_795_867_200_123 },
      { homeAgent: 0x0a020001, prefixLength: 24, deleted: true, stamp: 2 ** 48 - 1 },
    ],
  },
  {
    type: 'handover',
    handoverId: 11,
    accessPoint: { id: 'ap-3', address: '127.65.3.102', port: 40000 },
    chunk: { index: 0, count: 1 },
    rows: [{ homeAgent: 0x0a030001, prefixLength: 24, deleted: false, stamp: 77 }],
  },
  { type: 'leave', reason: 'stopped' },
  { type: 'leave', reason: 'moved' },
];

function expectCodecError(fn: () => unknown, kind: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AapCodecError);
    expect((e as AapCodecError).kind).toBe(kind);
    return;
  }
  throw new Error(`expected an AapCodecError ${kind}`);
}

describe('subnet map protocol codec', () => {
  it.each(MESSAGES.map((m) => [`${m.type}${'reason' in m ? ` ${m.reason}` : ''}`, m] as const))(
    'round-trips %s',
    (_name, message) => {
      const bytes = sealAapMessage(HEADER, message, KEY);
      expect(openAapDatagram(bytes, KEY)).toEqual({ ...HEADER, message });
      expect(bytes.length).toBeLessThanOrEqual(DEFAULT_MAX_DATAGRAM_BYTES);
    },
  );

  it('lays out the header as documented', () => {
    const bytes = sealAapMessage(HEADER, { type: 'leave', reason: 'moved' }, KEY);
    expect(bytes.subarray(0, 4).toString('hex')).toBe('534d0209'); // "SM", version 2, type 9
    expect(bytes.readUIntBE(4, 6)).toBe(HEADER.epoch);
    expect(bytes.readUInt32BE(10)).toBe(7);
    expect(bytes[14]).toBe(5);
    expect(bytes.subarray(15, 20).toString()).toBe('aap-1');
    expect(bytes[20]).toBe(4); // receiver id length
    expect(bytes.subarray(21, 25).toString()).toBe('ap-1');
    expect(bytes.readUInt16BE(25)).toBe(1); // body length
    expect(bytes[27]).toBe(2); // moved
    expect(bytes.length).toBe(AAP_OVERHEAD + 5 + 4 + 1);
    expect(AAP_OVERHEAD).toBe(50);
    // The receiver id is under the HMAC: the same message for another receiver is another HMAC.
    const other = sealAapMessage({ ...HEADER, receiverId: 'ap-2' }, { type: 'leave', reason: 'moved' }, KEY);
    expect(other.subarray(other.length - 32)).not.toEqual(bytes.subarray(bytes.length - 32));
    const readdressed = Buffer.concat([bytes.subarray(0, 21), Buffer.from('ap-2'), bytes.subarray(25)]);
    expectCodecError(() => openAapDatagram(readdressed, KEY), 'bad-hmac');
  });

  it('splits a 10,000-row table into datagrams of at most 1,400 bytes', () => {
    const rows: AapRow[] = Array.from({ length: 10_000 }, (_, i) => ({
      homeAgent: (0x0a000001 + i * 256) >>> 0,
      prefixLength: 24,
    }));
    const per = rowsPerChunk('table', 'aap-1');
    // As documented (docs/aap-protocol.md section 4): room kept for the longest receiver id.
    expect([per, rowsPerChunk('update', 'aap-1'), rowsPerChunk('state', 'aap-1')]).toEqual([251, 209, 104]);
    const chunks = chunkColumns(rowsFrom(rows), per, sliceRows);
    expect(chunks.length).toBe(Math.ceil(10_000 / per));
    expect(chunks.length).toBe(40);
    const datagrams = chunks.map((part, index) =>
      sealAapMessage(
        { ...HEADER, receiverId: LONGEST_RECEIVER },
        {
          type: 'table',
          version: 1,
          digest: DIGEST,
          totalRows: rows.length,
          unchanged: false,
          chunk: { index, count: chunks.length },
          rows: part,
        },
        KEY,
      ),
    );
    expect(Math.max(...datagrams.map((d) => d.length))).toBeLessThanOrEqual(1400);
    expect(Math.max(...datagrams.map((d) => d.length))).toBeGreaterThan(1380); // full chunks are full
    const back = datagrams.flatMap((d) => {
      const m = openAapDatagram(d, KEY).message;
      return m.type === 'table' ? rowsToArray(m.rows) : [];
    });
    expect(back).toEqual(rows);
    // Sized for one receiver, full chunks are full for it too.
    const perAp1 = rowsPerChunk('table', 'aap-1', 1400, '', 'ap-1');
    const full = sealAapMessage(
      HEADER,
      {
        type: 'table',
        version: 1,
        digest: DIGEST,
        totalRows: perAp1,
        unchanged: false,
        chunk: { index: 0, count: 1 },
        rows: sliceRows(rowsFrom(rows), 0, perAp1),
      },
      KEY,
    );
    expect(full.length).toBeLessThanOrEqual(1400);
    expect(full.length).toBeGreaterThan(1395);
    // A long sender id and a smaller limit still fit.
    const long = 'x'.repeat(64);
    for (const kind of ['table', 'update', 'state', 'handover'] as const) {
      const n = rowsPerChunk(kind, long, 512, 'ap-with-a-long-name');
      expect(n).toBeGreaterThan(0);
    }
    const stateRows = Array.from({ length: rowsPerChunk('state', long, 512) }, (_, i) => ({
      homeAgent: i,
      prefixLength: 32,
      deleted: false,
      stamp: i,
    }));
    expect(
      sealAapMessage(
        { ...HEADER, senderId: long, receiverId: LONGEST_RECEIVER },
        {
          type: 'state',
          transferId: 1,
          version: 1,
          digest: DIGEST,
          chunk: { index: 0, count: 1 },
          rows: stateRows,
        },
        KEY,
      ).length,
    ).toBeLessThanOrEqual(512);
  });

  it('refuses the wrong group key as bad-hmac, and any change to a sealed datagram', () => {
    const bytes = sealAapMessage(HEADER, MESSAGES[0]!, KEY);
    expectCodecError(() => openAapDatagram(bytes, groupKeyBytes('another-group-key-entirely')), 'bad-hmac');
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = copy[i]! ^ 0x10;
      expect(() => openAapDatagram(copy, KEY)).toThrow(AapCodecError);
    }
  });

  it('names what is malformed', () => {
    const good = sealAapMessage(HEADER, MESSAGES[0]!, KEY);
    expectCodecError(() => parseAapFrame(Buffer.alloc(3)), 'truncated');
    expectCodecError(() => parseAapFrame(Buffer.from('GET / HTTP/1.1\r\n\r\n')), 'bad-magic');
    for (const version of [1, 3]) {
      // Version 1 (no receiver id) is refused like any version we do not speak.
      const v = Buffer.from(good);
      v[2] = version;
      expectCodecError(() => parseAapFrame(v), 'bad-version');
    }
    const type = Buffer.from(good);
    type[3] = 77;
    expectCodecError(() => parseAapFrame(type), 'unknown-type');
    const idLength = Buffer.from(good);
    idLength[14] = 0;
    expectCodecError(() => parseAapFrame(idLength), 'bad-value');
    for (const receiverLength of [0, 65]) {
      const r = Buffer.from(good);
      r[20] = receiverLength;
      expectCodecError(() => parseAapFrame(r), 'bad-value');
    }
    expectCodecError(() => parseAapFrame(good.subarray(0, 20)), 'truncated'); // before the receiver id
    expectCodecError(() => parseAapFrame(good.subarray(0, good.length - 1)), 'bad-length');
    expectCodecError(() => parseAapFrame(good.subarray(0, 30)), 'truncated');
  });

  it('converts rows and operations between objects and columns', () => {
    const ops = [
      { op: 'remove' as const, homeAgent: 0xfffffffe, prefixLength: 31 },
      { op: 'upsert' as const, homeAgent: 1, prefixLength: 0 },
    ];
    expect(opsToArray(opsFrom(ops))).toEqual(ops);
    expect(
      rowsToArray(rowsFrom(ops.map(({ homeAgent, prefixLength }) => ({ homeAgent, prefixLength })))),
    ).toEqual([
      { homeAgent: 0xfffffffe, prefixLength: 31 },
      { homeAgent: 1, prefixLength: 0 },
    ]);
    expect(chunkColumns(rowsFrom([]), 10, sliceRows)).toHaveLength(1);
    expect(splitIntoChunks([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
  });

  it('refuses values it cannot encode, and says which field', () => {
    expect(() =>
      sealAapMessage(
        HEADER,
        { type: 'report', full: false, homeAgent: { homeAgent: 1, prefixLength: 33 }, digest: DIGEST },
        KEY,
      ),
    ).toThrow('bad-value: prefixLength: 33 is not an integer from 0 to 32');
    expectCodecError(() => sealAapMessage({ ...HEADER, senderId: '' }, MESSAGES[0]!, KEY), 'bad-value');
    expectCodecError(() => sealAapMessage({ ...HEADER, receiverId: '' }, MESSAGES[0]!, KEY), 'bad-value');
    expectCodecError(
      () => sealAapMessage({ ...HEADER, receiverId: `${LONGEST_RECEIVER}x` }, MESSAGES[0]!, KEY),
      'bad-value',
    );
    expectCodecError(
      () => sealAapMessage({ ...HEADER, senderId: 'é'.repeat(33) }, MESSAGES[0]!, KEY),
      'bad-value',
    );
    expectCodecError(
      () => sealAapMessage(HEADER, { type: 'report', full: false, homeAgent: null, digest: 'xyz' }, KEY),
      'bad-value',
    );
    expectCodecError(
      () =>
        sealAapMessage(
          HEADER,
          {
            type: 'update',
            updateId: 1,
            version: 1,
            digest: DIGEST,
            chunk: { index: 3, count: 3 },
            ops: opsFrom([]),
          },
          KEY,
        ),
      'bad-value',
    );
    expectCodecError(() => groupKeyBytes('short'), 'bad-value');
    expect(() => groupKeyBytes('short')).not.toThrow(/short/);
  });
});
