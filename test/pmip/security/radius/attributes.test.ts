import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AttributeError,
  parseCiscoAvPair,
  securityAssociationFromAccept,
} from '../../../../src/pmip/security/radius/attributes.ts';
import {
  decryptSalted,
  encryptSalted,
  SaltDecryptionError,
} from '../../../../src/pmip/security/radius/salt.ts';
import { checkAnswer } from '../../../../src/pmip/security/radius/verify.ts';
import { parseKeyNotation } from '../../../../src/pmip/security/key.ts';

const vector = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../fixtures/radius/freeradius-3gpp2-accept.json'), 'utf8'),
) as {
  secret: string;
  requestHex: string;
  answerHex: string;
  expected: { spi: number; keyText: string; homeAgent: string };
};
const request = Buffer.from(vector.requestHex, 'hex');
const answer = Buffer.from(vector.answerHex, 'hex');
const requestAuthenticator = request.subarray(4, 20);

/** The top-level attributes of a RADIUS packet (type, value), as the radius package lists them. */
function rawAttributes(packet: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  for (let i = 20; i < packet.readUInt16BE(2); i += packet[i + 1]!)
    out.push([packet[i]!, packet.subarray(i + 2, i + packet[i + 1]!)]);
  return out;
}

function vsa(vendor: number, type: number, value: Buffer): [number, Buffer] {
  const head = Buffer.alloc(6);
  head.writeUInt32BE(vendor, 0);
  head[4] = type;
  head[5] = value.length + 2;
  return [26, Buffer.concat([head, value])];
}

describe('the 3GPP2 MN-HA key, salt-encrypted by FreeRADIUS (RFC 2868 section 3.5)', () => {
  it('decrypts the bytes FreeRADIUS 3.2 sent to the key in its users file', () => {
    const keyAttr = rawAttributes(answer)
      .filter(([t]) => t === 26)
      .map(([, v]) => v)
      .find((v) => v.readUInt32BE(0) === 5535 && v[4] === 58)!;
    const key = decryptSalted(keyAttr.subarray(6), vector.secret, requestAuthenticator);
    expect(key.toString('utf8')).toBe(vector.expected.keyText);
  });

  it('reads SPI, key and home agent from the whole captured Access-Accept', () => {
    expect(checkAnswer(request, answer, vector.secret)).toEqual({ ok: true });
    const sa = securityAssociationFromAccept(
      rawAttributes(answer),
      'auto',
      vector.secret,
      requestAuthenticator,
    );
    expect(sa.style).toBe('3gpp2');
    expect(sa.spi).toBe(vector.expected.spi);
    expect(sa.homeAgent).toBe(vector.expected.homeAgent);
    expect(sa.key.toString('utf8')).toBe(vector.expected.keyText);
  });

  it('fails the authenticator check and the decryption under another secret, naming no bytes', () => {
    const bad = checkAnswer(request, answer, 'not-the-secret');
    expect(bad).toEqual({ ok: false, problem: 'the Response Authenticator does not match (shared secret?)' });
    expect(() =>
      securityAssociationFromAccept(rawAttributes(answer), '3gpp2', 'not-the-secret', requestAuthenticator),
    ).toThrow(AttributeError);
    const tampered = Buffer.from(answer);
    tampered[tampered.length - 1]! ^= 1;
    expect(checkAnswer(request, tampered, vector.secret).ok).toBe(false);
  });

  it('round-trips a made-up vector of every length from 1 to 100 octets', () => {
    const auth = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    for (let n = 1; n <= 100; n++) {
      const plain = Buffer.alloc(n, n);
      const enc = encryptSalted(plain, 's3cret', auth, Buffer.from([0x80 | n, 0x42]));
      expect(enc.length).toBe(2 + Math.ceil((n + 1) / 16) * 16);
      expect(decryptSalted(enc, 's3cret', auth)).toEqual(plain);
    }
  });

  it('refuses a salt without its top bit and a body that is not whole blocks', () => {
    const auth = Buffer.alloc(16, 1);
    expect(() =>
      decryptSalted(Buffer.concat([Buffer.from([0x01, 0x02]), Buffer.alloc(16)]), 's', auth),
    ).toThrow('salt lacks its most significant bit');
    expect(() =>
      decryptSalted(Buffer.concat([Buffer.from([0x81, 0x02]), Buffer.alloc(17)]), 's', auth),
    ).toThrow(SaltDecryptionError);
  });
});

