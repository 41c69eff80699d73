import { describe, expect, it } from 'vitest';
import {
  decodeRegistration,
  decodeRegistrationLayout,
  encodeRegistration,
  findAuthExtension,
  flagsFromByte,
  messageFromJson,
  messageToJson,
  REQUEST_FLAG_LETTERS,
  requestFlags,
  WireError,
  type Extension,
  type RegistrationMessage,
  type RegistrationReply,
  type RegistrationRequest,
  type RequestFlag,
  type WireErrorKind,
} from '../../../src/pmip/wire/index.ts';

/** Hex with spaces for readability; every expected datagram below is written out from RFC 5944. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function thrown(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error('expected a WireError, nothing was thrown');
}

function expectWireError(
  fn: () => unknown,
  kind: WireErrorKind,
  offset: number | undefined,
  text?: RegExp,
): void {
  const e = thrown(fn);
  expect(e.kind).toBe(kind);
  expect(e.offset).toBe(offset);
  if (text) expect(e.message).toMatch(text);
}

// Registration Request (RFC 5944 3.3): type 1, flags S+T, lifetime 600, home 10.1.2.3,
// home agent 10.255.0.1, care-of 10.253.0.17, identification ed2f8a80 12345678
const REQUEST_FIXED = '01 82 0258 0a010203 0aff0001 0afd0011 ed2f8a80 12345678';
const REQUEST: RegistrationRequest = {
  type: 'registration-request',
  flags: requestFlags({ S: true, T: true }),
  lifetime: 600,
  homeAddress: '10.1.2.3',
  homeAgent: '10.255.0.1',
  careOfAddress: '10.253.0.17',
  identification: 0xed2f8a80_12345678n,
  extensions: [],
};

// Registration Reply (RFC 5944 3.4): type 3, code 133, lifetime 600, home 10.1.2.3, HA 10.255.0.1
const REPLY_FIXED = '03 85 0258 0a010203 0aff0001 ed2f8a80 12345678';
const REPLY: RegistrationReply = {
  type: 'registration-reply',
  code: 133,
  lifetime: 600,
  homeAddress: '10.1.2.3',
  homeAgent: '10.255.0.1',
  identification: 0xed2f8a80_12345678n,
  extensions: [],
};

const NAI_HEX = '83 10 75736572 40 6578616d706c65 2e 6f7267'; // 131, 16, "user@example.org"
const AUTH_HEX = '20 14 00001001 000102030405060708090a0b0c0d0e0f'; // 32, 20, SPI 4097, authenticator
const NAI: Extension = { kind: 'nai', type: 131, nai: 'user@example.org' };
const AUTH: Extension = {
  kind: 'auth',
  type: 32,
  spi: 4097,
  authenticator: hex('000102030405060708090a0b0c0d0e0f'),
};

describe('Registration Request fixed part', () => {
  it('is 24 bytes: type, flags, lifetime, home address, home agent, care-of address, identification', () => {
    const bytes = encodeRegistration(REQUEST);
    expect(bytes.toString('hex')).toBe(hex(REQUEST_FIXED).toString('hex'));
    expect(bytes.length).toBe(24);
    expect(decodeRegistration(hex(REQUEST_FIXED))).toStrictEqual(REQUEST);
  });

  const bits: Array<[RequestFlag, number]> = [
    ['S', 0x80],
    ['B', 0x40],
    ['D', 0x20],
    ['M', 0x10],
    ['G', 0x08],
    ['r', 0x04],
    ['T', 0x02],
    ['x', 0x01],
  ];
  it.each(bits)('puts flag %s at bit value %i of byte 1, and reads it back alone', (letter, bit) => {
    const bytes = encodeRegistration({ ...REQUEST, flags: requestFlags({ [letter]: true }) });
    expect(bytes[1]).toBe(bit);
    const decoded = decodeRegistration(bytes) as RegistrationRequest;
    for (const l of REQUEST_FLAG_LETTERS) expect(decoded.flags[l], l).toBe(l === letter);
  });

  it('encodes all flags as 0xff, none as 0x00, and decodes every byte value back to itself', () => {
    const all = Object.fromEntries(REQUEST_FLAG_LETTERS.map((l) => [l, true]));
    expect(encodeRegistration({ ...REQUEST, flags: requestFlags(all) })[1]).toBe(0xff);
    expect(encodeRegistration({ ...REQUEST, flags: requestFlags() })[1]).toBe(0x00);
    for (let b = 0; b < 256; b++) {
      const bytes = hex(REQUEST_FIXED);
      bytes[1] = b;
      expect(encodeRegistration(decodeRegistration(bytes))[1]).toBe(b);
    }
    expect(flagsFromByte(0x81)).toStrictEqual(requestFlags({ S: true, x: true }));
  });

  it('writes lifetime 0 (deregistration) and 0xffff (infinite) big-endian', () => {
    expect(
      encodeRegistration({ ...REQUEST, lifetime: 0 })
        .subarray(2, 4)
        .toString('hex'),
    ).toBe('0000');
    expect(
      encodeRegistration({ ...REQUEST, lifetime: 0xffff })
        .subarray(2, 4)
        .toString('hex'),
    ).toBe('ffff');
  });

  it('writes the identification high 32 bits first, then low 32 bits', () => {
    const bytes = encodeRegistration({ ...REQUEST, identification: 0x01020304_05060708n });
    expect(bytes.subarray(16, 24).toString('hex')).toBe('0102030405060708');
    const max = encodeRegistration({ ...REQUEST, identification: 0xffffffff_ffffffffn });
    expect(max.subarray(16, 24).toString('hex')).toBe('ffffffffffffffff');
  });
});

describe('Registration Reply fixed part', () => {
  it('is 20 bytes: type, code, lifetime, home address, home agent, identification', () => {
    const bytes = encodeRegistration(REPLY);
    expect(bytes.toString('hex')).toBe(hex(REPLY_FIXED).toString('hex'));
    expect(bytes.length).toBe(20);
    expect(decodeRegistration(hex(REPLY_FIXED))).toStrictEqual(REPLY);
  });
});

describe('extensions', () => {
  it('short TLVs: NAI (131) and Mobile-Home authentication (32) with their lengths', () => {
    const bytes = hex(`${REQUEST_FIXED} ${NAI_HEX} ${AUTH_HEX}`);
    const decoded = decodeRegistrationLayout(bytes);
    expect(decoded.message).toStrictEqual({ ...REQUEST, extensions: [NAI, AUTH] });
    expect(decoded.offsets).toEqual([24, 42]);
    expect(findAuthExtension(decoded)).toEqual({ extension: AUTH, offset: 42 });
    expect(encodeRegistration(decoded.message).equals(bytes)).toBe(true);
  });

  it('long form 36 and 47: type, subtype, 16-bit length, data', () => {
    const bytes = hex(`${REPLY_FIXED} 2f 01 0003 010203  24 05 0000  2f ff 0100 ${'ab'.repeat(256)}`);
    const m = decodeRegistration(bytes);
    expect(m.extensions).toStrictEqual([
      { kind: 'long', type: 47, subtype: 1, data: hex('010203') },
      { kind: 'long', type: 36, subtype: 5, data: hex('') },
      { kind: 'long', type: 47, subtype: 255, data: Buffer.alloc(256, 0xab) },
    ]);
    expect(encodeRegistration(m).equals(bytes)).toBe(true);
  });

  it('keeps a skippable unknown extension (128-255) raw and re-encodes it identically', () => {
    const bytes = hex(`${REQUEST_FIXED} c8 02 beef  93 00  ff 01 7f`);
    const m = decodeRegistration(bytes);
    expect(m.extensions).toStrictEqual([
      { kind: 'raw', type: 200, data: hex('beef') },
      { kind: 'raw', type: 147, data: hex('') },
      { kind: 'raw', type: 255, data: hex('7f') },
    ]);
    expect(encodeRegistration(m).equals(bytes)).toBe(true);
  });

  it('keeps a NAI that is not valid UTF-8 raw, so it re-encodes byte for byte', () => {
    const bytes = hex(`${REQUEST_FIXED} 83 03 61 ff 62  83 04 c3a9 e282`); // "a\xffb", then é + cut-off €
    const m = decodeRegistration(bytes);
    expect(m.extensions).toStrictEqual([
      { kind: 'raw', type: 131, data: hex('61ff62') },
      { kind: 'raw', type: 131, data: hex('c3a9e282') },
    ]);
    expect(encodeRegistration(m).equals(bytes)).toBe(true);
    // valid multi-byte UTF-8 (and a BOM) decodes as a NAI
    const utf8 = hex(`${REQUEST_FIXED} 83 08 efbbbf c3a9 e282ac`);
    expect(decodeRegistration(utf8).extensions).toStrictEqual([{ kind: 'nai', type: 131, nai: '\ufeffé€' }]);
    expect(encodeRegistration(decodeRegistration(utf8)).equals(utf8)).toBe(true);
  });

  it('rejects an unknown non-skippable extension (0-127) with unknown-extension at its offset', () => {
    expectWireError(
      () => decodeRegistration(hex(`${REQUEST_FIXED} 93 00 28 00`)),
      'unknown-extension',
      26,
      /type 40/,
    );
    expectWireError(() => decodeRegistration(hex(`${REPLY_FIXED} 00 00`)), 'unknown-extension', 20, /type 0/);
    expectWireError(
      () => decodeRegistration(hex(`${REPLY_FIXED} ${NAI_HEX} 7f 01 00`)),
      'unknown-extension',
      38,
    );
  });
});

describe('every WireError kind decode can raise, with its offset', () => {
  it('truncated: empty, short fixed parts, an extension without its length byte or long-form header', () => {
    expectWireError(() => decodeRegistration(Buffer.alloc(0)), 'truncated', 0, /empty/);
    expectWireError(
      () => decodeRegistration(hex(REQUEST_FIXED).subarray(0, 23)),
      'truncated',
      23,
      /needs 24 bytes, got 23/,
    );
    expectWireError(
      () => decodeRegistration(hex(REPLY_FIXED).subarray(0, 19)),
      'truncated',
      19,
      /needs 20 bytes, got 19/,
    );
    expectWireError(() => decodeRegistration(hex(`${REQUEST_FIXED} 83`)), 'truncated', 24, /no length byte/);
    expectWireError(
      () => decodeRegistration(hex(`${REQUEST_FIXED} ${NAI_HEX} 2f 01 00`)),
      'truncated',
      42,
      /needs 4 bytes/,
    );
  });

  it('bad-length: a declared length beyond the datagram, an authentication extension shorter than its SPI', () => {
    expectWireError(
      () => decodeRegistration(hex(`${REQUEST_FIXED} 83 05 6162`)),
      'bad-length',
      24,
      /declares 5 data bytes, 2 remain/,
    );
    expectWireError(
      () => decodeRegistration(hex(`${REPLY_FIXED} 24 00 ffff 00`)),
      'bad-length',
      20,
      /declares 65535/,
    );
    expectWireError(
      () => decodeRegistration(hex(`${REQUEST_FIXED} 20 03 000010`)),
      'bad-length',
      24,
      /needs >= 4/,
    );
    // one byte short of a complete authentication extension
    expectWireError(
      () => decodeRegistration(hex(`${REQUEST_FIXED} ${AUTH_HEX}`).subarray(0, 24 + 21)),
      'bad-length',
      24,
    );
  });

  it('unknown-type: a message type other than 1 and 3', () => {
    for (const t of [0, 2, 4, 9, 255]) {
      const bytes = hex(REQUEST_FIXED);
      bytes[0] = t;
      expectWireError(() => decodeRegistration(bytes), 'unknown-type', 0, new RegExp(`type ${t} `));
    }
  });

  it('unknown-extension: after a valid authentication extension, at the offset of the bad one', () => {
    expectWireError(
      () => decodeRegistration(hex(`${REQUEST_FIXED} 21 04 00000100 01 00`)),
      'unknown-extension',
      30,
    );
  });
});

describe('encoder validation names the field', () => {
  const cases: Array<[string, RegistrationMessage, RegExp]> = [
    ['lifetime', { ...REQUEST, lifetime: 0x10000 }, /^bad-value: lifetime: 65536 /],
    ['lifetime', { ...REPLY, lifetime: -1 }, /^bad-value: lifetime: -1 /],
    ['lifetime', { ...REQUEST, lifetime: 1.5 }, /^bad-value: lifetime: /],
    ['code', { ...REPLY, code: 256 }, /^bad-value: code: 256 /],
    [
      'homeAddress',
      { ...REQUEST, homeAddress: '10.1.2.256' },
      /^bad-value: homeAddress: "10.1.2.256" has an octet above 255/,
    ],
    ['homeAddress', { ...REQUEST, homeAddress: 167904771 as unknown as string }, /^bad-value: homeAddress: /],
    [
      'homeAgent',
      { ...REPLY, homeAgent: '10.255.0' },
      /^bad-value: homeAgent: "10.255.0" is not a dotted-quad/,
    ],
    ['careOfAddress', { ...REQUEST, careOfAddress: ' 10.253.0.17' }, /^bad-value: careOfAddress: /],
    ['identification', { ...REQUEST, identification: -1n }, /^bad-value: identification: /],
    ['identification', { ...REQUEST, identification: 1n << 64n }, /^bad-value: identification: /],
    [
      'extensions[0].data',
      { ...REQUEST, extensions: [{ kind: 'raw', type: 200, data: Buffer.alloc(256) }] },
      /^bad-value: extensions\[0\]\.data: 256 bytes, at most 255/,
    ],
    [
      'extensions[1].type',
      { ...REQUEST, extensions: [NAI, { kind: 'raw', type: 40, data: Buffer.alloc(1) }] },
      /^bad-value: extensions\[1\]\.type: non-skippable type 40/,
    ],
    [
      'extensions[0].nai',
      { ...REQUEST, extensions: [{ kind: 'nai', type: 131, nai: 'é'.repeat(128) }] },
      /^bad-value: extensions\[0\]\.nai: 256 bytes/,
    ],
    [
      'extensions[0].subtype',
      { ...REPLY, extensions: [{ kind: 'long', type: 47, subtype: 256, data: Buffer.alloc(0) }] },
      /^bad-value: extensions\[0\]\.subtype: 256 /,
    ],
    [
      'extensions[0].data',
      { ...REPLY, extensions: [{ kind: 'long', type: 36, subtype: 0, data: Buffer.alloc(0x10000) }] },
      /^bad-value: extensions\[0\]\.data: 65536 bytes, at most 65535/,
    ],
    [
      'extensions[0].type',
      { ...REPLY, extensions: [{ kind: 'long', type: 99 as 47, subtype: 0, data: Buffer.alloc(0) }] },
      /^bad-value: extensions\[0\]\.type: 99 has no long form/,
    ],
    [
      'extensions[2].spi',
      { ...REQUEST, extensions: [NAI, NAI, { ...AUTH, spi: 2 ** 32 }] as Extension[] },
      /^bad-value: extensions\[2\]\.spi: 4294967296 /,
    ],
    [
      'extensions[0].authenticator',
      { ...REQUEST, extensions: [{ ...AUTH, authenticator: Buffer.alloc(252) }] as Extension[] },
      /^bad-value: extensions\[0\]\.authenticator: 252 bytes, at most 251/,
    ],
    [
      'extensions[0].type',
      { ...REQUEST, extensions: [{ ...AUTH, type: 35 as 32 }] as Extension[] },
      /^bad-value: extensions\[0\]\.type: 35 is not an authentication type/,
    ],
    [
      'type',
      { ...REQUEST, type: 'registration' as 'registration-request' },
      /^bad-value: type: registration is not/,
    ],
  ];
  it.each(cases)('%s', (_field, message, text) => {
    const e = thrown(() => encodeRegistration(message));
    expect(e.kind).toBe('bad-value');
    expect(e.message).toMatch(text);
  });

  it('validates the signing SA: spi and authentication type', () => {
    const key = Buffer.alloc(16);
    expect(
      thrown(() => encodeRegistration(REQUEST, { spi: -1, key, algorithm: 'hmac-md5' })).message,
    ).toMatch(/^bad-value: spi: -1 /);
    expect(
      thrown(() => encodeRegistration(REQUEST, { type: 40 as 32, spi: 256, key, algorithm: 'hmac-md5' }))
        .message,
    ).toMatch(/^bad-value: auth\.type: 40 /);
  });

  it('accepts the limits: 255-byte raw data, 251-byte authenticator, 65535-byte long data, 255-byte NAI', () => {
    const m: RegistrationRequest = {
      ...REQUEST,
      extensions: [
        { kind: 'raw', type: 255, data: Buffer.alloc(255, 1) },
        { ...(AUTH as Extension & { kind: 'auth' }), authenticator: Buffer.alloc(251, 2) },
        { kind: 'long', type: 47, subtype: 0, data: Buffer.alloc(0xffff, 3) },
        { kind: 'nai', type: 131, nai: 'n'.repeat(255) },
      ],
    };
    const bytes = encodeRegistration(m);
    expect(bytes.length).toBe(24 + 257 + 257 + 4 + 0xffff + 257);
    expect(decodeRegistration(bytes)).toStrictEqual(m);
  });
});

describe('JSON shape', () => {
  const request: RegistrationRequest = { ...REQUEST, extensions: [NAI, AUTH] };
  const requestJson = {
    type: 'registration-request',
    flags: ['S', 'T'],
    lifetime: 600,
    homeAddress: '10.1.2.3',
    homeAgent: '10.255.0.1',
    careOfAddress: '10.253.0.17',
    identification: 'ed2f8a8012345678',
    extensions: [
      { type: 131, nai: 'user@example.org' },
      { type: 32, spi: 4097, authenticator: '000102030405060708090a0b0c0d0e0f' },
    ],
  };

  it('messageToJson writes flags as letters, the identification as 16 hex digits, binary as hex', () => {
    expect(messageToJson(request)).toStrictEqual(requestJson);
    const reply: RegistrationReply = {
      ...REPLY,
      identification: 1n,
      extensions: [
        { kind: 'long', type: 47, subtype: 2, data: hex('0a0b') },
        { kind: 'raw', type: 145, data: hex('6869') },
      ],
    };
    expect(messageToJson(reply)).toStrictEqual({
      type: 'registration-reply',
      code: 133,
      codeName: 'ha_identification_mismatch',
      lifetime: 600,
      homeAddress: '10.1.2.3',
      homeAgent: '10.255.0.1',
      identification: '0000000000000001',
      extensions: [
        { type: 47, subtype: 2, data: '0a0b' },
        { type: 145, data: '6869' },
      ],
    });
  });

  it('messageFromJson(messageToJson(m)) deep-equals m, also through JSON text', () => {
    const reply: RegistrationReply = {
      ...REPLY,
      extensions: [{ kind: 'long', type: 36, subtype: 9, data: hex('ff') }, AUTH],
    };
    for (const m of [request, reply, REQUEST, REPLY] as RegistrationMessage[]) {
      expect(messageFromJson(messageToJson(m))).toStrictEqual(m);
      expect(messageFromJson(JSON.parse(JSON.stringify(messageToJson(m))))).toStrictEqual(m);
    }
    // and the bytes survive bytes -> message -> JSON -> message -> bytes
    const bytes = hex(`${REQUEST_FIXED} ${NAI_HEX} ${AUTH_HEX}`);
    expect(
      encodeRegistration(
        messageFromJson(messageToJson(decodeRegistration(bytes))) as RegistrationMessage,
      ).equals(bytes),
    ).toBe(true);
  });

  it('messageFromJson defaults absent flags and extensions to none', () => {
    const { flags: _f, extensions: _e, ...bare } = requestJson;
    expect(messageFromJson(bare)).toStrictEqual({ ...REQUEST, flags: requestFlags() });
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['lifetime', { ...requestJson, lifetime: 70000 }, /^bad-value: lifetime: Too big/],
    [
      'homeAddress',
      { ...requestJson, homeAddress: '10.1.2.300' },
      /^bad-value: homeAddress: must be a dotted-quad IPv4 address$/,
    ],
    ['flags[1]', { ...requestJson, flags: ['S', 'Q'] }, /^bad-value: flags\[1\]: Invalid option/],
    [
      'identification',
      { ...requestJson, identification: 'xyz' },
      /^bad-value: identification: must be 1-16 hex digits$/,
    ],
    [
      'extensions[1]',
      {
        ...requestJson,
        extensions: [
          { type: 131, nai: 'a' },
          { type: 5, data: 'aa' },
        ],
      },
      /^bad-value: extensions\[1\]: types 0-127 are non-skippable/,
    ],
    [
      'extensions[0].spi',
      { ...requestJson, extensions: [{ type: 32, spi: -1, authenticator: '' }] },
      /^bad-value: extensions\[0\]\.spi: Too small/,
    ],
    [
      'extensions[0].data',
      { ...requestJson, extensions: [{ type: 200, data: 'abc' }] },
      /^bad-value: extensions\[0\]\.data: must be hex bytes/,
    ],
    ['code', { ...requestJson, type: 'registration-reply', code: 256 }, /^bad-value: code: Too big/],
    ['type', { type: 'bogus' }, /^bad-value: type: Invalid discriminator value/],
    ['(root)', 42, /^bad-value: \(root\): /],
  ];
  it.each(invalid)('messageFromJson names %s in its validation error', (_path, input, text) => {
    const e = thrown(() => messageFromJson(input));
    expect(e.kind).toBe('bad-value');
    expect(e.message).toMatch(text);
  });

  it('reports every invalid field at once, separated by "; "', () => {
    const e = thrown(() => messageFromJson({ ...requestJson, lifetime: -1, homeAgent: 'x' }));
    expect(e.message).toMatch(/lifetime: .*; homeAgent: must be a dotted-quad IPv4 address/);
  });
});
