import { describe, expect, it } from 'vitest';
import {
  ADVERTISEMENT_FLAG_LETTERS,
  advertisementFlags,
  decodeIcmpMobility,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  indicatesAgentReboot,
  internetChecksum,
  messageFromJson,
  messageToJson,
  nextAdvertisementSequence,
  WireError,
  type AdvertisementFlag,
  type AgentAdvertisement,
  type WireErrorKind,
} from '../../../src/pmip/wire/index.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function expectWireError(
  fn: () => unknown,
  kind: WireErrorKind,
  offset: number | undefined,
  text?: RegExp,
): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(WireError);
  expect((error as WireError).kind).toBe(kind);
  expect((error as WireError).offset).toBe(offset);
  if (text) expect((error as WireError).message).toMatch(text);
}

/** Recomputes bytes 2-3 after a test edits an ICMP message, so the edit is what gets checked. */
function withChecksum(buf: Buffer): Buffer {
  buf.writeUInt16BE(0, 2);
  buf.writeUInt16BE(internetChecksum(buf), 2);
  return buf;
}

// ICMP router advertisement (RFC 1256) + mobility agent advertisement extension (RFC 5944 2.1.1)
// + prefix-lengths extension (2.1.2) + two pad bytes, written out by hand:
//   type 9, code 0, checksum 0x0996, 1 address, entry size 2 words, lifetime 1800
//   router 10.253.0.1 preference 0
//   ext 16, length 10, sequence 256, registration lifetime 600, flags R|F|T = 0x91, reserved,
//   care-of 10.253.0.1; ext 19, length 1, prefix 24; pad 0, pad 0
const ADV_HEX = `09 00 0996 01 02 0708  0afd0001 00000000
  10 0a 0100 0258 91 00 0afd0001  13 01 18  00 00`;
const ADV: AgentAdvertisement = {
  type: 'agent-advertisement',
  icmpCode: 0,
  routerLifetime: 1800,
  routerAddresses: [{ address: '10.253.0.1', preference: 0 }],
  sequence: 256,
  registrationLifetime: 600,
  flags: advertisementFlags({ R: true, F: true, T: true }),
  careOfAddresses: ['10.253.0.1'],
  prefixLengths: [24],
  padding: 2,
};

describe('Internet checksum (RFC 1071)', () => {
  it('gives 0x220d for the RFC 1071 section 3 example bytes 00 01 f2 03 f4 f5 f6 f7', () => {
    // one's complement sum 0xddf2, complemented
    expect(internetChecksum(hex('0001f203f4f5f6f7'))).toBe(0x220d);
  });

  it('pads an odd length with a zero byte and folds every carry', () => {
    expect(internetChecksum(hex('0001f203f4f5f6'))).toBe(internetChecksum(hex('0001f203f4f5f600')));
    expect(internetChecksum(hex('ffff ffff ffff'))).toBe(0x0000);
    expect(internetChecksum(hex(''))).toBe(0xffff);
    // a message containing its own checksum sums to zero
    expect(internetChecksum(hex(ADV_HEX))).toBe(0);
  });
});