describe('Cisco mobileip av-pairs', () => {
  it('reads spi, hex key, algorithm and replay window', () => {
    const p = parseCiscoAvPair(
      'mobileip:spi#0=spi 300 key hex 00112233445566778899aabbccddeeff algorithm hmac-md5 replay timestamp within 9',
    )!;
    expect(p.index).toBe(0);
    expect(p.sa).toMatchObject({
      style: 'cisco',
      spi: 300,
      algorithm: 'hmac-md5',
      replay: 'timestamp',
      replayWindowSeconds: 9,
    });
    expect(p.sa.key.toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });

  it('takes md5 mode prefix-suffix and ascii keys of any length', () => {
    const p = parseCiscoAvPair(
      'mobileip:spi#2=spi 4096 key ascii a-longer-ascii-secret algorithm md5 mode prefix-suffix',
    )!;
    expect(p.index).toBe(2);
    expect(p.sa).toMatchObject({ spi: 4096, algorithm: 'prefix-suffix' });
    expect(p.sa.key.toString()).toBe('a-longer-ascii-secret');
  });

  it('ignores other av-pairs and uses the lowest index of several', () => {
    expect(parseCiscoAvPair('shell:priv-lvl=15')).toBeUndefined();
    const raw = [
      vsa(9, 1, Buffer.from('shell:priv-lvl=15')),
      vsa(9, 1, Buffer.from('mobileip:spi#1=spi 301 key hex 0102')),
      vsa(9, 1, Buffer.from('mobileip:spi#0=spi 300 key hex 0304')),
    ];
    const sa = securityAssociationFromAccept(raw, 'auto', 'x', Buffer.alloc(16));
    expect(sa.spi).toBe(300);
    expect(sa.key.toString('hex')).toBe('0304');
  });

  it.each([
    ['mobileip:spi#0=spi 12 key hex 0011', 'spi must be a number from 256 to 4294967295'],
    ['mobileip:spi#0=spi 300 key hex 001', 'key hex must be an even number of hex digits'],
    ['mobileip:spi#0=spi 300', 'no key'],
    ['mobileip:spi#0=key hex 0011', 'no spi'],
    ['mobileip:spi#0=spi 300 key hex 0011 algorithm sha1', 'algorithm must be hmac-md5 or md5'],
    [
      'mobileip:spi#0=spi 300 key hex 0011 replay timestamp within 0',
      'replay timestamp within must be 1-3600 seconds',
    ],
    ['mobileip:spi#0=spi 300 key hex 0011 colour blue', 'unknown word "colour"'],
  ])('refuses %s', (text, rule) => {
    expect(() => parseCiscoAvPair(text)).toThrow(rule);
    try {
      parseCiscoAvPair(text);
    } catch (e) {
      expect((e as Error).message).not.toContain('0011');
    }
  });

  it('refuses Vendor-Specific attributes whose lengths do not fit', () => {
    const value = Buffer.from([0, 0, 0, 9, 1, 40, 0x6d, 0x6f]);
    expect(() => securityAssociationFromAccept([[26, value]], 'auto', 'x', Buffer.alloc(16))).toThrow(
      'Vendor-Specific (vendor 9): sub-attribute length does not fit',
    );
    expect(() =>
      securityAssociationFromAccept([[26, Buffer.from([0, 0])]], 'auto', 'x', Buffer.alloc(16)),
    ).toThrow('Vendor-Specific: shorter than its vendor id');
  });

  it('a named style takes only its own attributes; none at all is malformed', () => {
    const raw = [vsa(9, 1, Buffer.from('mobileip:spi#0=spi 300 key hex 0304'))];
    expect(() => securityAssociationFromAccept(raw, '3gpp2', 'x', Buffer.alloc(16))).toThrow(
      'Access-Accept has no 3GPP2-MN-HA-SPI and 3GPP2-MN-HA-Shared-Key',
    );
    expect(() => securityAssociationFromAccept([], 'auto', 'x', Buffer.alloc(16))).toThrow(
      'has no SA attributes',
    );
    expect(() =>
      securityAssociationFromAccept(
        [vsa(5535, 57, Buffer.from([0, 0, 1, 0]))],
        'auto',
        'x',
        Buffer.alloc(16),
      ),
    ).toThrow('3GPP2-MN-HA-SPI came without 3GPP2-MN-HA-Shared-Key');
  });
});

describe('key notation', () => {
  it('keeps 32 hex digits a 128-bit key; hex: and text: give any length', () => {
    expect(parseKeyNotation('00112233445566778899aabbccddeeff')).toEqual({
      ok: true,
      key: Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
    });
    expect(parseKeyNotation('hex:0a0b0c')).toEqual({ ok: true, key: Buffer.from([10, 11, 12]) });
    expect(parseKeyNotation('text:0123456789abcdef')).toEqual({
      ok: true,
      key: Buffer.from('0123456789abcdef'),
    });
    // 30 hex digits without a prefix: neither the old form nor a notation.
    expect(parseKeyNotation('00112233445566778899aabbccddee').ok).toBe(false);
  });
});
