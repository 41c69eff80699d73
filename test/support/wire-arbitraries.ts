/**
 * fast-check arbitraries for the Mobile IPv4 wire codec: valid messages of every kind (built as
 * values, for encode/decode round trips), well-formed datagrams built byte by byte (independent
 * of the encoder), and mutations of datagrams for robustness tests.
 */
import fc from 'fast-check';
import {
  advertisementFlags,
  internetChecksum,
  requestFlags,
  type AgentAdvertisement,
  type AgentSolicitation,
  type AuthAlgorithm,
  type AuthExtension,
  type Authentication,
  type Extension,
  type IcmpMobilityMessage,
  type LongExtension,
  type NaiExtension,
  type RawExtension,
  type RegistrationMessage,
  type RegistrationReply,
  type RegistrationRequest,
  type RouterAddress,
} from '../../src/pmip/wire/index.ts';

/** fc.record with ordinary objects (its default, null-prototype objects, fail toStrictEqual). */
function record<T extends object>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as unknown as fc.Arbitrary<T>;
}

export const uint8 = fc.integer({ min: 0, max: 0xff });
export const uint16 = fc.integer({ min: 0, max: 0xffff });
export const uint32 = fc.integer({ min: 0, max: 0xffffffff });

export function bytes(minLength: number, maxLength: number): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));
}

export const ipv4Arb: fc.Arbitrary<string> = fc.tuple(uint8, uint8, uint8, uint8).map((o) => o.join('.'));

export const identificationArb: fc.Arbitrary<bigint> = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });

type EightBits = [boolean, boolean, boolean, boolean, boolean, boolean, boolean, boolean];
const eightBits = fc.tuple(...Array.from({ length: 8 }, () => fc.boolean())) as fc.Arbitrary<EightBits>;

export const requestFlagsArb = eightBits.map(([S, B, D, M, G, r, T, x]) =>
  requestFlags({ S, B, D, M, G, r, T, x }),
);

export const advertisementFlagsArb = eightBits.map(([R, B, H, F, M, G, r, T]) =>
  advertisementFlags({ R, B, H, F, M, G, r, T }),
);

/** Mobile-Home / Mobile-Foreign / Foreign-Home authentication, usually with a 16-byte authenticator. */
export const authExtensionArb: fc.Arbitrary<AuthExtension> = record({
  kind: fc.constant('auth' as const),
  type: fc.constantFrom(32 as const, 33 as const, 34 as const),
  spi: uint32,
  authenticator: fc.oneof({ weight: 4, arbitrary: bytes(16, 16) }, { weight: 1, arbitrary: bytes(0, 251) }),
});

/** A NAI of well-formed Unicode (ASCII mostly) that fits in 255 UTF-8 bytes. */
export const naiExtensionArb: fc.Arbitrary<NaiExtension> = fc
  .oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  )
  .filter((s) => Buffer.byteLength(s, 'utf8') <= 255)
  .map((nai) => ({ kind: 'nai' as const, type: 131 as const, nai }));

/** Long form (36 generalized auth, 47 PMIPv4 non-skippable), data sometimes beyond 255 bytes. */
export const longExtensionArb: fc.Arbitrary<LongExtension> = record({
  kind: fc.constant('long' as const),
  type: fc.constantFrom(36 as const, 47 as const),
  subtype: uint8,
  data: fc.oneof({ weight: 5, arbitrary: bytes(0, 40) }, { weight: 1, arbitrary: bytes(250, 700) }),
});

/**
 * A skippable (128-255) extension kept as raw bytes. Type 131 (NAI) is only raw when its data is
 * not valid UTF-8 (otherwise it decodes as a NAI), so raw 131 always carries a 0xff byte.
 */
export const rawExtensionArb: fc.Arbitrary<RawExtension> = fc.oneof(
  record({
    kind: fc.constant('raw' as const),
    type: fc.integer({ min: 128, max: 255 }).filter((t) => t !== 131),
    data: bytes(0, 255),
  }),
  bytes(0, 40).map((d): RawExtension => ({
    kind: 'raw',
    type: 131,
    data: Buffer.concat([d, Buffer.from([0xff])]),
  })),
);