describe('Agent Advertisement layout', () => {
  it('encodes ICMP type 9 with extension 16, prefix-lengths 19 and padding exactly as written by hand', () => {
    expect(encodeAgentAdvertisement(ADV).toString('hex')).toBe(hex(ADV_HEX).toString('hex'));
    expect(decodeIcmpMobility(hex(ADV_HEX))).toStrictEqual(ADV);
  });

  it('writes length 6 + 4N for N care-of addresses, busy code 16, several router addresses', () => {
    // type 9, code 16, 0 router addresses, lifetime 0xffff; ext 16 with 2 care-of addresses,
    // sequence 0xffff, registration lifetime 0xffff, all flags
    const bytes = hex('09 10 d1e1 00 02 ffff  10 0e ffff ffff ff 00 0afd0001 0afd0002');
    const adv: AgentAdvertisement = {
      type: 'agent-advertisement',
      icmpCode: 16,
      routerLifetime: 0xffff,
      routerAddresses: [],
      sequence: 0xffff,
      registrationLifetime: 0xffff,
      flags: advertisementFlags(Object.fromEntries(ADVERTISEMENT_FLAG_LETTERS.map((l) => [l, true]))),
      careOfAddresses: ['10.253.0.1', '10.253.0.2'],
      padding: 0,
    };
    expect(encodeAgentAdvertisement(adv).toString('hex')).toBe(bytes.toString('hex'));
    expect(decodeIcmpMobility(bytes)).toStrictEqual(adv);

    const two = encodeAgentAdvertisement({
      ...ADV,
      routerAddresses: [
        { address: '10.0.0.1', preference: 0x7fffffff },
        { address: '10.0.0.2', preference: 0xffffffff },
      ],
    });
    expect(two[4]).toBe(2);
    expect(two.subarray(8, 24).toString('hex')).toBe('0a0000017fffffff0a000002ffffffff');
  });

  const flagBits: Array<[AdvertisementFlag, number]> = [
    ['R', 0x80],
    ['B', 0x40],
    ['H', 0x20],
    ['F', 0x10],
    ['M', 0x08],
    ['G', 0x04],
    ['r', 0x02],
    ['T', 0x01],
  ];
  it.each(flagBits)(
    'puts flag %s at bit value %i of the extension flags byte and reads it back alone',
    (l, bit) => {
      const bytes = encodeAgentAdvertisement({ ...ADV, flags: advertisementFlags({ [l]: true }) });
      expect(bytes[16 + 6]).toBe(bit);
      const back = decodeIcmpMobility(bytes) as AgentAdvertisement;
      for (const letter of ADVERTISEMENT_FLAG_LETTERS) expect(back.flags[letter], letter).toBe(letter === l);
    },
  );

  it('counts only trailing pad bytes as padding, skips unknown skippable extensions, reads entry sizes > 2', () => {
    // pad between extensions, then an unknown skippable 200 extension, then one trailing pad
    const bytes = withChecksum(
      hex('09 00 0000 01 03 0708  0afd0001 00000005 eeeeeeee  00 10 06 0101 0258 10 00  c8 02 abcd  00'),
    );
    const expected: AgentAdvertisement = {
      type: 'agent-advertisement',
      icmpCode: 0,
      routerLifetime: 1800,
      routerAddresses: [{ address: '10.253.0.1', preference: 5 }],
      sequence: 257,
      registrationLifetime: 600,
      flags: advertisementFlags({ F: true }),
      careOfAddresses: [],
      padding: 1,
    };
    expect(decodeIcmpMobility(bytes)).toStrictEqual(expected);
  });
});

describe('Agent Solicitation layout', () => {
  it('is ICMP type 10, code 0, checksum 0xf5ff, four reserved zero bytes', () => {
    expect(encodeAgentSolicitation().toString('hex')).toBe('0a00f5ff00000000');
    expect(decodeIcmpMobility(hex('0a00f5ff00000000'))).toStrictEqual({ type: 'agent-solicitation' });
  });
});

describe('decode errors', () => {
  it('bad-checksum at byte 2 when any byte changes without the checksum', () => {
    for (let i = 0; i < hex(ADV_HEX).length; i++) {
      if (i === 2 || i === 3) continue;
      const b = hex(ADV_HEX);
      b[i]! ^= 0x01;
      if (b[0] !== 9 && b[0] !== 10) continue; // the type check comes first
      expectWireError(() => decodeIcmpMobility(b), 'bad-checksum', 2, /ICMP checksum 0x0996 does not match/);
    }
    const sol = hex('0a00f5fe00000000');
    expectWireError(() => decodeIcmpMobility(sol), 'bad-checksum', 2);
  });

  it('truncated, unknown-type, bad-length, unknown-extension and bad-value, with offsets', () => {
    expectWireError(() => decodeIcmpMobility(hex('0900')), 'truncated', 2, /needs 8 bytes, got 2/);
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('08 00 0000 00000000'))),
      'unknown-type',
      0,
      /ICMP type 8/,
    );
    // a router advertisement without extension 16 is not an agent advertisement
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 00 02 0708'))),
      'unknown-type',
      8,
      /\(16\)/,
    );
    // 2 router addresses announced, one present
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 02 02 0708 0afd0001 00000000'))),
      'truncated',
      16,
    );
    // entry size 1 word
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 00 01 0708 10 06 0100 0258 10 00'))),
      'bad-length',
      5,
    );
    // extension 16 length 7 is not 6 + 4N
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 00 02 0708 10 07 0100 0258 10 00 00'))),
      'bad-length',
      9,
      /6 \+ 4N/,
    );
    // extension 16 declares more than remains
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 00 02 0708 10 0a 0100 0258 10 00'))),
      'bad-length',
      8,
      /declares 10 bytes, 6 remain/,
    );
    // a lone extension type byte at the end
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 00 02 0708 10 06 0100 0258 10 00 13'))),
      'truncated',
      16,
    );
    // unknown non-skippable extension 20
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 00 02 0708 10 06 0100 0258 10 00 14 00'))),
      'unknown-extension',
      16,
      /type 20/,
    );
    // a prefix length above 32 (the second one, at byte 19)
    expectWireError(
      () => decodeIcmpMobility(withChecksum(hex('09 00 0000 00 02 0708 10 06 0100 0258 10 00 13 02 18 21'))),
      'bad-value',
      19,
      /33 is above 32/,
    );
  });
});