export const extensionArb: fc.Arbitrary<Extension> = fc.oneof(
  authExtensionArb,
  naiExtensionArb,
  longExtensionArb,
  rawExtensionArb,
);

export const extensionsArb: fc.Arbitrary<Extension[]> = fc.array(extensionArb, { maxLength: 6 });

export const registrationRequestArb: fc.Arbitrary<RegistrationRequest> = record({
  type: fc.constant('registration-request' as const),
  flags: requestFlagsArb,
  lifetime: uint16,
  homeAddress: ipv4Arb,
  homeAgent: ipv4Arb,
  careOfAddress: ipv4Arb,
  identification: identificationArb,
  extensions: extensionsArb,
});

export const registrationReplyArb: fc.Arbitrary<RegistrationReply> = record({
  type: fc.constant('registration-reply' as const),
  code: uint8,
  lifetime: uint16,
  homeAddress: ipv4Arb,
  homeAgent: ipv4Arb,
  identification: identificationArb,
  extensions: extensionsArb,
});

export const registrationMessageArb: fc.Arbitrary<RegistrationMessage> = fc.oneof(
  registrationRequestArb,
  registrationReplyArb,
);

export const authAlgorithmArb: fc.Arbitrary<AuthAlgorithm> = fc.constantFrom('prefix-suffix', 'hmac-md5');

/** A security association to sign with while encoding (keys usually 16 bytes, sometimes not). */
export const authenticationArb: fc.Arbitrary<Authentication> = record({
  type: fc.constantFrom(32 as const, 33 as const, 34 as const),
  spi: fc.integer({ min: 256, max: 0xffffffff }),
  key: fc.oneof({ weight: 4, arbitrary: bytes(16, 16) }, { weight: 1, arbitrary: bytes(1, 100) }),
  algorithm: authAlgorithmArb,
});

export const routerAddressArb: fc.Arbitrary<RouterAddress> = record({ address: ipv4Arb, preference: uint32 });

export const agentAdvertisementArb: fc.Arbitrary<AgentAdvertisement> = fc.record(
  {
    type: fc.constant('agent-advertisement' as const),
    icmpCode: fc.oneof(fc.constantFrom(0, 16), uint8),
    routerLifetime: uint16,
    routerAddresses: fc.array(routerAddressArb, { maxLength: 4 }),
    sequence: uint16,
    registrationLifetime: uint16,
    flags: advertisementFlagsArb,
    careOfAddresses: fc.oneof(
      { weight: 5, arbitrary: fc.array(ipv4Arb, { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.array(ipv4Arb, { minLength: 60, maxLength: 62 }) },
    ),
    prefixLengths: fc.array(fc.integer({ min: 0, max: 32 }), { maxLength: 6 }),
    padding: fc.integer({ min: 0, max: 8 }),
  },
  {
    noNullPrototype: true,
    requiredKeys: [
      'type',
      'icmpCode',
      'routerLifetime',
      'routerAddresses',
      'sequence',
      'registrationLifetime',
      'flags',
      'careOfAddresses',
      'padding',
    ],
  },
);

export const agentSolicitationArb: fc.Arbitrary<AgentSolicitation> = fc.constant({
  type: 'agent-solicitation' as const,
});

export const icmpMobilityArb: fc.Arbitrary<IcmpMobilityMessage> = fc.oneof(
  { weight: 5, arbitrary: agentAdvertisementArb },
  { weight: 1, arbitrary: agentSolicitationArb },
);

// ---------------------------------------------------------------------------------------------
// Datagrams built byte by byte (not through the encoder)

/** One well-formed extension TLV of the registration grammar, as bytes. */
export const extensionBytesArb: fc.Arbitrary<Buffer> = fc.oneof(
  // authentication: type, length >= 4, SPI, authenticator
  fc
    .tuple(fc.constantFrom(32, 33, 34), bytes(4, 40))
    .map(([t, d]) => Buffer.concat([Buffer.from([t, d.length]), d])),
  // long form: type, subtype, 16-bit length, data
  fc.tuple(fc.constantFrom(36, 47), uint8, bytes(0, 300)).map(([t, st, d]) => {
    const h = Buffer.from([t, st, 0, 0]);
    h.writeUInt16BE(d.length, 2);
    return Buffer.concat([h, d]);
  }),
  // skippable short form, NAI (131) included with any bytes, valid UTF-8 or not
  fc
    .tuple(fc.integer({ min: 128, max: 255 }), bytes(0, 255))
    .map(([t, d]) => Buffer.concat([Buffer.from([t, d.length]), d])),
  fc.tuple(fc.constant(131), fc.string({ unit: 'binary', maxLength: 30 })).map(([t, s]) => {
    const d = Buffer.from(s, 'utf8').subarray(0, 255);
    return Buffer.concat([Buffer.from([t, d.length]), d]);
  }),
);

/** A Registration Request (type 1) or Reply (type 3) with random fixed fields and valid TLVs. */
export const registrationBytesArb: fc.Arbitrary<Buffer> = fc
  .tuple(fc.constantFrom(1, 3), bytes(23, 23), fc.array(extensionBytesArb, { maxLength: 6 }))
  .map(([type, fixed, exts]) => {
    const head =
      type === 1
        ? Buffer.concat([Buffer.from([1]), fixed])
        : Buffer.concat([Buffer.from([3]), fixed.subarray(0, 19)]);
    return Buffer.concat([head, ...exts]);
  });

/** Sets the ICMP checksum (bytes 2-3) of `buf` in place so that the message verifies. */
export function fixIcmpChecksum(buf: Buffer): Buffer {
  if (buf.length < 4) return buf;
  buf.writeUInt16BE(0, 2);
  buf.writeUInt16BE(internetChecksum(buf), 2);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Mutations

export type Mutation =
  | { kind: 'flip'; bits: number[] }
  | { kind: 'truncate'; length: number }
  | { kind: 'append'; data: Buffer }
  | { kind: 'set-byte'; position: number; value: number }
  | { kind: 'insert'; position: number; data: Buffer }
  | { kind: 'delete'; position: number; count: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  record({ kind: fc.constant('flip' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
  record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
  record({ kind: fc.constant('append' as const), data: bytes(1, 64) }),
  // a length field (or any byte) set to an interesting or random value
  record({
    kind: fc.constant('set-byte' as const),
    position: fc.nat(),
    value: fc.oneof(fc.constantFrom(0, 1, 3, 4, 5, 6, 0x7f, 0x80, 0xfe, 0xff), uint8),
  }),
  record({ kind: fc.constant('insert' as const), position: fc.nat(), data: bytes(1, 8) }),
  record({ kind: fc.constant('delete' as const), position: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

/** Applies mutations in order to a copy of `input`; positions wrap around the current length. */
export function applyMutations(input: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let buf = Buffer.from(input);
  for (const m of mutations) {
    switch (m.kind) {
      case 'flip':
        if (buf.length > 0)
          for (const b of m.bits) {
            const bit = b % (buf.length * 8);
            buf[bit >> 3]! ^= 0x80 >> (bit & 7);
          }
        break;
      case 'truncate':
        buf = buf.subarray(0, m.length % (buf.length + 1));
        break;
      case 'append':
        buf = Buffer.concat([buf, m.data]);
        break;
      case 'set-byte':
        if (buf.length > 0) buf[m.position % buf.length] = m.value;
        break;
      case 'insert': {
        const p = m.position % (buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, p), m.data, buf.subarray(p)]);
        break;
      }
      case 'delete': {
        const p = m.position % (buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, p), buf.subarray(p + m.count)]);
        break;
      }
    }
  }
  return Buffer.from(buf);
}

export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(mutationArb, { minLength: 1, maxLength: 3 });