describe('sequence numbers', () => {
  it('wrap from 0xffff to 256, never back into 0-255', () => {
    expect(nextAdvertisementSequence(0)).toBe(1);
    expect(nextAdvertisementSequence(255)).toBe(256);
    expect(nextAdvertisementSequence(0xfffe)).toBe(0xffff);
    expect(nextAdvertisementSequence(0xffff)).toBe(256);
    let s = 0;
    for (let i = 0; i < 0x10000 + 10; i++) s = nextAdvertisementSequence(s);
    // 0 -> 0xffff takes 65535 steps, then 256, 257, ...
    expect(s).toBe(256 + 10);
  });

  it('indicatesAgentReboot: a fall back below 256 is a reboot, the wrap to 256 is not', () => {
    expect(indicatesAgentReboot(0xffff, 256)).toBe(false);
    expect(indicatesAgentReboot(300, 5)).toBe(true);
    expect(indicatesAgentReboot(256, 0)).toBe(true);
    expect(indicatesAgentReboot(40, 3)).toBe(true);
    expect(indicatesAgentReboot(5, 6)).toBe(false);
    expect(indicatesAgentReboot(255, 256)).toBe(false);
    expect(indicatesAgentReboot(1000, 999)).toBe(false); // out of order, but not below 256
  });
});

describe('encoder validation and JSON', () => {
  it('names the field it refuses', () => {
    const cases: Array<[Partial<AgentAdvertisement>, RegExp]> = [
      [{ careOfAddresses: Array.from({ length: 63 }, () => '10.0.0.1') }, /careOfAddresses: at most 62/],
      [{ careOfAddresses: ['10.0.0.1', '10.0.0'] }, /careOfAddresses\[1\]: /],
      [{ routerAddresses: [{ address: 'x', preference: 0 }] }, /routerAddresses\[0\]\.address: /],
      [{ routerAddresses: [{ address: '1.2.3.4', preference: -1 }] }, /routerAddresses\[0\]\.preference: /],
      [{ prefixLengths: [24, 33] }, /prefixLengths\[1\]: 33 /],
      [{ sequence: 0x10000 }, /sequence: 65536 /],
      [{ registrationLifetime: -1 }, /registrationLifetime: -1 /],
      [{ routerLifetime: 1.5 }, /routerLifetime: 1.5 /],
      [{ icmpCode: 256 }, /icmpCode: 256 /],
      [{ padding: 65 }, /padding: 65 /],
    ];
    for (const [patch, text] of cases) {
      let error: unknown;
      try {
        encodeAgentAdvertisement({ ...ADV, ...patch });
      } catch (e) {
        error = e;
      }
      expect(error, text.source).toBeInstanceOf(WireError);
      expect((error as WireError).kind).toBe('bad-value');
      expect((error as WireError).message).toMatch(text);
    }
  });

  it('62 care-of addresses fit: extension length 254', () => {
    const many = Array.from({ length: 62 }, (_, i) => `10.0.0.${i}`);
    const bytes = encodeAgentAdvertisement({ ...ADV, careOfAddresses: many });
    expect(bytes[16 + 1]).toBe(254);
    expect((decodeIcmpMobility(bytes) as AgentAdvertisement).careOfAddresses).toEqual(many);
  });

  it('round-trips through the JSON shape with flags as letters', () => {
    const json = messageToJson(ADV);
    expect(json).toStrictEqual({
      type: 'agent-advertisement',
      icmpCode: 0,
      routerLifetime: 1800,
      routerAddresses: [{ address: '10.253.0.1', preference: 0 }],
      sequence: 256,
      registrationLifetime: 600,
      flags: ['R', 'F', 'T'],
      careOfAddresses: ['10.253.0.1'],
      prefixLengths: [24],
      padding: 2,
    });
    expect(messageFromJson(JSON.parse(JSON.stringify(json)))).toStrictEqual(ADV);
    expect(messageFromJson(messageToJson({ type: 'agent-solicitation' }))).toStrictEqual({
      type: 'agent-solicitation',
    });
  });
});
